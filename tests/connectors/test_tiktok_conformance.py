"""The conformance kit's standard suite, run against the `tiktok` connector with Display API v2 responses."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from plugins.connectors import tiktok
from plugins.connectors.tiktok import TikTokConnector
from plugins.sdk import AccountRef, Window
from plugins.sdk.testing import ConnectorConformance, Route

FIXTURES = Path(__file__).parent / "fixtures" / "tiktok"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class TestTikTokConformance(ConnectorConformance):
    connector = TikTokConnector
    account = AccountRef(
        handle="techcreator",
        external_id="6784563321783754498",
        credentials={
            "access_token": "act.recorded-access-token",
            "refresh_token": "rft.recorded-refresh-token",
            "client_key": "awxyz123",
            "client_secret": "recorded-client-secret",
        },
    )
    window = Window(since=date(2025, 3, 10), until=date(2025, 3, 12))
    bad_credentials = {"access_token": "act.revoked-access-token"}
    paginated_path = "/video/list/"

    @pytest.fixture(autouse=True)
    def _fetch_day(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Fetch "on" the last day of the window so the follower snapshot is exercised."""
        monkeypatch.setattr(tiktok, "today", lambda: date(2025, 3, 12))

    def routes(self) -> list[Route]:
        # The cursor travels in the JSON body, which routes cannot match: the pages are served in order.
        return [
            Route("GET", "/user/info/", json=fixture("user_info.json")),
            Route("POST", "/video/list/", json=fixture("video_list_page1.json"), times=1),
            Route("POST", "/video/list/", json=fixture("video_list_page2.json")),
        ]

    def bad_credentials_routes(self) -> list[Route]:
        return [Route("GET", "/user/info/", status=401, json=fixture("error_access_token_invalid.json"))]
