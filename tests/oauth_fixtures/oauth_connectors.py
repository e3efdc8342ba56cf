"""Test-only connectors connected through OAuth: "parley" (PKCE, space-separated scopes, extra parameters)
and "murmur" (no PKCE, comma-separated scopes), plus "plain", which has no OAuth flow at all.

Their real endpoints are `*.example` hosts no test ever reaches: the tests point the OAuth client's
`authorize_url`/`token_url` and the API base URL at a local `FixtureServer`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import date
from typing import Any

from plugins.sdk import (
    AccountRef,
    BearerToken,
    Connector,
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


class PlainConnector(ParleyConnector):
    id = "plain"
    name = "Plain"
    oauth = None


CONNECTORS = (ParleyConnector, MurmurConnector, PlainConnector)


@hookimpl
def resonance_connectors() -> list[type[Connector]]:
    return list(CONNECTORS)
