"""The SDK's conformance suite run against the `youtube` connector with recorded Data and Analytics API responses."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from plugins.connectors import youtube
from plugins.connectors.youtube import YouTubeConnector
from plugins.sdk import AccountRef, Window
from plugins.sdk.testing import ConnectorConformance, Route

FIXTURES = Path(__file__).parent / "fixtures" / "youtube"
CHANNEL = "UCq8Kx3bC5tYb1fN0rZ2mQ7w"
UPLOADS = "UUq8Kx3bC5tYb1fN0rZ2mQ7w"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class TestYouTubeConformance(ConnectorConformance):
    connector = YouTubeConnector
    account = AccountRef(
        handle="acmeindustries",
        external_id=CHANNEL,
        credentials={
            "access_token": "ya29.a0-recorded-access-token",
            "refresh_token": "1//0g-recorded-refresh-token",
            "client_id": "123456789012-abcdefg.apps.googleusercontent.com",
            "client_secret": "GOCSPX-recorded-secret",
        },
    )
    window = Window(since=date(2026, 11, 2), until=date(2026, 11, 8))
    bad_credentials = {"access_token": "ya29.a0-revoked-access-token"}
    paginated_path = "/playlistItems"

    @pytest.fixture(autouse=True)
    def _pinned_today(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The subscriber rebuild and the report's end date count from today: pin it so the suite never ages."""
        monkeypatch.setattr(youtube, "_today", lambda: date(2026, 11, 10))

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/channels", query={"mine": "true"}, json=fixture("channels_mine.json")),
            Route("GET", "/v2/reports", query={"ids": "channel==MINE"}, json=fixture("analytics_daily.json")),
            Route(
                "GET",
                "/playlistItems",
                query={"playlistId": UPLOADS, "pageToken": "EAAaBlBUOkNBTQ"},
                json=fixture("playlist_items_page2.json"),
            ),
            Route("GET", "/playlistItems", query={"playlistId": UPLOADS}, json=fixture("playlist_items_page1.json")),
            Route("GET", "/videos", query={"id": "b7Tn4QwErYu,Hj2kL9mNb0V"}, json=fixture("videos_page1.json")),
            Route("GET", "/videos", query={"id": "Xc5Vb6Nm7Qa"}, json=fixture("videos_page2.json")),
            Route(
                "GET",
                "/commentThreads",
                query={"pageToken": "QURTSl9pMXFhZDBZ"},
                json=fixture("comment_threads_page2.json"),
            ),
            Route(
                "GET",
                "/commentThreads",
                query={"allThreadsRelatedToChannelId": CHANNEL},
                json=fixture("comment_threads_page1.json"),
            ),
        ]

    def bad_credentials_routes(self) -> list[Route]:
        return [Route("GET", "/channels", status=401, json=fixture("error_invalid_credentials.json"))]
