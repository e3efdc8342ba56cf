"""The OAuth 2.0 authorization-code flow (RFC 6749) with PKCE (RFC 7636), and the refresh-token grant.

Nothing here touches the database: it builds authorization URLs and talks to token endpoints. What an
authorization code's token becomes is the connector's business (`Connector.credentials_from_oauth`);
a token renewed before a sync is kept in the SDK's shape (`access_token`, `refresh_token`, `expires_at`,
`scope`, `token_type`) over the account's other credentials. No secret (client secret, code, verifier,
token) ever reaches a log line or an error message: descriptions sent back by a network are scrubbed of
them before being shown.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import httpx
from resonance_sdk._connector import oauth_token_credentials

from plugins import sdk
from plugins.sdk import AuthenticationError, Connector, ConnectorError, OAuthConfig, TransientError
from tenants.settings import OAUTH_CLIENTS_ENV, OAuthAppConfig, Settings

logger = logging.getLogger("resonance.oauth")

CALLBACK_PATH = "/v1/oauth/callback"
STATE_LIFETIME = timedelta(minutes=10)
"""How long an authorization link works."""
REFRESH_MARGIN = timedelta(minutes=5)
"""An access token expiring within this is renewed before a sync uses it."""
TOKEN_TIMEOUT = httpx.Timeout(20.0, connect=10.0)
"""Patience with a token endpoint; the callback's user is waiting on it."""
MAX_DESCRIPTION = 300


@dataclass(frozen=True)
class Endpoints:
    """Where one network's OAuth client authorizes and exchanges tokens, after operator overrides."""

    network: str
    config: OAuthConfig
    client: OAuthAppConfig
    authorize_url: str
    token_url: str

    @property
    def scopes(self) -> tuple[str, ...]:
        """The scopes to ask for: the operator's override, else the connector's."""
        return self.client.scopes if self.client.scopes is not None else self.config.scopes

    @property
    def scope(self) -> str:
        """The scopes joined with the network's separator."""
        return self.config.scope_separator.join(self.scopes)


class NotConfigured(LookupError):
    """The connector cannot be connected through OAuth here; the message says what to set or do."""


def endpoints(connector: type[Connector], settings: Settings) -> Endpoints:
    """The OAuth endpoints and client of `connector`, or `NotConfigured` with a sentence saying why."""
    config = connector.oauth
    if config is None:
        raise NotConfigured(
            f"the {connector.id} connector does not connect accounts through OAuth; "
            f"create the account with its credentials instead (POST /v1/clients/{{client_id}}/accounts)."
        )
    client = settings.oauth_client_configs().get(connector.id)
    if client is None:
        raise NotConfigured(
            f"no OAuth client is configured for {connector.id}: register an app with {connector.name} and add "
            f'"{connector.id}": {{"client_id": "...", "client_secret": "..."}} to the {OAUTH_CLIENTS_ENV} setting.'
        )
    return Endpoints(
        network=connector.id,
        config=config,
        client=client,
        authorize_url=client.authorize_url or config.authorize_url,
        token_url=client.token_url or config.token_url,
    )


def connector_client(connector: type[Connector], settings: Settings | None) -> sdk.OAuthClient | None:
    """The operator's OAuth app for `connector` as the connector is given it (id and secret), or None.

    Set on connector instances so that a connector can exchange or refresh tokens itself, without the
    app's secret ever being stored with an account.
    """
    if settings is None or connector.oauth is None:
        return None
    client = settings.oauth_client_configs().get(connector.id)
    if client is None:
        return None
    return sdk.OAuthClient(client_id=client.client_id, client_secret=client.client_secret)


def redirect_uri(settings: Settings) -> str:
    """The callback URL registered with every network: `{RESONANCE_PUBLIC_URL}/v1/oauth/callback`."""
    return settings.public_url.rstrip("/") + CALLBACK_PATH


# --- state and PKCE -----------------------------------------------------------------------------


def new_state() -> str:
    """A fresh `state`: 256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def hash_state(state: str) -> str:
    """How a state is stored and looked up: its SHA-256, hex."""
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


def new_code_verifier() -> str:
    """A PKCE code verifier: 86 characters from the unreserved set (RFC 7636 section 4.1 allows 43 to 128)."""
    return secrets.token_urlsafe(64)


def code_challenge(verifier: str) -> str:
    """The S256 challenge of `verifier`: BASE64URL(SHA256(verifier)) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def with_query(url: str, params: Iterable[tuple[str, str]]) -> str:
    """`url` with `params` added to (or replacing the same names in) its query string."""
    parts = urlsplit(url)
    added = list(params)
    names = {name for name, _ in added}
    kept = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name not in names]
    return urlunsplit(parts._replace(query=urlencode(kept + added, quote_via=quote)))


def authorization_url(target: Endpoints, *, redirect_to: str, state: str, verifier: str | None) -> str:
    """The network's consent page for this authorization.

    `response_type=code`, the client, the redirect URI, the scopes, the state, the S256 challenge when
    the network takes PKCE, then the connector's extra parameters (which cannot replace the others).
    """
    params = [
        ("response_type", "code"),
        (target.config.client_id_param, target.client.client_id),
        ("redirect_uri", redirect_to),
    ]
    if target.scopes:
        params.append(("scope", target.scope))
    params.append(("state", state))
    if verifier is not None:
        params += [("code_challenge", code_challenge(verifier)), ("code_challenge_method", "S256")]
    reserved = {name for name, _ in params}
    params += [(name, value) for name, value in target.config.extra_authorize_params.items() if name not in reserved]
    return with_query(target.authorize_url, params)


# --- the token endpoint -------------------------------------------------------------------------


class TokenRequestFailed(Exception):
    """The token endpoint refused a grant, could not be reached, or answered something unusable.

    `error` is the OAuth error code (RFC 6749 section 5.2) when the network sent one; the message names
    the network and the code and holds no secret.
    """

    def __init__(
        self, network: str, grant: str, *, error: str, description: str = "", status: int | None = None
    ) -> None:
        self.network = network
        self.grant = grant
        self.error = error
        self.description = description
        self.status = status
        said = f"{error}: {description}" if description else error
        super().__init__(f"{network} token endpoint refused the {grant} grant ({said})")

    @property
    def refused(self) -> bool:
        """True when the network refused the request (a 4xx), as opposed to being unreachable or failing."""
        return self.status is not None and 400 <= self.status < 500


def scrub(text: str, secrets_in_play: Iterable[str | None], *, limit: int = MAX_DESCRIPTION) -> str:
    """`text` without any of the secrets, on one line, at most `limit` characters: fit for a log or a problem."""
    for secret in secrets_in_play:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    text = " ".join(text.split())
    return text[:limit]


def _client_authentication(target: Endpoints, form: dict[str, str]) -> dict[str, str]:
    """Headers for the client's authentication; in the body instead when the network or the operator says so.

    RFC 6749 section 2.3.1: with HTTP Basic, the client id and secret are each form-urlencoded first.
    The client id is always in the body too, under the network's name for it (`client_key` at TikTok); a
    public client (no secret) sends only that. The secret goes in the body when the connector declares
    `client_auth="body"` (a network that takes no Basic credentials) or the operator chose
    `client_secret_post`.
    """
    client = target.client
    form[target.config.client_id_param] = client.client_id
    if client.client_secret is None:
        return {}
    post = client.token_endpoint_auth_method == "client_secret_post"  # noqa: S105 - a method name
    if target.config.client_auth == "body" or post:
        form["client_secret"] = client.client_secret
        return {}
    pair = f"{quote(client.client_id, safe='')}:{quote(client.client_secret, safe='')}"
    return {"Authorization": "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")}


def _decode(response: httpx.Response) -> Any:
    """A token endpoint's body: JSON, or the form encoding a few older endpoints still answer with."""
    content_type = response.headers.get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type or "text/plain" in content_type:
        pairs = dict(parse_qsl(response.text, keep_blank_values=True))
        if pairs:
            return pairs
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return None


async def request_token(
    target: Endpoints,
    grant: Mapping[str, str],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, Any]:
    """POST a grant (form-encoded) to the token endpoint and return its JSON answer, or `TokenRequestFailed`."""
    form = dict(grant)
    headers = {"Accept": "application/json", **_client_authentication(target, form)}
    kind = form["grant_type"]
    in_play = [target.client.client_secret, form.get("code"), form.get("code_verifier"), form.get("refresh_token")]
    try:
        async with httpx.AsyncClient(timeout=TOKEN_TIMEOUT, transport=transport, follow_redirects=False) as http:
            response = await http.post(target.token_url, data=form, headers=headers)
    except httpx.HTTPError as failure:
        reason = type(failure).__name__
        logger.warning("oauth: %s token endpoint unreachable for the %s grant: %s", target.network, kind, reason)
        raise TokenRequestFailed(
            target.network, kind, error="unreachable", description=f"{reason} calling the token URL"
        ) from None
    body = _decode(response)
    if not response.is_success:
        code = body.get("error") if isinstance(body, dict) else None
        description = body.get("error_description") if isinstance(body, dict) else None
        oauth_error = scrub(code, in_play)[:64] if isinstance(code, str) and code else ""
        oauth_error = oauth_error or f"http_{response.status_code}"
        said = scrub(str(description or ""), in_play)
        logger.warning("oauth: %s token endpoint refused the %s grant: %s", target.network, kind, oauth_error)
        raise TokenRequestFailed(target.network, kind, error=oauth_error, description=said, status=response.status_code)
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise TokenRequestFailed(
            target.network, kind, error="bad_response", description="the answer holds no access_token"
        )
    assert isinstance(body, dict)
    return body


def with_scope(body: Mapping[str, Any], fallback: str) -> dict[str, Any]:
    """The token response with `scope` set to `fallback` when the network does not repeat it (RFC 6749 5.1)."""
    token = dict(body)
    scope = token.get("scope")
    if not (isinstance(scope, str) and scope) and not (isinstance(scope, list) and scope):
        token["scope"] = fallback
    return token


def token_credentials(
    body: Mapping[str, Any], now: datetime, *, requested_scope: str, previous: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Credentials from a token response, over `previous` ones (a refresh keeps the refresh token it is not given).

    The SDK's shape (`plugins.sdk.Connector.credentials_from_oauth`'s default): `expires_at` is ISO 8601
    UTC, computed from `expires_in` (absent when the network does not say); `scope` is the granted scope,
    else the previous one, else the requested one. The previous credentials' other fields are kept.
    """
    credentials: dict[str, Any] = dict(previous or {})
    credentials.pop("expires_at", None)
    fallback = credentials.get("scope")
    token = with_scope(body, fallback if isinstance(fallback, str) and fallback else requested_scope)
    credentials.update(oauth_token_credentials(token, network="oauth", now=now))
    return credentials


async def exchange_code(
    target: Endpoints,
    *,
    code: str,
    redirect_to: str,
    verifier: str | None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, Any]:
    """Exchange an authorization code for a token (RFC 6749 section 4.1.3): the token endpoint's answer.

    Its `scope` is the requested one when the network does not repeat it; the connector turns the answer
    into the account's credentials (`Connector.credentials_from_oauth`).
    """
    grant = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_to}
    if verifier is not None:
        grant["code_verifier"] = verifier
    body = await request_token(target, grant, transport=transport)
    return with_scope(body, target.scope)


# --- refresh before a sync ----------------------------------------------------------------------


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


async def refresh_if_expiring(
    credentials: Mapping[str, Any],
    connector_class: type[Connector],
    settings: Settings,
    now: datetime,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> dict[str, Any]:
    """The credentials, renewed with the refresh-token grant when the access token expires within 5 minutes.

    Unchanged (an equal copy) when there is no refresh token, no known expiry, time left, or no OAuth
    client configured for the connector. A refresh the network refuses with `invalid_grant` (revoked or
    expired refresh token) raises `AuthenticationError`, so the run ends and the account needs
    reconnecting; any other failure raises a `ConnectorError` and the next run tries again.
    """
    current = dict(credentials)
    refresh_token = current.get("refresh_token")
    expires_at = _parse_time(current.get("expires_at"))
    if not isinstance(refresh_token, str) or not refresh_token or expires_at is None:
        return current
    if expires_at - now > REFRESH_MARGIN:
        return current
    try:
        target = endpoints(connector_class, settings)
    except NotConfigured as why:
        logger.warning("oauth: cannot renew a %s access token before a sync: %s", connector_class.id, why)
        return current
    try:
        body = await request_token(
            target, {"grant_type": "refresh_token", "refresh_token": refresh_token}, transport=transport
        )
    except TokenRequestFailed as failure:
        if failure.error == "invalid_grant":
            raise AuthenticationError(
                f"{failure}; the refresh token was revoked or has expired: reconnect the account through OAuth "
                "(POST /v1/clients/{client_id}/oauth/authorizations with its account_id)"
            ) from None
        if failure.refused:
            raise ConnectorError(f"{failure}; check the {connector_class.id} client in {OAUTH_CLIENTS_ENV}") from None
        raise TransientError(str(failure)) from None
    logger.info("oauth: renewed a %s access token before a sync", connector_class.id)
    return token_credentials(body, now, requested_scope=target.scope, previous=current)
