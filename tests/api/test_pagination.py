"""Cursor pagination: a capped page size, and cursors that walk every item exactly once."""

from __future__ import annotations

import base64
import gc
import json
import logging
import sys
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from tests.api.conftest import assert_problem, create_account, create_client, create_key, sync_account
from tests.conftest import Agency, make_settings, sign_up

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

PAGE_SIZE_MAX = 3


@pytest.fixture
def small(database: TestDatabase) -> Iterator[TestClient[Litestar]]:
    """An app whose pages hold at most three items."""
    with TestClient(
        create_app(make_settings(database, page_size_max=PAGE_SIZE_MAX)), raise_server_exceptions=False
    ) as c:
        yield c


@pytest.fixture
def tenant(small: TestClient[Litestar]) -> Agency:
    return sign_up(small, "Agency Pages")


def _walk(client: TestClient[Litestar], agency: Agency, path: str, **params: Any) -> tuple[list[Any], list[int]]:
    """Every item by following next_cursor, and the size of each page."""
    items: list[Any] = []
    sizes: list[int] = []
    cursor = None
    while True:
        response = client.get(path, params={**params, **({"cursor": cursor} if cursor else {})}, headers=agency.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["data"])
        sizes.append(len(page["data"]))
        cursor = page["next_cursor"]
        if cursor is None:
            return items, sizes
        assert len(sizes) < 100


def _cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_limit_is_capped_at_the_configured_maximum(small: TestClient[Litestar], tenant: Agency) -> None:
    for n in range(5):
        create_client(small, tenant, f"Client {n}")

    capped = small.get("/v1/clients", params={"limit": 1000}, headers=tenant.headers).json()
    default = small.get("/v1/clients", headers=tenant.headers).json()
    smaller = small.get("/v1/clients", params={"limit": 2}, headers=tenant.headers).json()

    assert len(capped["data"]) == PAGE_SIZE_MAX
    assert capped["next_cursor"] is not None
    assert len(default["data"]) == PAGE_SIZE_MAX
    assert len(smaller["data"]) == 2


def test_a_capped_limit_says_so_in_the_answer(small: TestClient[Litestar], tenant: Agency) -> None:
    for n in range(5):
        create_client(small, tenant, f"Client {n}")

    capped = small.get("/v1/clients", params={"limit": 1000}, headers=tenant.headers)
    second = small.get(
        "/v1/clients", params={"limit": 1000, "cursor": capped.json()["next_cursor"]}, headers=tenant.headers
    )

    assert capped.headers["x-page-limit"] == str(PAGE_SIZE_MAX)
    assert capped.headers["x-page-limit-capped"] == (
        f"limit 1000 is above the largest page size, {PAGE_SIZE_MAX}: this page holds at most {PAGE_SIZE_MAX} "
        "items. Follow next_cursor for the others."
    )
    assert second.headers["x-page-limit-capped"].startswith("limit 1000 is above")
    assert [len(page.json()["data"]) for page in (capped, second)] == [PAGE_SIZE_MAX, 2]


def test_a_limit_within_the_maximum_is_applied_without_a_warning(small: TestClient[Litestar], tenant: Agency) -> None:
    asked = small.get("/v1/clients", params={"limit": 2}, headers=tenant.headers)
    at_most = small.get("/v1/clients", params={"limit": PAGE_SIZE_MAX}, headers=tenant.headers)
    default = small.get("/v1/clients", headers=tenant.headers)
    single = create_client(small, tenant, "Not a list")
    one = small.get(f"/v1/clients/{single['id']}", headers=tenant.headers)

    assert [answer.headers["x-page-limit"] for answer in (asked, at_most, default)] == ["2", "3", "3"]
    assert all("x-page-limit-capped" not in answer.headers for answer in (asked, at_most, default))
    assert "x-page-limit" not in one.headers  # not a list: no page size to tell


def test_last_page_has_no_cursor(small: TestClient[Litestar], tenant: Agency) -> None:
    for n in range(PAGE_SIZE_MAX):
        create_client(small, tenant, f"Client {n}")

    page = small.get("/v1/clients", headers=tenant.headers).json()

    assert len(page["data"]) == PAGE_SIZE_MAX
    assert page["next_cursor"] is None


@pytest.mark.parametrize("limit", [1, 2, 3, 50])
def test_cursor_walks_every_client_exactly_once_in_order(
    small: TestClient[Litestar], tenant: Agency, limit: int
) -> None:
    ids = [create_client(small, tenant, f"Client {n}")["id"] for n in range(7)]

    items, sizes = _walk(small, tenant, "/v1/clients", limit=limit)

    assert [c["id"] for c in items] == ids
    assert all(size <= min(limit, PAGE_SIZE_MAX) for size in sizes)
    assert sum(sizes) == 7


def test_items_added_during_a_walk_are_not_repeated(small: TestClient[Litestar], tenant: Agency) -> None:
    ids = [create_client(small, tenant, f"Client {n}")["id"] for n in range(4)]
    first = small.get("/v1/clients", params={"limit": 2}, headers=tenant.headers).json()
    ids.append(create_client(small, tenant, "Late")["id"])

    rest, _ = _walk(small, tenant, "/v1/clients", limit=2, cursor=first["next_cursor"])

    assert [c["id"] for c in first["data"] + rest] == ids


def test_cursor_walks_posts_and_mentions_newest_first_without_duplicates(
    small: TestClient[Litestar], tenant: Agency
) -> None:
    owner = create_client(small, tenant)
    account = create_account(small, tenant, owner["id"], "brand")
    run = sync_account(small, tenant, account["id"], date(2026, 1, 5), date(2026, 1, 14))

    posts, post_pages = _walk(small, tenant, f"/v1/accounts/{account['id']}/posts")
    mentions, mention_pages = _walk(small, tenant, f"/v1/clients/{owner['id']}/mentions")

    assert len(post_pages) > 1
    assert len(mention_pages) > 1
    for items, expected in ((posts, run["posts_count"]), (mentions, run["mentions_count"])):
        ids = [item["id"] for item in items]
        assert len(ids) == len(set(ids)) == expected
        stamps = [item["published_at"] for item in items]
        assert stamps == sorted(stamps, reverse=True)


def test_cursor_walks_accounts_syncs_and_keys(small: TestClient[Litestar], tenant: Agency) -> None:
    owner = create_client(small, tenant)
    accounts = [create_account(small, tenant, owner["id"], f"handle{n}")["id"] for n in range(5)]
    runs = [small.post(f"/v1/accounts/{accounts[0]}/syncs", headers=tenant.headers).json()["id"] for _ in range(4)]
    keys = [tenant.key_id] + [create_key(small, tenant, ["read"], name=f"k{n}").id for n in range(4)]

    walked_accounts, _ = _walk(small, tenant, f"/v1/clients/{owner['id']}/accounts")
    walked_runs, _ = _walk(small, tenant, f"/v1/accounts/{accounts[0]}/syncs")
    walked_keys, _ = _walk(small, tenant, "/v1/api-keys")

    assert [a["id"] for a in walked_accounts] == accounts
    assert [r["id"] for r in walked_runs] == list(reversed(runs))
    assert [k["id"] for k in walked_keys] == keys
    capped = small.get(f"/v1/accounts/{accounts[0]}/syncs", params={"limit": 1000}, headers=tenant.headers)
    assert capped.headers["x-page-limit"] == str(PAGE_SIZE_MAX)
    assert capped.headers["x-page-limit-capped"].startswith("limit 1000 is above the largest page size")


ONE_KEY_GARBAGE = [
    "not a cursor!",
    "%%%",
    _cursor({"id": 1}),
    _cursor([]),
    _cursor(["a", "b"]),
    _cursor(["not-a-uuid"]),
    _cursor([42]),
    _cursor([None]),
    _cursor([{"u": "not-a-uuid"}]),
    _cursor([{"t": "2026-01-01T00:00:00+00:00"}]),
    base64.urlsafe_b64encode(b"\xff\xfe").decode(),
]
"""Cursors for a list sorted by id: unreadable, the wrong width, or values that are not an id."""

TWO_KEY_GARBAGE = [
    _cursor(["x", "y"]),
    _cursor([{"t": "2026-01-05T00:00:00"}, {"u": "01a21613-ab19-76f0-8111-f8528117d19b"}]),
    _cursor([{"t": "2026-01-05T00:00:00+00:00"}, "abc"]),
    _cursor([{"t": "yesterday"}, {"u": "01a21613-ab19-76f0-8111-f8528117d19b"}]),
    _cursor([{"u": "01a21613-ab19-76f0-8111-f8528117d19b"}]),
]
"""Cursors for a list sorted by (published_at, id): naive or unreadable times, ids that are not ids."""


def test_garbage_cursor_is_422_naming_the_cursor(
    small: TestClient[Litestar], tenant: Agency, subtests: pytest.Subtests
) -> None:
    create_client(small, tenant)

    for cursor in ONE_KEY_GARBAGE:
        with subtests.test(cursor=cursor):
            response = small.get("/v1/clients", params={"cursor": cursor}, headers=tenant.headers)
            assert_problem(response, 422, code="validation_error", field="cursor")


def test_garbage_two_key_cursor_is_422(small: TestClient[Litestar], tenant: Agency, subtests: pytest.Subtests) -> None:
    owner = create_client(small, tenant)
    account = create_account(small, tenant, owner["id"])

    for cursor in TWO_KEY_GARBAGE:
        for path in (f"/v1/accounts/{account['id']}/posts", f"/v1/clients/{owner['id']}/mentions"):
            with subtests.test(cursor=cursor, path=path):
                response = small.get(path, params={"cursor": cursor}, headers=tenant.headers)
                assert_problem(response, 422, code="validation_error", field="cursor")


def test_a_cursor_from_another_list_is_refused_or_harmless(small: TestClient[Litestar], tenant: Agency) -> None:
    owner = create_client(small, tenant)
    account = create_account(small, tenant, owner["id"], "brand")
    sync_account(small, tenant, account["id"], date(2026, 1, 5), date(2026, 1, 9))
    post_cursor = small.get(f"/v1/accounts/{account['id']}/posts", headers=tenant.headers).json()["next_cursor"]
    assert post_cursor is not None

    response = small.get("/v1/clients", params={"cursor": post_cursor}, headers=tenant.headers)

    assert_problem(response, 422, field="cursor")


def test_invalid_limit_is_422(small: TestClient[Litestar], tenant: Agency, subtests: pytest.Subtests) -> None:
    for limit in ("0", "-3", "many"):
        with subtests.test(limit=limit):
            response = small.get("/v1/clients", params={"limit": limit}, headers=tenant.headers)
            assert_problem(response, 422, code="validation_error", field="limit")


def test_a_refused_limit_or_cursor_leaves_no_session_behind(
    database: TestDatabase, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refused `limit` used to abandon the `session` dependency's generator (resolved beside `page`): the garbage
    collector closed it later and asyncio logged "aclose(): asynchronous generator is already running"."""
    unraisable: list[Any] = []
    monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
    caplog.set_level(logging.WARNING, logger="asyncio")
    with TestClient(create_app(make_settings(database)), raise_server_exceptions=False) as client:
        agency = sign_up(client, "Agency Refused Pages")
        for params in ({"limit": "0"}, {"limit": "many"}, {"cursor": "not-a-cursor"}):
            response = client.get("/v1/clients", params=params, headers=agency.headers)
            assert_problem(response, 422, field=next(iter(params)))
        gc.collect()
    # The client's event loop has shut down: every async generator it ran is closed by now.
    assert [record.getMessage() for record in caplog.records if record.name == "asyncio"] == []
    assert unraisable == []
