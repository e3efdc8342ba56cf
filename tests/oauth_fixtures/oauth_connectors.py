"""Test-only connectors connected through OAuth: "parley" (PKCE, space-separated scopes, extra parameters)
and "murmur" (no PKCE, comma-separated scopes), "chorus" (makes its own credentials from the token, names
its client `app_key` and authenticates in the body), plus "plain", which has no OAuth flow at all.

Their real endpoints are `*.example` hosts no test ever reaches: the tests point the OAuth client's
`authorize_url`/`token_url` and the API base URL at a local `FixtureServer`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import date
from typing import Any

from plugins.sdk import (
    OAUTH_TOKEN_FIELDS,
    AccountRef,
    BearerToken,
    Connector,
    ConnectorError,
    MetricDeclaration,
    MetricPoint,
    OAuthConfig,
    Record,
    Window,
    hookimpl,
)


class ParleyConnector(Connector):
    """Reads one follower count from `GET {base}/me` with the account's bearer token."""

    id = "parley"
    name = "Parley"
    version = "1.0.0"
    default_base_url = "https://api.parley.example/v1"
    capabilities = frozenset({"account_metrics"})
    metrics = (MetricDeclaration(native="fans", canonical="followers", unit="accounts"),)
    credentials_schema: Mapping[str, Any] = {
        "type": "object",
        "properties": {"access_token": {"type": "string", "writeOnly": True}},
    }
    oauth = OAuthConfig(
        authorize_url="https://auth.parley.example/oauth/authorize?audience=api",
        token_url="https://auth.parley.example/oauth/token",
        scopes=("profile.read", "insights.read", "offline_access"),
        pkce=True,
        extra_authorize_params={"prompt": "consent", "access_type": "offline"},
    )

    async def check(self, credentials: Mapping[str, Any]) -> None:
        async with self.http(token=BearerToken(str(credentials.get("access_token", "")))) as http:
            await http.get_json("me")

    async def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        async with self.http(token=BearerToken(str(account.credentials.get("access_token", "")))) as http:
            profile = await http.get_json("me")
        yield MetricPoint(native_metric="fans", day=date.fromisoformat(profile["as_of"]), value=profile["fans"])


class MurmurConnector(ParleyConnector):
    id = "murmur"
    name = "Murmur"
    oauth = OAuthConfig(
        authorize_url="https://murmur.example/dialog/oauth",
        token_url="https://graph.murmur.example/oauth/access_token",
        scopes=("pages_show_list", "read_insights"),
        pkce=False,
        scope_separator=",",
    )


class ChorusConnector(ParleyConnector):
    """Turns the token into its own credentials: asks `GET {base}/whoami` who the token belongs to.

    The request names the operator's app (`?app=`) and the account's external id, so tests can see what
    the connector was given. `whoami` answers `{"handle", "user_id"}`: another handle than the account's
    is refused, with a message that quotes the token on purpose (the API must scrub it); `"explode": true`
    raises something that is not a `ConnectorError`.
    """

    id = "chorus"
    name = "Chorus"
    default_base_url = "https://api.chorus.example"
    credentials_schema: Mapping[str, Any] = {
        "type": "object",
        "properties": {
            **OAUTH_TOKEN_FIELDS,
            "access_token": {"type": "string", "minLength": 1, "writeOnly": True},
            "refresh_token": {"type": "string", "minLength": 1, "writeOnly": True},
            "user_id": {"type": "string", "pattern": "^[0-9]+$"},
        },
        "required": ["access_token", "user_id"],
        "additionalProperties": False,
    }
    oauth = OAuthConfig(
        authorize_url="https://chorus.example/authorize",
        token_url="https://chorus.example/token",
        scopes=("read",),
        pkce=False,
        client_id_param="app_key",
        client_auth="body",
    )

    async def credentials_from_oauth(self, token: Mapping[str, Any], *, account: AccountRef) -> dict[str, Any]:
        credentials = await super().credentials_from_oauth(token, account=account)
        app = self.oauth_client.client_id if self.oauth_client is not None else "none"
        params = {"app": app, "external_id": account.external_id or ""}
        async with self.http(token=BearerToken(credentials["access_token"])) as http:
            me = await http.get_json("whoami", params=params)
        if me.get("explode"):
            raise RuntimeError(f"unexpected failure holding {credentials['access_token']}")
        if me.get("handle") != account.handle:
            raise ConnectorError(
                f"chorus: token {credentials['access_token']} belongs to @{me.get('handle')}, not @{account.handle}; "
                f"sign in as @{account.handle}"
            )
        credentials["user_id"] = str(me.get("user_id"))
        return credentials


class PlainConnector(ParleyConnector):
    id = "plain"
    name = "Plain"
    oauth = None


CONNECTORS = (ParleyConnector, MurmurConnector, ChorusConnector, PlainConnector)


@hookimpl
def resonance_connectors() -> list[type[Connector]]:
    return list(CONNECTORS)
