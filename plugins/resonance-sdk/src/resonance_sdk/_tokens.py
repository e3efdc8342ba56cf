"""Renewing an account's access token during a fetch: the OAuth 2.0 refresh-token grant (RFC 6749 §6).

Networks whose access tokens expire within hours or weeks (X, TikTok, Google, LinkedIn) give a refresh
token with them. When the network refuses an expired token with a 401, the SDK's HTTP client calls
`BearerToken.refresh` once and retries; `TokenRefresh` is that coroutine, written once:

* it knows which OAuth app refreshes: the client id and secret stored in the account's credentials
  (`client_id_field`, `client_secret`), else the operator's app (`Connector.oauth_client`, never stored);
* it posts the grant to the token endpoint on a client of its own, without a refresh hook (a refused
  refresh must not try to refresh again), and with the app authenticated in the form (`client_auth=
  "body"`) or with HTTP Basic (`"basic"`);
* it reads the answer: a refusal is the typed error `classify_error` makes of it (also of a 2xx answer
  without a token: some networks answer OAuth errors with 200), a 2xx answer without `access_token` is a
  `BadResponseError`; the new access token replaces the old one, the fields in `keep` that the network
  sends again replace theirs (rotated refresh tokens), and `expires_at` is renewed from `expires_in`, or
  dropped when the network does not say (it would be stale);
* it hands the renewed credentials to the engine through `Connector.refreshed_credentials`, which stores
  them (encrypted) when the sync ends, so the next run starts with the new pair.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal

from resonance_sdk import _clock
from resonance_sdk._connector import Connector, OAuthClient
from resonance_sdk._errors import BadResponseError
from resonance_sdk._http import BearerToken, ErrorClassifier


def renew_expiry(credentials: dict[str, Any], answer: Any) -> None:
    """Set `expires_at` (ISO 8601 UTC, to the second) from a token answer's `expires_in`, in seconds; drop it
    when the answer gives no positive number of seconds, since the old expiry would be stale."""
    seconds = answer.get("expires_in") if isinstance(answer, dict) else None
    if isinstance(seconds, int | float) and not isinstance(seconds, bool) and seconds > 0:
        expires = _clock.utc_now() + timedelta(seconds=seconds)
        credentials["expires_at"] = expires.isoformat(timespec="seconds")
    else:
        credentials.pop("expires_at", None)


class TokenRefresh:
    """One account's access token and how to renew it with its refresh token, for one run of a connector.

    Make one per HTTP client, from the credentials the client authenticates with, and give the client
    `token=refresher.bearer()`. `credentials` then always holds the latest tokens. A connector whose
    credentials cannot refresh (no refresh token, no app, no secret when the network needs one) still
    gets its bearer token, without a refresh hook: the network's 401 then ends the run.
    """

    def __init__(
        self,
        connector: Connector,
        credentials: Mapping[str, Any],
        *,
        token_url: str,
        client_id_field: str = "client_id",
        client_id_param: str = "client_id",
        client_auth: Literal["body", "basic"] = "body",
        requires_secret: bool = False,
        keep: tuple[str, ...] = ("refresh_token",),
        headers: Mapping[str, str] | None = None,
        classify_error: ErrorClassifier | None = None,
    ) -> None:
        """`token_url` is the token endpoint, absolute or relative to the connector's base URL (build it with
        `connector.base_for(...)` when the token host is another declared host, so an override applies).
        `client_id_field` names the app's id in the credentials (TikTok stores `client_key`) and
        `client_id_param` in the form. `requires_secret` refuses to refresh as a public client. `headers`
        are sent with the grant; `classify_error` maps the token endpoint's refusals to typed errors.
        """
        self.connector = connector
        self.credentials: dict[str, Any] = dict(credentials)
        self.token_url = token_url
        self.client_id_param = client_id_param
        self.client_auth = client_auth
        self.keep = keep
        self.headers = dict(headers or {})
        self.classify_error = classify_error
        self.app = self.oauth_app(connector, credentials, client_id_field=client_id_field)
        refresh_token = self.credentials.get("refresh_token")
        self.can_refresh = (
            isinstance(refresh_token, str)
            and bool(refresh_token)
            and self.app is not None
            and (bool(self.app.client_secret) or not requires_secret)
        )

    @staticmethod
    def oauth_app(
        connector: Connector, credentials: Mapping[str, Any], *, client_id_field: str = "client_id"
    ) -> OAuthClient | None:
        """The OAuth app to refresh as: the one the credentials name (with their `client_secret`, if any),
        else the operator's (`connector.oauth_client`), else None."""
        client_id, secret = credentials.get(client_id_field), credentials.get("client_secret")
        if isinstance(client_id, str) and client_id:
            return OAuthClient(
                client_id=client_id, client_secret=secret if isinstance(secret, str) and secret else None
            )
        return connector.oauth_client

    def bearer(self, access_token: str) -> BearerToken:
        """The bearer token for the HTTP client, with `refresh` as its hook when the credentials can refresh."""
        return BearerToken(access_token, refresh=self.refresh if self.can_refresh else None)

    async def refresh(self) -> str:
        """Run the refresh-token grant, keep the renewed credentials for the engine, return the new access token."""
        app = self.app
        if app is None:  # `bearer()` gives no hook then; a direct call is a programming error
            raise BadResponseError(f"{self.connector.id}: no OAuth app is known to refresh the access token")
        form = {
            "grant_type": "refresh_token",
            "refresh_token": str(self.credentials.get("refresh_token") or ""),
            self.client_id_param: app.client_id,
        }
        headers = dict(self.headers)
        if app.client_secret and self.client_auth == "body":
            form["client_secret"] = app.client_secret
        elif app.client_secret:
            pair = base64.b64encode(f"{app.client_id}:{app.client_secret}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {pair}"
        # A client of its own, without a refresh hook: a refused refresh must not trigger another refresh.
        async with self.connector.http(classify_error=self.classify_error) as http:
            response = await http.request(
                "POST", self.token_url, data=form, headers=headers or None, authenticated=False
            )
            answer = http.decode(response)
        access_token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(access_token, str) or not access_token:
            refused = self.classify_error(response, answer) if self.classify_error else None
            if refused is not None:  # an OAuth error answered with a 2xx status
                raise refused
            endpoint = f"{response.request.method} {response.request.url.path}"
            raise BadResponseError(f"{self.connector.id} {endpoint} answered no access_token")
        renewed = {**self.credentials, "access_token": access_token}
        for key in self.keep:
            value = answer.get(key)
            if isinstance(value, str) and value:
                renewed[key] = value
        renew_expiry(renewed, answer)
        self.credentials = renewed
        self.connector.refreshed_credentials = dict(renewed)
        return access_token
