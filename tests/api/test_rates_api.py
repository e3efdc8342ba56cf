"""Rates by period in the client's time zone: engagement rate (reach, else impressions), follower growth
(a stock, by its last value) and reach per post, every number computed by hand from crafted rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.api.analytics_rows import insert_daily, insert_posts
from tests.api.conftest import assert_problem, create_account, create_client
from tests.conftest import Agency

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

TZ = "America/New_York"  # UTC-5 until Sun 8 Mar 2026 02:00, UTC-4 after
WINDOW = {"from": "2026-02-23", "to": "2026-03-08"}  # Mon 23 Feb .. Sun 8 Mar: two ISO weeks, Feb (6 days) and Mar (8)

DAILY = {
    "followers": {
        date(2026, 2, 20): 1000.0,  # before the window: the base of the first period
        date(2026, 2, 23): 1010.0,
        date(2026, 2, 28): 1040.0,
        date(2026, 3, 1): 1050.0,
        date(2026, 3, 8): 1100.0,
    },
    "engagements": {date(2026, 2, 23): 30.0, date(2026, 3, 1): 20.0, date(2026, 3, 2): 50.0},
    "reach": {date(2026, 2, 23): 600.0, date(2026, 3, 1): 400.0},  # none in the second week
    "impressions": {date(2026, 2, 23): 1000.0, date(2026, 3, 2): 2000.0},
}
POSTS = [
    datetime(2026, 2, 23, 4, 0, tzinfo=UTC),  # Sun 22 Feb 23:00 local: before the window
    datetime(2026, 2, 24, 15, 0, tzinfo=UTC),  # Tue 24 Feb
    datetime(2026, 3, 1, 3, 0, tzinfo=UTC),  # Sat 28 Feb 22:00 local: February, not March
    datetime(2026, 3, 2, 2, 0, tzinfo=UTC),  # Sun 1 Mar 21:00 local: first week, not the second
    datetime(2026, 3, 3, 12, 0, tzinfo=UTC),  # Tue 3 Mar
    datetime(2026, 3, 9, 3, 0, tzinfo=UTC),  # Sun 8 Mar 23:00 local (EDT): inside the window
]


@pytest.fixture
def setup(client: TestClient[Litestar], agency: Agency, database: TestDatabase) -> dict[str, Any]:
    owner = create_client(client, agency, "Boulangerie Martin", timezone=TZ)
    account = create_account(client, agency, owner["id"], "martin")
    insert_daily(database, agency.tenant_id, account["id"], DAILY)
    insert_posts(database, agency.tenant_id, account["id"], [(moment, {}) for moment in POSTS])
    return {"client": owner, "account": account}


def _rates(client: TestClient[Litestar], agency: Agency, client_id: str, **params: Any) -> Any:
    response = client.get(f"/v1/clients/{client_id}/rates", params=params, headers=agency.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _periods(body: Any, account_id: str) -> dict[str, Any]:
    [account] = [a for a in body["accounts"] if a["account_id"] == account_id]
    return {p["period"]: p for p in account["periods"]}


def test_weeks_in_the_clients_zone(client: TestClient[Litestar], agency: Agency, setup: dict[str, Any]) -> None:
    body = _rates(client, agency, setup["client"]["id"], granularity="week", **WINDOW)
    weeks = _periods(body, setup["account"]["id"])

    assert body["timezone"] == TZ
    assert (body["from"], body["to"], body["granularity"]) == ("2026-02-23", "2026-03-08", "week")
    assert list(weeks) == ["2026-02-23", "2026-03-02"]
    first, second = weeks["2026-02-23"], weeks["2026-03-02"]
    # Week 1: engagements 30 + 20 = 50, reach 600 + 400 = 1000 -> 0.05 on reach.
    assert (first["days"], first["engagements"], first["reach"], first["impressions"]) == (7, 50.0, 1000.0, 1000.0)
    assert first["engagement_rate"] == pytest.approx(0.05)
    assert first["engagement_rate_denominator"] == "reach"
    assert first["engagements_source"] == "engagements"
    # Week 2 has no reach: 50 engagements / 2000 impressions = 0.025 on impressions.
    assert (second["engagements"], second["reach"], second["impressions"]) == (50.0, None, 2000.0)
    assert second["engagement_rate"] == pytest.approx(0.025)
    assert second["engagement_rate_denominator"] == "impressions"
    # Followers: 1000 (20 Feb, before the window) -> 1050 (1 Mar); then 1050 -> 1100 (8 Mar).
    assert (first["followers_start"], first["followers_start_day"], first["followers_end"]) == (
        1000.0,
        "2026-02-20",
        1050.0,
    )
    assert first["follower_growth"] == 50.0
    assert first["follower_growth_pct"] == pytest.approx(5.0)
    assert (second["followers_start"], second["followers_start_day"], second["followers_end"]) == (
        1050.0,
        "2026-03-01",
        1100.0,
    )
    assert second["follower_growth_pct"] == pytest.approx(50 / 1050 * 100)
    # Posts on local days: 24 Feb, 28 Feb, 1 Mar in week 1; 3 Mar, 8 Mar in week 2.
    assert (first["posts"], second["posts"]) == (3, 2)
    assert first["reach_per_post"] == pytest.approx(1000 / 3)
    assert second["reach_per_post"] is None  # no reach that week
    assert {"engagement_rate", "follower_growth", "reach_per_post"} <= set(body["definitions"])
    assert "impressions" in body["definitions"]["engagement_rate"]


def test_months_in_the_clients_zone(client: TestClient[Litestar], agency: Agency, setup: dict[str, Any]) -> None:
    months = _periods(
        _rates(client, agency, setup["client"]["id"], granularity="month", **WINDOW), setup["account"]["id"]
    )

    february, march = months["2026-02-01"], months["2026-03-01"]
    assert (february["days"], march["days"]) == (6, 8)
    assert (february["engagements"], february["reach"]) == (30.0, 600.0)
    assert february["engagement_rate"] == pytest.approx(0.05)
    assert (march["engagements"], march["reach"], march["engagement_rate_denominator"]) == (70.0, 400.0, "reach")
    assert march["engagement_rate"] == pytest.approx(70 / 400)
    assert (february["followers_start"], february["followers_end"], february["follower_growth"]) == (
        1000.0,
        1040.0,
        40.0,
    )
    assert february["follower_growth_pct"] == pytest.approx(4.0)
    assert (march["followers_start"], march["followers_start_day"], march["followers_end"]) == (
        1040.0,
        "2026-02-28",
        1100.0,
    )
    assert march["follower_growth_pct"] == pytest.approx(60 / 1040 * 100)
    # The post at 03:00 UTC on 1 Mar is 28 Feb in New York.
    assert (february["posts"], march["posts"]) == (2, 3)
    assert february["reach_per_post"] == pytest.approx(300.0)
    assert march["reach_per_post"] == pytest.approx(400 / 3)


def test_days_follow_the_stock_across_days_without_a_value(
    client: TestClient[Litestar], agency: Agency, setup: dict[str, Any]
) -> None:
    days = _periods(_rates(client, agency, setup["client"]["id"], **WINDOW), setup["account"]["id"])

    assert len(days) == 14
    assert (days["2026-02-23"]["follower_growth"], days["2026-02-23"]["follower_growth_pct"]) == (10.0, 1.0)
    # 24 Feb stores no follower count: the start is 23 Feb's, the end and growth unknown.
    assert (days["2026-02-24"]["followers_start"], days["2026-02-24"]["followers_end"]) == (1010.0, None)
    assert days["2026-02-24"]["follower_growth"] is None
    assert (days["2026-02-24"]["posts"], days["2026-02-24"]["engagement_rate"]) == (1, None)
    assert (days["2026-03-01"]["followers_start_day"], days["2026-03-01"]["follower_growth"]) == ("2026-02-28", 10.0)
    assert (days["2026-02-28"]["posts"], days["2026-03-01"]["posts"], days["2026-03-08"]["posts"]) == (1, 1, 1)
    assert days["2026-03-01"]["reach_per_post"] == pytest.approx(400.0)


def test_engagements_add_up_interactions_where_the_network_reports_none(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, setup: dict[str, Any]
) -> None:
    rival = create_account(client, agency, setup["client"]["id"], "rival", kind="competitor")
    insert_daily(
        database,
        agency.tenant_id,
        rival["id"],
        {
            "reactions": {date(2026, 2, 23): 8.0},
            "comments": {date(2026, 2, 24): 2.0},
            "impressions": {date(2026, 2, 23): 200.0},
        },
    )

    body = _rates(client, agency, setup["client"]["id"], granularity="week", kind="competitor", **WINDOW)

    assert [a["account_id"] for a in body["accounts"]] == [rival["id"]]
    week = _periods(body, rival["id"])["2026-02-23"]
    assert (week["engagements"], week["engagements_source"], week["engagement_rate_denominator"]) == (
        10.0,
        "sum_of_interactions",
        "impressions",
    )
    assert week["engagement_rate"] == pytest.approx(0.05)
    empty = _periods(body, rival["id"])["2026-03-02"]
    assert (empty["engagements"], empty["engagement_rate"], empty["posts"], empty["reach_per_post"]) == (
        None,
        None,
        0,
        None,
    )


def test_one_account_of_the_client(client: TestClient[Litestar], agency: Agency, setup: dict[str, Any]) -> None:
    other = create_account(client, agency, setup["client"]["id"], "second")

    body = _rates(client, agency, setup["client"]["id"], account_id=other["id"], granularity="month", **WINDOW)

    assert [a["account_id"] for a in body["accounts"]] == [other["id"]]
    assert [p["posts"] for p in body["accounts"][0]["periods"]] == [0, 0]


def test_invalid_queries_are_422_naming_the_parameter(
    client: TestClient[Litestar], agency: Agency, setup: dict[str, Any]
) -> None:
    path = f"/v1/clients/{setup['client']['id']}/rates"

    assert_problem(client.get(path, params={"granularity": "year"}, headers=agency.headers), 422, field="granularity")
    assert_problem(
        client.get(path, params={"from": "2026-03-02", "to": "2026-03-01"}, headers=agency.headers), 422, field="from"
    )
    assert_problem(client.get(path, params={"kind": "friend"}, headers=agency.headers), 422, field="kind")
    assert_problem(client.get(path, params={"from": "yesterday"}, headers=agency.headers), 422, field="from")


def test_an_account_of_another_client_is_404(
    client: TestClient[Litestar], agency: Agency, setup: dict[str, Any]
) -> None:
    elsewhere = create_client(client, agency, "Another client")
    foreign = create_account(client, agency, elsewhere["id"], "foreign")

    response = client.get(
        f"/v1/clients/{setup['client']['id']}/rates", params={"account_id": foreign["id"]}, headers=agency.headers
    )

    assert_problem(response, 404, code="not_found", field="account_id")


def test_rates_need_an_api_key(client: TestClient[Litestar], setup: dict[str, Any]) -> None:
    assert_problem(client.get(f"/v1/clients/{setup['client']['id']}/rates"), 401)
