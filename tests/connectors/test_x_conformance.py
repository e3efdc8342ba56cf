"""The conformance kit's standard suite, run against the `x` connector with the recorded X API v2 responses."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from plugins.connectors import x
from plugins.connectors.x import XConnector
from plugins.sdk import AccountRef, Window
from plugins.sdk.testing import ConnectorConformance, Route

FIXTURES = Path(__file__).parent / "fixtures" / "x"
USER_ID = "2244994945"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class TestXConformance(ConnectorConformance):
    connector = XConnector
    account = AccountRef(
        handle="XDevelopers",
        credentials={"access_token": "user-access-token", "refresh_token": "user-refresh-token", "client_id": "c-1"},
    )
    window = Window(since=date(2025, 3, 10), until=date(2025, 3, 12))
    bad_credentials = {"access_token": "revoked-user-access-token"}
    paginated_path = f"/users/{USER_ID}/tweets"

    @pytest.fixture(autouse=True)
    def _fetch_day(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Fetch "on" the last day of the window: the follower snapshot and non-public metrics are exercised."""
        monkeypatch.setattr(x, "today", lambda: date(2025, 3, 12))

    def routes(self) -> list[Route]:
        tweets_token = fixture("tweets_page1.json")["meta"]["next_token"]
        mentions_token = fixture("mentions_page1.json")["meta"]["next_token"]
        return [
            Route("GET", "/users/me", json=fixture("users_me.json")),
            Route("GET", "/users/by/username/XDevelopers", json=fixture("user_by_username.json")),
            Route(
                "GET",
                f"/users/{USER_ID}/tweets",
                query={"pagination_token": tweets_token},
                json=fixture("tweets_page2.json"),
            ),
            Route("GET", f"/users/{USER_ID}/tweets", json=fixture("tweets_page1.json")),
            Route(
                "GET",
                f"/users/{USER_ID}/mentions",
                query={"pagination_token": mentions_token},
                json=fixture("mentions_page2.json"),
            ),
            Route("GET", f"/users/{USER_ID}/mentions", json=fixture("mentions_page1.json")),
        ]

    def bad_credentials_routes(self) -> list[Route]:
        return [Route("GET", "/users/me", status=401, json=fixture("error_unauthorized.json"))]


class TestXCompetitorConformance(TestXConformance):
    """The same suite for a competitor read with an app-only bearer token (public data only)."""

    account = AccountRef(handle="XDevelopers", kind="competitor", credentials={"bearer_token": "app-only-token"})
    bad_credentials = {"bearer_token": "revoked-app-only-token"}

    def bad_credentials_routes(self) -> list[Route]:
        return [Route("GET", "/users/by/username/XDevelopers", status=401, json=fixture("error_unauthorized.json"))]
