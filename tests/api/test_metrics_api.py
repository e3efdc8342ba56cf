"""Metric series by day, ISO week and month: flows are summed, stocks keep their last value."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.metrics.models import StoredMetricPoint
from tests.api.conftest import (
    assert_problem,
    create_account,
    create_client,
    insert_metric_points,
    make_client_and_account,
    owner_connection,
    sync_account,
    table,
)
from tests.conftest import Agency

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

# Fri 30 Jan 2026 .. Mon 9 Feb 2026: three ISO weeks (starting Mon 26 Jan, 2 Feb, 9 Feb) and two months.
IMPRESSIONS = {
    date(2026, 1, 30): 100.0,
    date(2026, 1, 31): 20.0,
    date(2026, 2, 1): 3.0,
    date(2026, 2, 2): 400.0,
    date(2026, 2, 8): 50.0,
    date(2026, 2, 9): 6.0,
}
FOLLOWERS = {
    date(2026, 1, 30): 1000.0,
    date(2026, 1, 31): 1010.0,
    date(2026, 2, 1): 1005.0,
    date(2026, 2, 2): 1020.0,
    date(2026, 2, 8): 1100.0,
    date(2026, 2, 9): 1090.0,
}


def _store(database: TestDatabase, agency: Agency, account_id: str, scale: float = 1.0) -> None:
    insert_metric_points(
        database,
        agency.tenant_id,
        account_id,
        "impressions",
        "page_impressions",
        {day: value * scale for day, value in IMPRESSIONS.items()},
    )
    insert_metric_points(
        database,
        agency.tenant_id,
        account_id,
        "followers",
        "page_fans",
        {day: value * scale for day, value in FOLLOWERS.items()},
    )


def _read(client: TestClient[Litestar], agency: Agency, **params: Any) -> Any:
    response = client.get("/v1/metrics", params=params, headers=agency.headers)
    assert response.status_code == 200, response.text
    return response.json()


def _points(body: Any, metric: str, account_id: str | None = None) -> list[tuple[str, float]]:
    matching = [
        s for s in body["series"] if s["metric"] == metric and (account_id is None or s["account_id"] == account_id)
    ]
    assert len(matching) == 1, body["series"]
    return [(p["period"], p["value"]) for p in matching[0]["points"]]


@pytest.fixture
def stored_account(client: TestClient[Litestar], agency: Agency, database: TestDatabase) -> str:
    _, account = make_client_and_account(client, agency)
    _store(database, agency, account["id"])
    return str(account["id"])


def test_days_are_returned_as_stored(client: TestClient[Litestar], agency: Agency, stored_account: str) -> None:
    body = _read(client, agency, account_id=stored_account, **{"from": "2026-01-26", "to": "2026-02-15"})

    assert body["granularity"] == "day"
    assert (body["from"], body["to"]) == ("2026-01-26", "2026-02-15")
    assert _points(body, "impressions") == [(d.isoformat(), v) for d, v in IMPRESSIONS.items()]
    assert _points(body, "followers") == [(d.isoformat(), v) for d, v in FOLLOWERS.items()]


def test_weeks_start_on_monday_sum_flows_and_keep_the_last_stock(
    client: TestClient[Litestar], agency: Agency, stored_account: str
) -> None:
    body = _read(
        client, agency, account_id=stored_account, granularity="week", **{"from": "2026-01-26", "to": "2026-02-15"}
    )

    assert body["granularity"] == "week"
    assert _points(body, "impressions") == [("2026-01-26", 123.0), ("2026-02-02", 450.0), ("2026-02-09", 6.0)]
    # The last day of each week, not the largest value (1010 on Sat 31 Jan, 1100 on Sun 8 Feb stays as last).
    assert _points(body, "followers") == [("2026-01-26", 1005.0), ("2026-02-02", 1100.0), ("2026-02-09", 1090.0)]


def test_months_sum_flows_and_keep_the_last_stock(
    client: TestClient[Litestar], agency: Agency, stored_account: str
) -> None:
    body = _read(
        client, agency, account_id=stored_account, granularity="month", **{"from": "2026-01-26", "to": "2026-02-15"}
    )

    assert _points(body, "impressions") == [("2026-01-01", 120.0), ("2026-02-01", 459.0)]
    assert _points(body, "followers") == [("2026-01-01", 1010.0), ("2026-02-01", 1090.0)]


def test_periods_only_count_the_days_inside_the_range(
    client: TestClient[Litestar], agency: Agency, stored_account: str
) -> None:
    body = _read(
        client, agency, account_id=stored_account, granularity="week", **{"from": "2026-01-31", "to": "2026-02-08"}
    )

    assert _points(body, "impressions") == [("2026-01-26", 23.0), ("2026-02-02", 450.0)]
    assert _points(body, "followers") == [("2026-01-26", 1005.0), ("2026-02-02", 1100.0)]


def test_series_carry_their_definition_and_provenance(
    client: TestClient[Litestar], agency: Agency, stored_account: str
) -> None:
    body = _read(client, agency, account_id=stored_account, **{"from": "2026-01-26", "to": "2026-02-15"})

    followers = next(s for s in body["series"] if s["metric"] == "followers")
    assert (followers["aggregation"], followers["unit"]) == ("last", "accounts")
    assert (followers["network"], followers["handle"]) == ("demo", "martin")
    assert followers["native_metrics"] == ["page_fans"]
    assert followers["quality"] == ["exact"]
    assert datetime.fromisoformat(followers["last_fetched_at"].replace("Z", "+00:00")) == datetime(
        2026, 3, 1, 12, 0, tzinfo=UTC
    )
    impressions = next(s for s in body["series"] if s["metric"] == "impressions")
    assert (impressions["aggregation"], impressions["unit"]) == ("sum", "views")


def test_a_series_lists_every_native_metric_and_quality_and_its_latest_fetch(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    _owner, account = make_client_and_account(client, agency)
    # One series fed by a renamed native metric, one backfilled day, and fetches at three times, read in day order.
    provenance = [
        (date(2026, 1, 1), "page_total_media_view_unique", "exact", datetime(2026, 1, 2, 8, 0, tzinfo=UTC)),
        (date(2026, 1, 2), "page_impressions_unique", "backfilled", datetime(2026, 3, 5, 9, 30, tzinfo=UTC)),
        (date(2026, 1, 3), "page_total_media_view_unique", "exact", datetime(2026, 1, 4, 8, 0, tzinfo=UTC)),
    ]
    rows = [
        {
            "tenant_id": uuid.UUID(agency.tenant_id),
            "account_id": uuid.UUID(account["id"]),
            "metric": "reach",
            "day": day,
            "value": 10.0 * index,
            "native_metric": native,
            "quality": quality,
            "fetched_at": fetched,
            "sync_run_id": None,
        }
        for index, (day, native, quality, fetched) in enumerate(provenance)
    ]
    with owner_connection(database) as connection:
        connection.execute(table(StoredMetricPoint).insert(), rows)

    body = _read(client, agency, account_id=account["id"], **{"from": "2026-01-01", "to": "2026-01-03"})

    [reach] = body["series"]
    assert reach["native_metrics"] == ["page_impressions_unique", "page_total_media_view_unique"]
    assert reach["quality"] == ["backfilled", "exact"]
    assert reach["last_fetched_at"] == "2026-03-05T09:30:00Z"
    assert _points(body, "reach") == [("2026-01-01", 0.0), ("2026-01-02", 10.0), ("2026-01-03", 20.0)]


def test_metric_filter_keeps_only_the_metrics_asked_for(
    client: TestClient[Litestar], agency: Agency, stored_account: str
) -> None:
    window = {"from": "2026-01-26", "to": "2026-02-15"}

    only = _read(client, agency, account_id=stored_account, metric="followers", **window)
    both = _read(client, agency, account_id=stored_account, metric=["followers", "impressions"], **window)
    none_stored = _read(client, agency, account_id=stored_account, metric="reach", **window)

    assert [s["metric"] for s in only["series"]] == ["followers"]
    assert sorted(s["metric"] for s in both["series"]) == ["followers", "impressions"]
    assert none_stored["series"] == []


def test_client_id_returns_the_series_of_all_its_accounts(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner, first = make_client_and_account(client, agency, handle="first")
    second = create_account(client, agency, owner["id"], "second")
    elsewhere = create_client(client, agency, "Elsewhere")
    foreign = create_account(client, agency, elsewhere["id"], "foreign")
    _store(database, agency, first["id"])
    _store(database, agency, second["id"], scale=2.0)
    _store(database, agency, foreign["id"], scale=5.0)

    body = _read(
        client,
        agency,
        client_id=owner["id"],
        metric="impressions",
        granularity="month",
        **{"from": "2026-01-26", "to": "2026-02-15"},
    )

    assert sorted(s["account_id"] for s in body["series"]) == sorted([first["id"], second["id"]])
    assert _points(body, "impressions", first["id"]) == [("2026-01-01", 120.0), ("2026-02-01", 459.0)]
    assert _points(body, "impressions", second["id"]) == [("2026-01-01", 240.0), ("2026-02-01", 918.0)]


def test_client_without_accounts_has_no_series(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency)

    assert _read(client, agency, client_id=owner["id"])["series"] == []


def _independent_rollup(days: list[tuple[str, float]], granularity: str, aggregation: str) -> list[tuple[str, float]]:
    """Weeks grouped by ISO calendar (year, week), months by (year, month); periods named by their first day."""
    groups: dict[date, list[tuple[date, float]]] = defaultdict(list)
    for text, value in days:
        day = date.fromisoformat(text)
        if granularity == "week":
            year, week, _ = day.isocalendar()
            start = date.fromisocalendar(year, week, 1)
        else:
            start = date(day.year, day.month, 1)
        groups[start].append((day, value))
    result = []
    for start in sorted(groups):
        members = sorted(groups[start])
        total = sum(value for _, value in members) if aggregation == "sum" else members[-1][1]
        result.append((start.isoformat(), total))
    return result


def test_rollups_of_synced_demo_data_match_an_independent_computation(
    client: TestClient[Litestar], agency: Agency
) -> None:
    _, account = make_client_and_account(client, agency, handle="rollup_brand")
    sync_account(client, agency, account["id"], date(2026, 1, 20), date(2026, 2, 10))
    metrics = ["followers", "impressions", "engagements", "posts_published"]
    window = {"from": "2026-01-20", "to": "2026-02-10"}
    daily = _read(client, agency, account_id=account["id"], metric=metrics, **window)
    aggregation = {s["metric"]: s["aggregation"] for s in daily["series"]}
    assert aggregation == {"followers": "last", "impressions": "sum", "engagements": "sum", "posts_published": "sum"}
    assert all(len(_points(daily, m)) == 22 for m in metrics)

    for granularity in ("week", "month"):
        rolled = _read(client, agency, account_id=account["id"], metric=metrics, granularity=granularity, **window)
        for metric in metrics:
            expected = _independent_rollup(_points(daily, metric), granularity, aggregation[metric])
            actual = _points(rolled, metric)
            assert [period for period, _ in actual] == [period for period, _ in expected], (granularity, metric)
            assert [value for _, value in actual] == pytest.approx([value for _, value in expected])


def test_default_window_is_the_last_thirty_days(client: TestClient[Litestar], agency: Agency) -> None:
    _, account = make_client_and_account(client, agency)

    body = _read(client, agency, account_id=account["id"])

    today = datetime.now(UTC).date()
    assert date.fromisoformat(body["to"]) in {today, today - timedelta(days=1), today + timedelta(days=1)}
    assert date.fromisoformat(body["to"]) - date.fromisoformat(body["from"]) == timedelta(days=29)


INVALID_QUERIES: dict[str, tuple[dict[str, Any], str]] = {
    "neither id": ({}, "account_id"),
    "both ids": ({"client_id": "{client}", "account_id": "{account}"}, "account_id"),
    "unknown metric": ({"account_id": "{account}", "metric": "vibes"}, "metric"),
    "one unknown metric": ({"account_id": "{account}", "metric": ["followers", "vibes"]}, "metric"),
    "from after to": ({"account_id": "{account}", "from": "2026-02-01", "to": "2026-01-01"}, "from"),
    "range too long": ({"account_id": "{account}", "from": "2020-01-01", "to": "2026-01-01"}, "from"),
    "not a date": ({"account_id": "{account}", "from": "01/02/2026"}, "from"),
    "unknown granularity": ({"account_id": "{account}", "granularity": "year"}, "granularity"),
    "account id not a uuid": ({"account_id": "not-a-uuid"}, "account_id"),
}


def test_invalid_metrics_query_is_422_naming_the_parameter(
    client: TestClient[Litestar], agency: Agency, subtests: pytest.Subtests
) -> None:
    owner, account = make_client_and_account(client, agency)

    for case, (params, field) in INVALID_QUERIES.items():
        with subtests.test(case):
            filled = {
                name: value.format(client=owner["id"], account=account["id"]) if isinstance(value, str) else value
                for name, value in params.items()
            }
            response = client.get("/v1/metrics", params=filled, headers=agency.headers)
            assert_problem(response, 422, code="validation_error", field=field)


def test_unknown_account_or_client_is_404(client: TestClient[Litestar], agency: Agency) -> None:
    assert_problem(client.get("/v1/metrics", params={"account_id": str(uuid.uuid4())}, headers=agency.headers), 404)
    assert_problem(client.get("/v1/metrics", params={"client_id": str(uuid.uuid4())}, headers=agency.headers), 404)


def test_catalogue_lists_each_metric_with_its_aggregation(client: TestClient[Litestar], agency: Agency) -> None:
    response = client.get("/v1/metrics/catalog", headers=agency.headers)

    assert response.status_code == 200
    body = response.json()
    assert isinstance(body["version"], str)
    assert body["version"]
    metrics = {m["id"]: m for m in body["metrics"]}
    assert list(metrics) == sorted(metrics)
    assert metrics["followers"]["aggregation"] == "last"
    assert metrics["impressions"]["aggregation"] == "sum"
    assert metrics["reach"]["aggregation"] in {"sum", "last"}
    for metric in body["metrics"]:
        assert metric["unit"]
        assert metric["description"]
        assert metric["aggregation"] in {"sum", "last"}


def test_catalogue_names_each_connectors_native_metrics_with_their_validity(
    database: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import date as day

    from litestar.testing import TestClient as Client

    from api.app import create_app
    from plugins.registry import load_registry
    from plugins.sdk import MetricDeclaration
    from tests.conftest import make_settings, sign_up
    from tests.plugins_fixtures import chirp_connector

    monkeypatch.setattr(
        chirp_connector.ChirpConnector,
        "metrics",
        (
            MetricDeclaration(
                native="fans",
                canonical="followers",
                unit="accounts",
                valid_until=day(2025, 6, 30),
                replaced_by="followers_total",
            ),
            MetricDeclaration(
                native="followers_total", canonical="followers", unit="accounts", valid_from=day(2025, 7, 1)
            ),
        ),
    )
    app = create_app(make_settings(database), registry=load_registry(extra_plugins=[chirp_connector]))
    with Client(app) as test_client:
        agency = sign_up(test_client)
        body = test_client.get("/v1/metrics/catalog", headers=agency.headers).json()
    followers = next(metric for metric in body["metrics"] if metric["id"] == "followers")
    chirp = [source for source in followers["sources"] if source["connector"] == "chirp"]
    assert chirp == [
        {
            "connector": "chirp",
            "native": "fans",
            "unit": "accounts",
            "valid_from": None,
            "valid_until": "2025-06-30",
            "replaced_by": "followers_total",
        },
        {
            "connector": "chirp",
            "native": "followers_total",
            "unit": "accounts",
            "valid_from": "2025-07-01",
            "valid_until": None,
            "replaced_by": None,
        },
    ]
    assert any(source["connector"] == "demo" and source["native"] == "page_fans" for source in followers["sources"])
