"""The usage ledger: every billable fact counted once, in the transaction of the fact, per client."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.app import create_app
from api.billing.metering import UsageEvent
from tests.api.conftest import assert_problem, count_rows, create_account, create_client, sync_account
from tests.conftest import Agency, make_settings, run_syncs

if TYPE_CHECKING:
    from tests.conftest import TestDatabase


@pytest.fixture
def app(database: TestDatabase) -> Litestar:
    # These tests read exact totals of the facts of syncs and mentions; the API calls they make would be
    # metered (and written once their minute is over), so metering is off here (see test_rate_limits_api.py).
    return create_app(make_settings(database, billing_enabled=False))


TODAY = datetime.now(UTC).date()
PERIOD = f"{TODAY.year:04d}-{TODAY.month:02d}"


def usage(client: TestClient[Litestar], agency: Agency, **params: str) -> dict[str, object]:
    response = client.get("/v1/usage", params=params, headers=agency.headers)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def totals(body: dict[str, object]) -> dict[str, int]:
    return {meter["meter"]: meter["quantity"] for meter in body["meters"]}  # type: ignore[attr-defined]


def test_a_sync_bills_the_run_the_tracked_account_and_each_new_mention_once(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency, "Maison Dupont")
    account = create_account(client, agency, owner["id"], handle="dupont")
    first = sync_account(client, agency, account["id"], TODAY - timedelta(days=6), TODAY)
    assert first["status"] == "succeeded"
    assert first["mentions_count"] > 0

    again = sync_account(client, agency, account["id"], TODAY - timedelta(days=6), TODAY)  # the same window again
    body = usage(client, agency, period=PERIOD)

    assert again["status"] == "succeeded"
    # Two completed runs; one account tracked today; the same mentions analysed again are not billed twice.
    assert totals(body) == {
        "tracked_accounts": 1,
        "syncs": 2,
        "api_calls": 0,
        "mentions_analysed": first["mentions_count"],
    }
    assert body["clients"] == [
        {
            "client_id": owner["id"],
            "client_name": "Maison Dupont",
            "meters": {"tracked_accounts": 1, "syncs": 2, "mentions_analysed": first["mentions_count"]},
        }
    ]
    assert count_rows(database, UsageEvent, meter="syncs") == 2


def test_usage_is_split_per_client_and_a_deleted_clients_usage_stays(
    client: TestClient[Litestar], agency: Agency
) -> None:
    kept = create_client(client, agency, "Kept")
    gone = create_client(client, agency, "Gone")
    for owner in (kept, gone):
        account = create_account(client, agency, owner["id"], handle="h")
        sync_account(client, agency, account["id"], TODAY - timedelta(days=1), TODAY)
    assert client.delete(f"/v1/clients/{gone['id']}", headers=agency.headers).status_code == 204

    body = usage(client, agency)

    by_client = {entry["client_id"]: entry for entry in body["clients"]}  # type: ignore[attr-defined]
    assert by_client[kept["id"]]["client_name"] == "Kept"
    assert by_client[gone["id"]]["client_name"] is None  # deleted since, still billed
    assert by_client[gone["id"]]["meters"]["syncs"] == 1
    assert totals(body)["syncs"] == 2


def test_a_failed_sync_is_not_billed(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency)
    account = client.post(
        f"/v1/clients/{owner['id']}/accounts",
        json={"network": "demo", "handle": "refused", "credentials": {"api_token": "invalid"}},
        headers=agency.headers,
    ).json()

    queued = client.post(f"/v1/accounts/{account['id']}/syncs", json={}, headers=agency.headers)
    assert queued.status_code == 202, queued.text
    run_syncs(client)

    assert client.get(f"/v1/syncs/{queued.json()['id']}", headers=agency.headers).json()["status"] == "failed"
    assert totals(usage(client, agency)) == {"tracked_accounts": 0, "syncs": 0, "api_calls": 0, "mentions_analysed": 0}


def test_imported_mentions_are_billed_once_and_another_month_is_empty(
    client: TestClient[Litestar], agency: Agency
) -> None:
    owner = create_client(client, agency)
    rows = [
        {"source": "reviews", "external_id": f"r-{n}", "published_at": "2026-11-02T10:00:00Z", "text": "Très bon"}
        for n in range(3)
    ]
    for _ in range(2):  # the same import twice: the second updates nothing and bills nothing
        response = client.post(f"/v1/clients/{owner['id']}/mentions", json=rows, headers=agency.headers)
        assert response.status_code in (200, 201), response.text

    assert totals(usage(client, agency))["mentions_analysed"] == 3
    last_year = date(TODAY.year - 1, TODAY.month, 1)
    assert totals(usage(client, agency, period=f"{last_year:%Y-%m}")) == {
        "tracked_accounts": 0,
        "syncs": 0,
        "api_calls": 0,
        "mentions_analysed": 0,
    }


def test_a_bad_period_is_422_and_another_agency_sees_none_of_it(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency
) -> None:
    owner = create_client(client, agency)
    account = create_account(client, agency, owner["id"], handle="h")
    sync_account(client, agency, account["id"], TODAY, TODAY)

    for bad in ("2026-13", "november", "2026-1"):
        assert_problem(client.get("/v1/usage", params={"period": bad}, headers=agency.headers), 422, field="period")
    assert usage(client, other_agency)["clients"] == []
    assert totals(usage(client, other_agency))["syncs"] == 0
