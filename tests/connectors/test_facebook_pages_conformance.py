"""The SDK conformance kit run against the `facebook_pages` connector with the recorded Graph API answers."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from plugins.connectors._meta_graph import GRAPH_API_VERSION
from plugins.connectors.facebook_pages import FacebookPagesConnector
from plugins.sdk import AccountRef, Window
from plugins.sdk.testing import ConnectorConformance, Route

FIXTURES = Path(__file__).parent / "fixtures" / "facebook_pages"
PAGE_ID = "104017745210123"
V = f"/{GRAPH_API_VERSION}"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


class TestFacebookPagesConformance(ConnectorConformance):
    connector = FacebookPagesConnector
    account = AccountRef(
        handle="boulangerie.dupont",
        external_id=PAGE_ID,
        credentials={"page_access_token": "EAAGm0PX4ZCpsBAKZAZBconformance"},
    )
    window = Window(since=date(2026, 3, 1), until=date(2026, 3, 3))
    bad_credentials = {"page_access_token": "EAAGexpiredorrevoked"}
    paginated_path = f"{V}/{PAGE_ID}/posts"

    def routes(self) -> list[Route]:
        posts_after = fixture("posts_page1.json")["paging"]["cursors"]["after"]
        comments_after = fixture("comments_1201_page1.json")["paging"]["cursors"]["after"]
        return [
            Route("GET", f"{V}/me", json=fixture("me.json")),
            Route("GET", f"{V}/{PAGE_ID}/insights", json=fixture("page_insights.json")),
            Route("GET", self.paginated_path, query={"after": posts_after}, json=fixture("posts_page2.json")),
            Route("GET", self.paginated_path, json=fixture("posts_page1.json")),
            Route(
                "GET",
                f"{V}/{PAGE_ID}_1201/comments",
                query={"after": comments_after},
                json=fixture("comments_1201_page2.json"),
            ),
            Route("GET", f"{V}/{PAGE_ID}_1201/comments", json=fixture("comments_1201_page1.json")),
            Route("GET", f"{V}/{PAGE_ID}_1190/comments", json=fixture("comments_1190.json")),
            Route("GET", f"{V}/{PAGE_ID}/tagged", json=fixture("tagged.json")),
        ]

    def bad_credentials_routes(self) -> list[Route]:
        return [Route("GET", f"{V}/me", status=400, json=fixture("error_190_invalid.json"))]
