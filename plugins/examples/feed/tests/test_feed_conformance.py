"""resonance-feed against the conformance kit, on a recorded RSS 2.0 blog and a recorded Atom press room.

The recordings (`fixtures/`) keep the feeds' real URLs, next links included; the kit serves them
from a local server given to the connector as its base-URL override, which stands in for every
feed's origin. A few tests of the parsing and of the rules that are the connector's own follow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import resonance_feed
from resonance_feed import FeedConnector, read_page
from resonance_sdk import (
    AccountRef,
    AuthenticationError,
    Checkpoint,
    ConnectorError,
    ForbiddenUrlError,
    MetricPoint,
    Post,
    Record,
    Window,
)
from resonance_sdk.testing import ConnectorConformance, Route, serving

FIXTURES = Path(__file__).parent / "fixtures"
RSS = {"Content-Type": "application/rss+xml; charset=UTF-8"}
ATOM = {"Content-Type": "application/atom+xml; charset=utf-8"}
MARCH = Window(since=date(2026, 3, 1), until=date(2026, 3, 31))

BLOG_URL = "https://blog.boulangerie-martin.example/feed.xml"
PRESS_URL = "https://press.fournil-co.example/releases/feed.atom"
PRESS_LOGIN = {"username": "journalistes", "password": "levain-2026-presse", "feed_url": PRESS_URL}


def recorded(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def blog_routes() -> list[Route]:
    """The blog's two pages; its third page is not recorded, as a run over March never needs it."""
    return [
        Route("GET", "/feed.xml", query={"page": "2"}, body=recorded("blog-page-2.rss.xml"), headers=RSS),
        Route("GET", "/feed.xml", body=recorded("blog-page-1.rss.xml"), headers=RSS),
    ]


def press_routes() -> list[Route]:
    return [
        Route("GET", "/releases/feed.atom", query={"page": "2"}, body=recorded("press-page-2.atom.xml"), headers=ATOM),
        Route("GET", "/releases/feed.atom", body=recorded("press-page-1.atom.xml"), headers=ATOM),
    ]


def refused() -> list[Route]:
    return [
        Route(
            "GET",
            path,
            status=401,
            body="Unauthorized",
            headers={"Content-Type": "text/plain", "WWW-Authenticate": 'Basic realm="presse"'},
        )
        for path in ("/feed.xml", "/releases/feed.atom")
    ]


class TestRssBlogConformance(ConnectorConformance):
    """A public RSS 2.0 blog, the account's handle being the feed URL; pages linked by `<atom:link rel="next">`."""

    connector = FeedConnector
    account = AccountRef(handle=BLOG_URL)
    window = MARCH
    bad_credentials = {"username": "martin", "password": "not-the-password", "feed_url": BLOG_URL}
    paginated_path = "/feed.xml"

    def routes(self) -> list[Route]:
        return blog_routes()

    def bad_credentials_routes(self) -> list[Route]:
        return refused()


class TestAtomPressRoomConformance(ConnectorConformance):
    """An Atom press room behind HTTP Basic authentication, named by `settings.feed_url`; `<link rel="next">`."""

    connector = FeedConnector
    account = AccountRef(handle="fournil-presse", credentials=PRESS_LOGIN, settings={"feed_url": PRESS_URL})
    window = MARCH
    bad_credentials = {**PRESS_LOGIN, "password": "expired-password"}
    paginated_path = "/releases/feed.atom"

    def routes(self) -> list[Route]:
        return press_routes()

    def bad_credentials_routes(self) -> list[Route]:
        return refused()


# --- the connector's own rules ---------------------------------------------------------------------


def run(routes: list[Route], account: AccountRef, window: Window = MARCH) -> list[Record]:
    """Every record of one fetch, against a local server standing in for the feed's site."""

    async def collect(base_url: str) -> list[Record]:
        connector = FeedConnector(base_url=base_url)
        return [record async for record in connector.fetch(account, window, {})]

    with serving(routes) as server:
        return asyncio.run(collect(server.base_url))


def posts_of(records: list[Record]) -> dict[str, Post]:
    return {record.external_id: record for record in records if isinstance(record, Post)}


def counts_of(records: list[Record]) -> dict[date, float]:
    return {record.day: record.value for record in records if isinstance(record, MetricPoint)}


def test_an_rss_item_becomes_a_post_with_its_time_in_utc_and_its_text_without_html() -> None:
    page = read_page(recorded("blog-page-1.rss.xml").encode(), url=BLOG_URL, content_type=RSS["Content-Type"])
    post = next(post for post in page.posts if post.external_id.endswith("?p=207"))
    assert post == Post(
        external_id="https://blog.boulangerie-martin.example/?p=207",
        published_at=datetime(2026, 3, 24, 17, 5, tzinfo=UTC),
        text="Notre pain au levain primé au concours régional\n\n"
        "Médaille d'or pour notre levain naturel au concours des boulangers d'Occitanie. Merci à toute l'équipe !",
        url="https://blog.boulangerie-martin.example/2026/03/levain-prime/",
        media_type="article",
        tags=("Actualités", "Concours"),
    )
    assert page.next_url == BLOG_URL + "?page=2"


def test_an_atom_entry_is_dated_by_updated_when_it_has_no_published_date_and_a_relative_next_link_resolves() -> None:
    page = read_page(recorded("press-page-1.atom.xml").encode(), url=PRESS_URL, content_type=ATOM["Content-Type"])
    results = next(post for post in page.posts if post.external_id.endswith("resultats-2025"))
    assert results.published_at == datetime(2026, 3, 12, 18, 45, tzinfo=UTC)
    assert results.text == (
        "Résultats annuels 2025 : chiffre d'affaires en hausse de 12 %\n\n"
        "Le groupe réalise 48 M€ de chiffre d'affaires. Détails dans le dossier de presse."
    )
    assert page.next_url == PRESS_URL + "?page=2"


def test_posts_published_counts_every_day_of_the_window_once_paging_reaches_before_it() -> None:
    records = run(blog_routes(), AccountRef(handle=BLOG_URL, kind="competitor"))
    counts = counts_of(records)
    assert sorted(counts) == [date(2026, 3, day) for day in range(1, 32)]
    assert {day: value for day, value in counts.items() if value} == {
        date(2026, 3, 3): 1,
        date(2026, 3, 10): 1,
        date(2026, 3, 16): 2,  # 08:00 and 23:30 Paris time are both the 16th in UTC
        date(2026, 3, 24): 1,
    }
    assert {record.quality for record in records if isinstance(record, MetricPoint)} == {"exact"}
    assert len(posts_of(records)) == 5  # April's entry and February's are outside the window
    assert records[-1] == Checkpoint(state={"last_day": "2026-03-31"})


def test_a_truncated_feed_is_counted_only_from_the_day_after_its_oldest_entry() -> None:
    records = run(press_routes(), TestAtomPressRoomConformance.account)
    counts = counts_of(records)
    # The press room's last page stops on March 4th without a next link: what came before is unknown,
    # and the 4th itself may have had entries that fell off the feed.
    assert min(counts) == date(2026, 3, 5)
    assert counts[date(2026, 3, 9)] == counts[date(2026, 3, 12)] == counts[date(2026, 3, 27)] == 1
    assert sum(counts.values()) == 3
    assert len(posts_of(records)) == 4


def test_an_entry_repeated_on_the_next_page_is_one_post_and_counts_once() -> None:
    page_1 = recorded("blog-page-1.rss.xml")
    levain = page_1[page_1.index("<item>", page_1.index("</item>")) : page_1.index("</item>", page_1.index("?p=207"))]
    assert "?p=207" in levain  # published on page 1 while page 2 was being read: now on both
    repeated = recorded("blog-page-2.rss.xml").replace("<item>", levain + "</item>\n    <item>", 1)
    routes = [
        Route("GET", "/feed.xml", query={"page": "2"}, body=repeated, headers=RSS),
        Route("GET", "/feed.xml", body=page_1, headers=RSS),
    ]
    records = run(routes, AccountRef(handle=BLOG_URL))
    ids = [record.external_id for record in records if isinstance(record, Post)]
    assert len(ids) == len(set(ids)) == 5
    assert counts_of(records)[date(2026, 3, 24)] == 1


@pytest.mark.parametrize(
    ("feed_url", "complaint"),
    [
        ("http://blog.boulangerie-martin.example/feed.xml", "must be an https URL"),
        ("https://127.0.0.1/feed.xml", "not an IP address"),
        ("https://localhost/feed.xml", "public host name"),
        ("https://martin:secret@blog.boulangerie-martin.example/feed.xml", "user name or password"),
        ("not a url", "must be an https URL"),
    ],
)
def test_the_feed_url_must_be_https_on_a_public_host_name(feed_url: str, complaint: str) -> None:
    with pytest.raises(ConnectorError, match=complaint):
        run(blog_routes(), AccountRef(handle="martin", settings={"feed_url": feed_url}))


def _through(handler: Callable[[httpx.Request], httpx.Response]) -> FeedConnector:
    """The connector with no override, its requests answered by `handler` instead of the internet."""
    return FeedConnector(transport=httpx.MockTransport(handler))


def test_without_an_override_the_feed_is_fetched_from_its_own_site_and_nowhere_else() -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        page = recorded("blog-page-1.rss.xml").replace(
            "https://blog.boulangerie-martin.example/feed.xml?page=2", "https://elsewhere.example/feed.xml?page=2"
        )
        return httpx.Response(200, headers=RSS, text=page)

    async def fetch() -> list[Record]:
        return [record async for record in _through(handler).fetch(AccountRef(handle=BLOG_URL), MARCH, {})]

    with pytest.raises(ForbiddenUrlError, match=r"elsewhere\.example"):
        asyncio.run(fetch())
    assert asked == [BLOG_URL]


def test_the_password_is_only_sent_to_the_site_it_was_given_for() -> None:
    asked: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(200, headers=ATOM, text=recorded("press-page-1.atom.xml"))

    account = AccountRef(handle="https://attacker.example/feed.atom", credentials=PRESS_LOGIN)

    async def fetch() -> list[Record]:
        return [record async for record in _through(handler).fetch(account, MARCH, {})]

    with pytest.raises(AuthenticationError, match="another site"):
        asyncio.run(fetch())
    assert asked == []


def test_check_sends_the_basic_credentials_to_the_feed_they_name() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url} {request.headers.get('authorization')}")
        return httpx.Response(200, headers=ATOM, text=recorded("press-page-1.atom.xml"))

    asyncio.run(_through(handler).check(PRESS_LOGIN))
    assert seen == [f"{PRESS_URL} Basic am91cm5hbGlzdGVzOmxldmFpbi0yMDI2LXByZXNzZQ=="]


def test_days_after_today_are_not_counted_yet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resonance_feed, "today", lambda: date(2026, 3, 20))
    records = run(blog_routes(), AccountRef(handle=BLOG_URL))
    assert max(counts_of(records)) == date(2026, 3, 20)
    assert records[-1] == Checkpoint(state={"last_day": "2026-03-20"})


def test_the_plugin_provides_the_feed_connector() -> None:
    connectors: Any = resonance_feed.resonance_connectors()
    assert connectors == [FeedConnector]
