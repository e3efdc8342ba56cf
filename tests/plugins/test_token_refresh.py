"""The SDK's token renewal (`TokenRefresh`) and clock (`utc_now`, `utc_today`), on a made-up network."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from plugins.sdk import (
    AccountRef,
    AuthenticationError,
    BadResponseError,
    Connector,
    ConnectorError,
    OAuthClient,
    Record,
    TokenRefresh,
    Window,
    utc_now,
    utc_today,
)
from plugins.sdk.testing import FixtureServer, Route, serving


class Pebble(Connector):
    """A network whose `GET /me` wants a fresh token, and whose token endpoint is `POST /oauth/token`."""

    id = "pebble"
    name = "Pebble"
    version = "1.0.0"
    default_base_url = "https://api.pebble.example"

    def fetch(self, account: AccountRef, window: Window, state: Mapping[str, Any]) -> AsyncIterator[Record]:
        raise NotImplementedError


STORED: dict[str, Any] = {
    "access_token": "old",
    "refresh_token": "r1",
    "client_id": "app",
    "client_secret": "s3cret",
    "expires_at": "2020-01-01T00:00:00+00:00",
}


def network(token_answer: Route) -> list[Route]:
    """`GET /me` refuses the first (expired) token, then answers; the token endpoint answers `token_answer`.

    Made afresh for each test: a route counts its uses."""
    return [
        Route("GET", "/me", status=401, json={"error": "expired"}, times=1),
        Route("GET", "/me", json={"id": "u1"}),
        token_answer,
    ]


def refused_grant(response: httpx.Response, body: Any) -> ConnectorError | None:
    if isinstance(body, dict) and body.get("error") and not body.get("access_token"):
        return AuthenticationError(f"pebble refused the refresh ({body['error']})")
    return None


async def call_me(server: FixtureServer, connector: Pebble, refresher: TokenRefresh) -> None:
    async with connector.http(token=refresher.bearer(refresher.credentials["access_token"])) as http:
        await http.get_json("me")


def form_of(server: FixtureServer) -> dict[str, list[str]]:
    (grant,) = server.requests_to("/oauth/token")
    return parse_qs(grant.body.decode())


def test_an_expired_token_is_refreshed_and_the_renewed_credentials_kept() -> None:
    token = {"access_token": "new", "refresh_token": "r2", "expires_in": 3600, "open_id": "ignored"}
    with serving(network(Route("POST", "/oauth/token", json=token))) as server:
        connector = Pebble(base_url=server.base_url)
        refresher = TokenRefresh(connector, STORED, token_url="oauth/token")
        before = utc_now()
        asyncio.run(call_me(server, connector, refresher))
        assert form_of(server) == {
            "grant_type": ["refresh_token"],
            "refresh_token": ["r1"],
            "client_id": ["app"],
            "client_secret": ["s3cret"],
        }
        assert [request.headers["authorization"] for request in server.requests_to("/me")] == [
            "Bearer old",
            "Bearer new",
        ]
    renewed = connector.refreshed_credentials
    assert renewed is not None
    expires_at = datetime.fromisoformat(renewed.pop("expires_at"))
    assert before + timedelta(seconds=3599) <= expires_at <= utc_now() + timedelta(seconds=3600)
    without_expiry = {key: value for key, value in STORED.items() if key != "expires_at"}
    assert renewed == {**without_expiry, "access_token": "new", "refresh_token": "r2"}, "only kept fields are taken"
    assert refresher.credentials["refresh_token"] == "r2", "a second refresh in the run uses the rotated token"


def test_basic_client_auth_named_client_and_kept_fields() -> None:
    stored = {"access_token": "old", "refresh_token": "r1", "client_key": "app", "client_secret": "s3cret"}
    token = {"access_token": "new", "open_id": "u-9"}
    with serving(network(Route("POST", "/oauth/token", json=token))) as server:
        connector = Pebble(base_url=server.base_url)
        refresher = TokenRefresh(
            connector,
            stored,
            token_url="oauth/token",
            client_id_field="client_key",
            client_id_param="client_key",
            client_auth="basic",
            keep=("refresh_token", "open_id"),
            headers={"Cache-Control": "no-cache"},
        )
        asyncio.run(call_me(server, connector, refresher))
        assert form_of(server) == {"grant_type": ["refresh_token"], "refresh_token": ["r1"], "client_key": ["app"]}
        (grant,) = server.requests_to("/oauth/token")
        assert grant.headers["authorization"] == "Basic " + base64.b64encode(b"app:s3cret").decode()
        assert grant.headers["cache-control"] == "no-cache"
    assert connector.refreshed_credentials == {**stored, "access_token": "new", "open_id": "u-9"}, (
        "no expires_in: no expires_at"
    )


def test_the_operators_app_refreshes_when_the_credentials_name_none() -> None:
    stored = {"access_token": "old", "refresh_token": "r1"}
    with serving(network(Route("POST", "/oauth/token", json={"access_token": "new"}))) as server:
        connector = Pebble(base_url=server.base_url, oauth_client=OAuthClient(client_id="ops", client_secret=None))
        refresher = TokenRefresh(connector, stored, token_url="oauth/token")
        asyncio.run(call_me(server, connector, refresher))
        assert form_of(server)["client_id"] == ["ops"]
        assert "client_secret" not in form_of(server), "a public client sends no secret"
    assert connector.refreshed_credentials == {"access_token": "new", "refresh_token": "r1"}


@pytest.mark.parametrize(
    ("stored", "options"),
    [
        ({"access_token": "old"}, {}),
        ({"access_token": "old", "refresh_token": "r1"}, {}),
        ({"access_token": "old", "refresh_token": "r1", "client_id": "app"}, {"requires_secret": True}),
    ],
    ids=["no refresh token", "no app", "public client where a secret is required"],
)
def test_no_refresh_hook_when_the_credentials_cannot_refresh(stored: dict[str, Any], options: dict[str, Any]) -> None:
    refresher = TokenRefresh(Pebble(), stored, token_url="oauth/token", **options)
    assert refresher.can_refresh is False
    assert refresher.bearer("old").refresh is None


def test_a_refusal_is_the_classifiers_error_even_with_a_200_and_is_not_retried() -> None:
    refused = Route("POST", "/oauth/token", json={"error": "invalid_grant"})
    with serving(network(refused)) as server:
        connector = Pebble(base_url=server.base_url)
        refresher = TokenRefresh(connector, STORED, token_url="oauth/token", classify_error=refused_grant)
        with pytest.raises(AuthenticationError, match="invalid_grant") as raised:
            asyncio.run(call_me(server, connector, refresher))
        assert len(server.requests_to("/oauth/token")) == 1
    assert "s3cret" not in str(raised.value)
    assert connector.refreshed_credentials is None


def test_an_answer_without_a_token_is_a_bad_response_naming_the_endpoint() -> None:
    with serving(network(Route("POST", "/oauth/token", json={"token_type": "Bearer"}))) as server:
        connector = Pebble(base_url=server.base_url)
        refresher = TokenRefresh(connector, STORED, token_url="oauth/token")
        with pytest.raises(BadResponseError, match=r"^pebble POST /oauth/token answered no access_token$"):
            asyncio.run(call_me(server, connector, refresher))


def test_the_clock_is_utc() -> None:
    now = utc_now()
    assert now.tzinfo is UTC
    assert utc_today() in {now.date(), (now + timedelta(seconds=5)).date()}
    assert isinstance(utc_today(), date)
