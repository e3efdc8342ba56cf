"""The metrics read cache: repeated reads are served from memory, changes in this process show at once,
changes made elsewhere show within the TTL, and one tenant's cached answer never reaches another."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from tests.api.conftest import insert_metric_points, make_client_and_account, sync_account
from tests.conftest import Agency, TestDatabase, make_settings, sign_up

DAY = date(2026, 3, 2)


@pytest.fixture
def cached_client(database: TestDatabase) -> Iterator[TestClient[Litestar]]:
    with TestClient(create_app(make_settings(database, metrics_cache_seconds=60))) as test_client:
        yield test_client


def read(client: TestClient[Litestar], agency: Agency, account_id: str) -> tuple[str, list[float]]:
    response = client.get(
        "/v1/metrics",
        params={"account_id": account_id, "metric": "impressions", "from": DAY.isoformat(), "to": DAY.isoformat()},
        headers=agency.headers,
    )
    assert response.status_code == 200, response.text
    values = [point["value"] for series in response.json()["series"] for point in series["points"]]
    return response.headers["x-cache"], values


def test_a_repeated_read_is_served_from_the_cache(cached_client: TestClient[Litestar], database: TestDatabase) -> None:
    agency = sign_up(cached_client)
    _, account = make_client_and_account(cached_client, agency)
    insert_metric_points(database, agency.tenant_id, account["id"], "impressions", "page_impressions", {DAY: 10})
    assert read(cached_client, agency, account["id"]) == ("miss", [10.0])
    # A change made by another process (here: straight into the database) shows only after the TTL.
    insert_metric_points(
        database, agency.tenant_id, account["id"], "impressions", "page_impressions", {date(2026, 3, 3): 99}
    )
    assert read(cached_client, agency, account["id"]) == ("hit", [10.0])


def test_a_stale_entry_is_served_while_it_is_read_again(
    cached_client: TestClient[Litestar], database: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    agency = sign_up(cached_client)
    _, account = make_client_and_account(cached_client, agency)
    assert read(cached_client, agency, account["id"]) == ("miss", [])
    insert_metric_points(database, agency.tenant_id, account["id"], "impressions", "page_impressions", {DAY: 7})
    cache = cached_client.app.state.services.metrics_cache
    later = cache.clock() + 61  # past the 60 s TTL, within the stale period
    monkeypatch.setattr(cache, "clock", lambda: later)
    assert read(cached_client, agency, account["id"]) == ("hit", [])  # at once, without waiting for the database
    for _ in range(100):  # meanwhile one background task reads the database again
        answer = read(cached_client, agency, account["id"])
        if answer[1]:
            break
        time.sleep(0.02)
    assert answer == ("hit", [7.0])


def test_an_entry_too_old_to_serve_is_read_again(
    cached_client: TestClient[Litestar], database: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    agency = sign_up(cached_client)
    _, account = make_client_and_account(cached_client, agency)
    assert read(cached_client, agency, account["id"]) == ("miss", [])
    insert_metric_points(database, agency.tenant_id, account["id"], "impressions", "page_impressions", {DAY: 7})
    cache = cached_client.app.state.services.metrics_cache
    later = cache.clock() + 121  # past twice the TTL: not even stale any more
    monkeypatch.setattr(cache, "clock", lambda: later)
    assert read(cached_client, agency, account["id"]) == ("miss", [7.0])


def test_a_sync_in_this_process_shows_at_once(cached_client: TestClient[Litestar]) -> None:
    agency = sign_up(cached_client)
    _, account = make_client_and_account(cached_client, agency)
    assert read(cached_client, agency, account["id"]) == ("miss", [])
    sync_account(cached_client, agency, account["id"], DAY, DAY)
    cache, values = read(cached_client, agency, account["id"])
    assert cache == "miss"
    assert len(values) == 1
    assert values[0] > 0


def test_deleting_the_account_drops_its_cached_reads(
    cached_client: TestClient[Litestar], database: TestDatabase
) -> None:
    agency = sign_up(cached_client)
    _, account = make_client_and_account(cached_client, agency)
    insert_metric_points(database, agency.tenant_id, account["id"], "impressions", "page_impressions", {DAY: 3})
    read(cached_client, agency, account["id"])
    assert cached_client.delete(f"/v1/accounts/{account['id']}", headers=agency.headers).status_code == 204
    response = cached_client.get(
        "/v1/metrics",
        params={"account_id": account["id"], "metric": "impressions", "from": DAY.isoformat(), "to": DAY.isoformat()},
        headers=agency.headers,
    )
    assert response.status_code == 404


def test_another_tenant_never_gets_a_cached_answer(cached_client: TestClient[Litestar], database: TestDatabase) -> None:
    agency, other = sign_up(cached_client), sign_up(cached_client)
    _, account = make_client_and_account(cached_client, agency)
    insert_metric_points(database, agency.tenant_id, account["id"], "impressions", "page_impressions", {DAY: 5})
    assert read(cached_client, agency, account["id"]) == ("miss", [5.0])
    response = cached_client.get(
        "/v1/metrics",
        params={"account_id": account["id"], "metric": "impressions", "from": DAY.isoformat(), "to": DAY.isoformat()},
        headers=other.headers,
    )
    assert response.status_code == 404
    assert "5.0" not in response.text


def test_a_zero_ttl_turns_the_cache_off(database: TestDatabase) -> None:
    with TestClient(create_app(make_settings(database, metrics_cache_seconds=0))) as test_client:
        agency = sign_up(test_client)
        _, account = make_client_and_account(test_client, agency)
        assert read(test_client, agency, account["id"])[0] == "miss"
        assert read(test_client, agency, account["id"])[0] == "miss"
