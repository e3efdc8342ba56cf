"""Posts of an account and mentions of a client: newest first, filtered by date, language, network, account."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.api.conftest import (
    assert_problem,
    create_account,
    list_all,
    make_client_and_account,
    parse_time,
    sync_account,
)
from tests.conftest import Agency

SINCE, UNTIL = date(2026, 1, 5), date(2026, 1, 18)


@pytest.fixture
def synced(client: TestClient[Litestar], agency: Agency) -> dict[str, Any]:
    """A client with two synced demo accounts over two weeks."""
    owner, first = make_client_and_account(client, agency, handle="brand")
    second = create_account(client, agency, owner["id"], "brand_talent")
    runs = {
        first["id"]: sync_account(client, agency, first["id"], SINCE, UNTIL),
        second["id"]: sync_account(client, agency, second["id"], SINCE, UNTIL),
    }
    return {"client": owner, "first": first, "second": second, "runs": runs}


def _published_days(items: list[Any]) -> list[date]:
    return [parse_time(item["published_at"]).date() for item in items]


def _assert_newest_first(items: list[Any]) -> None:
    keys = [(parse_time(item["published_at"]), item["id"]) for item in items]
    assert keys == sorted(keys, reverse=True)


def test_posts_are_listed_newest_first(client: TestClient[Litestar], agency: Agency, synced: dict[str, Any]) -> None:
    account = synced["first"]

    posts = list_all(client, agency, f"/v1/accounts/{account['id']}/posts")

    assert len(posts) == synced["runs"][account["id"]]["posts_count"] > 2
    _assert_newest_first(posts)
    assert {p["account_id"] for p in posts} == {account["id"]}
    assert all(SINCE <= day <= UNTIL for day in _published_days(posts))
    first = posts[0]
    assert first["external_id"]
    assert first["text"]
    assert first["url"]
    assert isinstance(first["metrics"], dict)
    assert "page_impressions" in first["metrics"]
    assert isinstance(first["tags"], list)


def test_posts_are_only_those_of_the_account(
    client: TestClient[Litestar], agency: Agency, synced: dict[str, Any]
) -> None:
    first = list_all(client, agency, f"/v1/accounts/{synced['first']['id']}/posts")
    second = list_all(client, agency, f"/v1/accounts/{synced['second']['id']}/posts")

    assert {p["id"] for p in first}.isdisjoint({p["id"] for p in second})
    assert {p["account_id"] for p in second} == {synced["second"]["id"]}


def test_posts_from_to_filter_includes_both_days(
    client: TestClient[Litestar], agency: Agency, synced: dict[str, Any]
) -> None:
    path = f"/v1/accounts/{synced['first']['id']}/posts"
    everything = list_all(client, agency, path)
    start, end = date(2026, 1, 8), date(2026, 1, 12)

    filtered = list_all(client, agency, path, **{"from": start.isoformat(), "to": end.isoformat()})

    expected = [p["id"] for p in everything if start <= parse_time(p["published_at"]).date() <= end]
    assert expected, "the demo data should have posts in the range"
    assert [p["id"] for p in filtered] == expected
    only_from = list_all(client, agency, path, **{"from": start.isoformat()})
    assert [p["id"] for p in only_from] == [
        p["id"] for p in everything if parse_time(p["published_at"]).date() >= start
    ]
    only_to = list_all(client, agency, path, to=end.isoformat())
    assert [p["id"] for p in only_to] == [p["id"] for p in everything if parse_time(p["published_at"]).date() <= end]


def test_posts_outside_the_synced_window_are_none(
    client: TestClient[Litestar], agency: Agency, synced: dict[str, Any]
) -> None:
    path = f"/v1/accounts/{synced['first']['id']}/posts"

    assert list_all(client, agency, path, **{"from": "2026-02-01", "to": "2026-02-28"}) == []


def test_mentions_are_listed_newest_first_for_all_the_clients_accounts(
    client: TestClient[Litestar], agency: Agency, synced: dict[str, Any]
) -> None:
    mentions = list_all(client, agency, f"/v1/clients/{synced['client']['id']}/mentions")

    expected_total = sum(run["mentions_count"] for run in synced["runs"].values())
    assert len(mentions) == expected_total > 0
    _assert_newest_first(mentions)
    assert {m["account_id"] for m in mentions} == {synced["first"]["id"], synced["second"]["id"]}
    assert {m["client_id"] for m in mentions} == {synced["client"]["id"]}
    assert {m["source"] for m in mentions} == {"demo"}
    assert {m["kind"] for m in mentions} <= {"mention", "comment"}


def test_mentions_filter_by_account(client: TestClient[Litestar], agency: Agency, synced: dict[str, Any]) -> None:
    path = f"/v1/clients/{synced['client']['id']}/mentions"
    account = synced["second"]

    mentions = list_all(client, agency, path, account_id=account["id"])

    assert len(mentions) == synced["runs"][account["id"]]["mentions_count"] > 0
    assert {m["account_id"] for m in mentions} == {account["id"]}
    unknown = client.get(path, params={"account_id": str(uuid.uuid4())}, headers=agency.headers)
    assert_problem(unknown, 404, code="not_found", field="account_id")


def test_mentions_filter_by_language(client: TestClient[Litestar], agency: Agency, synced: dict[str, Any]) -> None:
    path = f"/v1/clients/{synced['client']['id']}/mentions"
    everything = list_all(client, agency, path)

    french = list_all(client, agency, path, language="fr")
    english = list_all(client, agency, path, language="en")

    assert french
    assert english
    assert {m["language"] for m in french} == {"fr"}
    assert {m["language"] for m in english} == {"en"}
    assert len(french) + len(english) == len(everything)
    assert list_all(client, agency, path, language="de") == []


def test_mentions_filter_by_network(client: TestClient[Litestar], agency: Agency, synced: dict[str, Any]) -> None:
    path = f"/v1/clients/{synced['client']['id']}/mentions"

    assert len(list_all(client, agency, path, network="demo")) == len(list_all(client, agency, path))
    assert list_all(client, agency, path, network="mastodon") == []


def test_mentions_from_to_filter_includes_both_days(
    client: TestClient[Litestar], agency: Agency, synced: dict[str, Any]
) -> None:
    path = f"/v1/clients/{synced['client']['id']}/mentions"
    everything = list_all(client, agency, path)
    start, end = date(2026, 1, 10), date(2026, 1, 11)

    filtered = list_all(client, agency, path, **{"from": start.isoformat(), "to": end.isoformat()})

    expected = [m["id"] for m in everything if start <= parse_time(m["published_at"]).date() <= end]
    assert expected
    assert [m["id"] for m in filtered] == expected
    assert all(start <= day <= end for day in _published_days(filtered))


def test_mention_filters_combine(client: TestClient[Litestar], agency: Agency, synced: dict[str, Any]) -> None:
    path = f"/v1/clients/{synced['client']['id']}/mentions"
    account = synced["first"]
    everything = list_all(client, agency, path)
    start = date(2026, 1, 12)

    combined = list_all(client, agency, path, account_id=account["id"], language="en", **{"from": start.isoformat()})

    expected = [
        m["id"]
        for m in everything
        if m["account_id"] == account["id"] and m["language"] == "en" and parse_time(m["published_at"]).date() >= start
    ]
    assert expected
    assert [m["id"] for m in combined] == expected


INVALID_POST_QUERIES: dict[str, tuple[dict[str, Any], str]] = {
    "from after to": ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
    "from not a date": ({"from": "last week"}, "from"),
    "no such month": ({"to": "2026-13-01"}, "to"),
    "zero limit": ({"limit": 0}, "limit"),
}

INVALID_MENTION_QUERIES: dict[str, tuple[dict[str, Any], str]] = {
    "from after to": ({"from": "2026-02-01", "to": "2026-01-01"}, "from"),
    "to not a date": ({"to": "soon"}, "to"),
    "account id not a uuid": ({"account_id": "first"}, "account_id"),
    "negative limit": ({"limit": -1}, "limit"),
}


def test_invalid_post_and_mention_queries_are_422_naming_the_parameter(
    client: TestClient[Litestar], agency: Agency, subtests: pytest.Subtests
) -> None:
    owner, account = make_client_and_account(client, agency)
    lists = {
        f"/v1/accounts/{account['id']}/posts": INVALID_POST_QUERIES,
        f"/v1/clients/{owner['id']}/mentions": INVALID_MENTION_QUERIES,
    }

    for path, cases in lists.items():
        for case, (params, field) in cases.items():
            with subtests.test(case, path=path):
                response = client.get(path, params=params, headers=agency.headers)
                assert_problem(response, 422, code="validation_error", field=field)


def test_posts_of_an_unknown_account_and_mentions_of_an_unknown_client_are_404(
    client: TestClient[Litestar], agency: Agency
) -> None:
    assert_problem(client.get(f"/v1/accounts/{uuid.uuid4()}/posts", headers=agency.headers), 404, field="account_id")
    assert_problem(client.get(f"/v1/clients/{uuid.uuid4()}/mentions", headers=agency.headers), 404, field="client_id")
