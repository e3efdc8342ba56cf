"""The SDK's conformance suite run against the `linkedin` connector with recorded LinkedIn responses."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from plugins.connectors import linkedin
from plugins.connectors.linkedin import LinkedInConnector
from plugins.sdk import AccountRef, Window
from plugins.sdk.testing import ConnectorConformance, Route

FIXTURES = Path(__file__).parent / "fixtures" / "linkedin"
ORG = "urn:li:organization:2414183"
ORG_IN_PATH = "urn%3Ali%3Aorganization%3A2414183"  # Rest.li 2.0 escapes URNs in paths; the kit matches raw paths
P1, P2, P3, P4, P5 = (
    "urn:li:share:7392000000000000001",
    "urn:li:ugcPost:7391000000000000002",
    "urn:li:share:7390000000000000003",
    "urn:li:share:7389000000000000004",
    "urn:li:share:7380000000000000005",
)


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def comments_path(post_urn: str) -> str:
    return "/socialActions/" + post_urn.replace(":", "%3A") + "/comments"


class TestLinkedInConformance(ConnectorConformance):
    connector = LinkedInConnector
    account = AccountRef(
        handle="acme-industries",
        external_id="2414183",
        credentials={
            "access_token": "AQV-recorded-access-token",
            "refresh_token": "AQW-recorded-refresh-token",
            "client_id": "86abcdefghij",
            "client_secret": "WPL_AP1.recorded-secret",
        },
    )
    window = Window(since=date(2026, 11, 2), until=date(2026, 11, 8))
    bad_credentials = {"access_token": "AQV-revoked-access-token"}
    paginated_path = "/posts"

    @pytest.fixture(autouse=True)
    def _pinned_today(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The statistics endpoints' 12-month horizon is counted from today: pin it so the suite never ages."""
        monkeypatch.setattr(linkedin, "_today", lambda: date(2026, 11, 10))

    def routes(self) -> list[Route]:
        return [
            Route("GET", "/organizationAcls", query={"q": "roleAssignee"}, json=fixture("organization_acls.json")),
            Route(
                "GET",
                f"/networkSizes/{ORG_IN_PATH}",
                query={"edgeType": "COMPANY_FOLLOWED_BY_MEMBER"},
                json=fixture("network_sizes.json"),
            ),
            Route(
                "GET",
                "/organizationalEntityFollowerStatistics",
                query={"q": "organizationalEntity", "organizationalEntity": ORG},
                json=fixture("follower_statistics_daily.json"),
            ),
            Route(
                "GET",
                "/organizationalEntityShareStatistics",
                query={"shares": f"List({P3})", "ugcPosts": f"List({P2})"},
                json=fixture("post_statistics_page1.json"),
            ),
            Route(
                "GET",
                "/organizationalEntityShareStatistics",
                query={"shares": f"List({P4})"},
                json=fixture("post_statistics_page2.json"),
            ),
            Route(
                "GET",
                "/organizationalEntityShareStatistics",
                query={"q": "organizationalEntity", "organizationalEntity": ORG},
                json=fixture("share_statistics_daily.json"),
            ),
            Route("GET", "/posts", query={"author": ORG, "start": "3"}, json=fixture("posts_page2.json")),
            Route("GET", "/posts", query={"author": ORG, "start": "0"}, json=fixture("posts_page1.json")),
            Route("GET", comments_path(P2), query={"start": "2"}, json=fixture("comments_post2_page2.json")),
            Route("GET", comments_path(P2), query={"start": "0"}, json=fixture("comments_post2_page1.json")),
            Route("GET", comments_path(P3), json=fixture("comments_post3.json")),
            Route("GET", comments_path(P4), json=fixture("comments_empty.json")),
            Route("GET", comments_path(P5), json=fixture("comments_post5.json")),
        ]

    def bad_credentials_routes(self) -> list[Route]:
        return [Route("GET", "/organizationAcls", status=401, json=fixture("error_invalid_token.json"))]
