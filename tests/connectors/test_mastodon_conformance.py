"""The conformance kit's standard suite, run against the Mastodon connector with recorded responses."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, ClassVar

import pytest

from plugins.connectors import mastodon
from plugins.connectors.mastodon import MastodonConnector
from plugins.sdk import AccountRef, Window
from plugins.sdk.testing import ConnectorConformance, Route

FIXTURES = Path(__file__).parent / "fixtures" / "mastodon"
STATUSES = "/api/v1/accounts/1/statuses"
NOTIFICATIONS = "/api/v1/notifications"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def link(path: str, query: str) -> dict[str, str]:
    return {"Link": f'<{{base}}{path}?{query}>; rel="next", <{{base}}{path}?min_id=1>; rel="prev"'}


class TestMastodonConformance(ConnectorConformance):
    connector = MastodonConnector
    account = AccountRef(handle="@Gargron@mastodon.social", credentials={"access_token": "recorded-token-1234"})
    window = Window(since=date(2019, 12, 1), until=date(2019, 12, 10))
    bad_credentials: ClassVar[dict[str, Any]] = {"access_token": "refused-token-5678"}
    paginated_path = STATUSES

    @pytest.fixture(autouse=True)
    def _fetch_day(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(mastodon, "_today", lambda: date(2019, 12, 10))  # the followers snapshot is in the window

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/api/v1/accounts/verify_credentials", json=fixture("verify_credentials.json")),
            Route(
                "GET",
                STATUSES,
                query={"max_id": "103246567800836242"},
                json=fixture("statuses_page3.json"),
                headers=link(STATUSES, "limit=40&exclude_reblogs=true&max_id=103214953267204242"),
            ),
            Route(
                "GET",
                STATUSES,
                query={"max_id": "103267810090684562"},
                json=fixture("statuses_page2.json"),
                headers=link(STATUSES, "limit=40&exclude_reblogs=true&max_id=103246567800836242"),
            ),
            Route(
                "GET",
                STATUSES,
                json=fixture("statuses_page1.json"),
                headers=link(STATUSES, "limit=40&exclude_reblogs=true&max_id=103267810090684562"),
            ),
            Route("GET", NOTIFICATIONS, query={"max_id": "34970001"}, json=fixture("notifications_page2.json")),
            Route(
                "GET",
                NOTIFICATIONS,
                json=fixture("notifications_page1.json"),
                headers=link(NOTIFICATIONS, "limit=40&types%5B%5D=mention&max_id=34970001"),
            ),
        ]

    def bad_credentials_routes(self) -> list[Route]:
        return [
            Route(
                "GET", "/api/v1/accounts/verify_credentials", status=401, json={"error": "The access token is invalid"}
            )
        ]
