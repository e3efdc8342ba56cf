"""The conformance kit's standard suite, run against the Bluesky connector with lexicon-shaped responses."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import pytest

from plugins.connectors import bluesky
from plugins.connectors.bluesky import BlueskyConnector
from plugins.sdk import AccountRef, Window
from plugins.sdk.testing import ConnectorConformance, Route

FIXTURES = Path(__file__).parent / "fixtures" / "bluesky"
FEED = "/xrpc/app.bsky.feed.getAuthorFeed"
SEARCH = "/xrpc/app.bsky.feed.searchPosts"
CREATE = "/xrpc/com.atproto.server.createSession"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


class TestBlueskyConformance(ConnectorConformance):
    connector = BlueskyConnector
    base_path = "/xrpc"
    login: ClassVar[dict[str, Any]] = {"identifier": "bsky.app", "app_password": "abcd-efgh-ijkl-mnop"}
    account = AccountRef(handle="bsky.app", credentials=login)
    window = Window(since=date(2025, 3, 1), until=date(2025, 3, 10))
    bad_credentials: ClassVar[dict[str, Any]] = {"identifier": "bsky.app", "app_password": "wxyz-wxyz-wxyz-wxyz"}
    paginated_path = FEED

    @pytest.fixture(autouse=True)
    def _fetch_day(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(bluesky, "_today", lambda: date(2025, 3, 10))  # the followers snapshot is in the window

    def routes(self) -> list[Route]:
        return [
            Route("POST", CREATE, json=fixture("createSession.json")),
            Route("GET", "/xrpc/app.bsky.actor.getProfile", json=fixture("getProfile.json")),
            Route("GET", FEED, query={"cursor": "2025-03-03T23:59:59.999Z"}, json=fixture("getAuthorFeed_page3.json")),
            Route("GET", FEED, query={"cursor": "2025-03-07T09:05:12.345Z"}, json=fixture("getAuthorFeed_page2.json")),
            Route("GET", FEED, json=fixture("getAuthorFeed_page1.json")),
            Route("GET", SEARCH, query={"cursor": "100"}, json=fixture("searchPosts_page2.json")),
            Route("GET", SEARCH, json=fixture("searchPosts_page1.json")),
        ]

    def bad_credentials_routes(self) -> list[Route]:
        return [
            Route(
                "POST",
                CREATE,
                status=401,
                json={"error": "AuthenticationRequired", "message": "Invalid identifier or password"},
            )
        ]
