"""Objectives: progress, expected pace, forecast, status and the main driver, on crafted series computed by hand."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from api.objectives.progress import ObjectiveProgress, find_objective, objective_status
from tests.api.conftest import assert_problem, create_account, create_client, insert_metric_points, list_all
from tests.conftest import Agency, TestDatabase

LINKEDIN = {"access_token": "token"}
INSTAGRAM = {"access_token": "token", "ig_user_id": "1"}


def days(first: date, last: date, value: float) -> dict[date, float]:
    return {first + timedelta(days=n): value for n in range((last - first).days + 1)}


@pytest.fixture
def scene(client: TestClient[Litestar], agency: Agency, database: TestDatabase) -> dict[str, str]:
    """A client with two owned accounts (LinkedIn, Instagram) and an Instagram competitor."""
    owner = create_client(client, agency, "Objective Client")["id"]
    linkedin = create_account(client, agency, owner, "obj_li", network="linkedin", credentials=LINKEDIN)["id"]
    instagram = create_account(client, agency, owner, "obj_ig", network="instagram", credentials=INSTAGRAM)["id"]
    rival = create_account(
        client, agency, owner, "rival", network="instagram", kind="competitor", credentials=INSTAGRAM
    )

    def points(account: str, metric: str, values: dict[date, float]) -> None:
        insert_metric_points(database, agency.tenant_id, account, metric, metric, values)

    # impressions: the 30 days before March (the share basis) and March so far
    points(linkedin, "impressions", {date(2026, 2, 10): 100, **days(date(2026, 3, 1), date(2026, 3, 10), 20)})
    points(instagram, "impressions", {date(2026, 2, 20): 300, **days(date(2026, 3, 1), date(2026, 3, 10), 40)})
    points(rival["id"], "impressions", days(date(2026, 2, 1), date(2026, 3, 10), 100_000))
    # followers: a stock
    points(linkedin, "followers", {date(2026, 2, 27): 1000, date(2026, 3, 6): 1010, date(2026, 3, 20): 1038})
    points(instagram, "followers", {date(2026, 2, 28): 3000, date(2026, 3, 20): 3000})
    points(rival["id"], "followers", {date(2026, 2, 28): 90_000, date(2026, 3, 20): 99_000})
    # engagement rate inputs
    points(linkedin, "reach", {date(2026, 3, 1): 1000})
    points(linkedin, "engagements", {date(2026, 3, 1): 30})
    points(instagram, "reach", {date(2026, 3, 1): 500})
    points(instagram, "engagements", {date(2026, 3, 1): 5})
    points(linkedin, "mentions", days(date(2026, 3, 1), date(2026, 3, 10), 12))
    return {"client_id": owner, "linkedin": linkedin, "instagram": instagram, "rival": rival["id"]}


def create(client: TestClient[Litestar], agency: Agency, owner: str, **body: Any) -> Any:
    response = client.post(f"/v1/clients/{owner}/objectives", json=body, headers=agency.headers)
    assert response.status_code == 201, response.text
    return response.json()


def progress(client: TestClient[Litestar], agency: Agency, owner: str, objective: str, as_of: str) -> Any:
    response = client.get(
        f"/v1/clients/{owner}/objectives/{objective}", params={"as_of": as_of}, headers=agency.headers
    )
    assert response.status_code == 200, response.text
    return response.json()["progress"]


MARCH_IMPRESSIONS = {"metric": "impressions", "start": "2026-03-01", "end": "2026-03-30"}


def test_a_flow_behind_pace_is_off_track_with_the_account_furthest_behind_its_share(
    client: TestClient[Litestar], agency: Agency, scene: dict[str, str]
) -> None:
    made = create(client, agency, scene["client_id"], target="3000", **MARCH_IMPRESSIONS)

    state = progress(client, agency, scene["client_id"], made["id"], "2026-03-10")

    # 10 of 30 days gone; so far 10 × 20 + 10 × 40 = 600 (the competitor's 100,000 a day do not count)
    assert (state["kind"], state["elapsed_days"], state["total_days"]) == ("flow", 10, 30)
    assert state["value"] == "600.00"
    assert state["expected_by_now"] == "1000.00"  # 3000 × 10 ÷ 30
    assert state["forecast"] == "1800.00"  # 600 ÷ 10 × 30
    assert state["percent_of_target"] == "20.00"
    assert state["status"] == "off_track"
    # shares from the 30 days before March: LinkedIn 100, Instagram 300 → 0.25 / 0.75
    # expected by now: LinkedIn 250 (did 200, 50 short), Instagram 750 (did 400, 350 short) → Instagram drives
    # (equal shares would blame LinkedIn: 500 − 200 = 300 against 500 − 400 = 100)
    contributions = {c["network"]: c for c in state["contributions"]}
    assert contributions["linkedin"] == {
        "account_id": scene["linkedin"],
        "network": "linkedin",
        "handle": "obj_li",
        "share": "0.2500",
        "actual": "200.00",
        "expected": "250.00",
        "shortfall": "50.00",
    }
    assert (contributions["instagram"]["share"], contributions["instagram"]["shortfall"]) == ("0.7500", "350.00")
    assert state["driver"]["account_id"] == scene["instagram"]
    assert state["driver"]["shortfall"] == "350.00"
    assert "flows" in state["definition"]


@pytest.mark.parametrize(
    ("target", "as_of", "status"),
    [
        ("1500", "2026-03-10", "on_track"),  # forecast 1800 ≥ 1500
        ("500", "2026-03-10", "achieved"),  # 600 already ≥ 500
        ("3000", "2026-04-02", "missed"),  # the period ended at 600
        ("3000", "2026-02-27", "not_started"),
    ],
)
def test_flow_statuses(
    client: TestClient[Litestar], agency: Agency, scene: dict[str, str], target: str, as_of: str, status: str
) -> None:
    made = create(client, agency, scene["client_id"], target=target, **MARCH_IMPRESSIONS)

    state = progress(client, agency, scene["client_id"], made["id"], as_of)

    assert state["status"] == status
    assert state["driver"] is None


def test_at_most_flow_is_missed_once_the_limit_is_passed(
    client: TestClient[Litestar], agency: Agency, scene: dict[str, str]
) -> None:
    owner = scene["client_id"]
    limit = create(
        client,
        agency,
        owner,
        metric="mentions",
        target="100",
        direction="at_most",
        start="2026-03-01",
        end="2026-03-31",
    )
    loose = create(
        client,
        agency,
        owner,
        metric="mentions",
        target="400",
        direction="at_most",
        start="2026-03-01",
        end="2026-03-31",
    )
    tight = create(
        client,
        agency,
        owner,
        metric="mentions",
        target="300",
        direction="at_most",
        start="2026-03-01",
        end="2026-03-31",
    )

    over = progress(client, agency, owner, limit["id"], "2026-03-10")
    within = progress(client, agency, owner, loose["id"], "2026-03-10")
    heading_over = progress(client, agency, owner, tight["id"], "2026-03-10")

    assert (over["value"], over["status"]) == ("120.00", "missed")  # 10 × 12 > 100
    assert (within["forecast"], within["status"]) == ("372.00", "on_track")  # 120 ÷ 10 × 31 ≤ 400
    assert (heading_over["status"], heading_over["driver"]["account_id"]) == ("off_track", scene["linkedin"])
    # no mentions before March: equal shares, so each account may have 300 × 10 ÷ 31 ÷ 2 = 48.39 by now
    assert heading_over["driver"]["shortfall"] == "71.61"  # LinkedIn: 120 − 48.39


def test_a_stock_target_is_a_level_forecast_from_the_recent_trend(
    client: TestClient[Litestar], agency: Agency, scene: dict[str, str]
) -> None:
    made = create(
        client, agency, scene["client_id"], metric="followers", target="4300", start="2026-03-01", end="2026-03-31"
    )

    state = progress(client, agency, scene["client_id"], made["id"], "2026-03-20")

    # now 1038 + 3000; at the start 1000 (27 Feb) + 3000 (28 Feb); 20 of 31 days gone
    assert (state["kind"], state["value"], state["baseline"]) == ("stock", "4038.00", "4000.00")
    assert state["expected_by_now"] == "4193.55"  # 4000 + 300 × 20 ÷ 31
    # LinkedIn: +28 over the 14 days since 6 March = 2 a day, 11 days left → 1060; Instagram flat → 3000
    assert state["forecast"] == "4060.00"
    assert state["percent_of_target"] == "93.91"  # 4038 ÷ 4300
    assert state["status"] == "off_track"
    contributions = {c["network"]: c for c in state["contributions"]}
    # shares of the starting level: 0.25 / 0.75 of the 300 to gain
    assert contributions["linkedin"]["expected"] == "1048.39"  # 1000 + 300 × 0.25 × 20 ÷ 31
    assert contributions["linkedin"]["shortfall"] == "10.39"
    assert contributions["instagram"]["expected"] == "3145.16"  # 3000 + 300 × 0.75 × 20 ÷ 31
    assert state["driver"]["account_id"] == scene["instagram"]
    assert state["driver"]["shortfall"] == "145.16"


def test_a_stock_on_one_account_reached_is_achieved_and_judged_at_the_end(
    client: TestClient[Litestar], agency: Agency, scene: dict[str, str]
) -> None:
    owner = scene["client_id"]
    reached = create(
        client,
        agency,
        owner,
        metric="followers",
        target="1030",
        start="2026-03-01",
        end="2026-03-31",
        account_id=scene["linkedin"],
    )
    short = create(
        client,
        agency,
        owner,
        metric="followers",
        target="1100",
        start="2026-03-01",
        end="2026-03-31",
        network="linkedin",
    )

    assert progress(client, agency, owner, reached["id"], "2026-03-20")["status"] == "achieved"
    ended = progress(client, agency, owner, short["id"], "2026-04-05")
    assert (ended["as_of"], ended["value"], ended["status"]) == ("2026-03-31", "1038.00", "missed")


def test_engagement_rate_is_engagements_over_reach_and_blames_the_weakest_account(
    client: TestClient[Litestar], agency: Agency, scene: dict[str, str]
) -> None:
    made = create(
        client,
        agency,
        scene["client_id"],
        metric="engagement_rate",
        target="0.03",
        start="2026-03-01",
        end="2026-03-31",
    )

    state = progress(client, agency, scene["client_id"], made["id"], "2026-03-10")

    assert (state["kind"], state["denominator"]) == ("rate", "reach")
    assert state["value"] == "0.023333"  # (30 + 5) ÷ (1000 + 500)
    assert state["forecast"] == state["value"]
    assert state["expected_by_now"] == "0.030000"
    assert state["status"] == "off_track"
    # engagements missing against the target on each one's reach: LinkedIn 0.03 × 1000 − 30 = 0, Instagram 15 − 5
    assert [(c["network"], c["shortfall"]) for c in state["contributions"]] == [
        ("linkedin", "0.00"),
        ("instagram", "10.00"),
    ]
    assert state["driver"]["account_id"] == scene["instagram"]


def test_engagement_rate_falls_back_to_impressions_without_reach(
    client: TestClient[Litestar], agency: Agency, scene: dict[str, str], database: TestDatabase
) -> None:
    owner = scene["client_id"]
    account = create_account(client, agency, owner, "obj_demo", network="demo")["id"]
    insert_metric_points(database, agency.tenant_id, account, "impressions", "views", {date(2026, 3, 2): 800})
    insert_metric_points(database, agency.tenant_id, account, "engagements", "engagements", {date(2026, 3, 2): 36})
    made = create(
        client,
        agency,
        owner,
        metric="engagement_rate",
        target="0.04",
        start="2026-03-01",
        end="2026-03-31",
        account_id=account,
    )

    state = progress(client, agency, owner, made["id"], "2026-03-10")

    assert (state["denominator"], state["value"], state["status"]) == ("impressions", "0.045000", "achieved")


def test_objective_status_is_callable_without_http(
    client: TestClient[Litestar], agency: Agency, scene: dict[str, str]
) -> None:
    made = create(client, agency, scene["client_id"], target="3000", **MARCH_IMPRESSIONS)

    async def status() -> ObjectiveProgress:
        async with client.app.state.services.database.tenant_session(uuid.UUID(agency.tenant_id)) as session:
            objective = await find_objective(session, uuid.UUID(scene["client_id"]), uuid.UUID(made["id"]))
            assert objective is not None
            assert await find_objective(session, uuid.uuid4(), objective.id) is None
            return await objective_status(session, objective, date(2026, 3, 10))

    with client.portal() as portal:
        result = portal.call(status)

    assert result.off_track
    assert result.value == Decimal(600)
    assert result.forecast == Decimal(1800)
    assert result.forecast_gap == Decimal("-0.4")  # 1800 ÷ 3000 − 1
    assert result.shortfall_ratio == Decimal("0.4")
    assert result.off_track_beyond(0.39)
    assert not result.off_track_beyond(0.4)
    assert result.driver is not None
    assert str(result.driver.account_id) == scene["instagram"]
    assert "off track" in result.summary
    assert "instagram/obj_ig" in result.summary


def test_create_list_patch_and_delete(client: TestClient[Litestar], agency: Agency, scene: dict[str, str]) -> None:
    owner = scene["client_id"]
    made = create(client, agency, owner, name="More reach", target="3000", **MARCH_IMPRESSIONS)
    path = f"/v1/clients/{owner}/objectives/{made['id']}"

    patched = client.patch(path, json={"target": "1500", "name": None}, headers=agency.headers)
    listed = list_all(client, agency, f"/v1/clients/{owner}/objectives", as_of="2026-03-10")
    deleted = client.delete(path, headers=agency.headers)

    assert made["target"] == "3000"
    assert made["direction"] == "at_least"
    assert patched.status_code == 200, patched.text
    assert (patched.json()["target"], patched.json()["name"]) == ("1500", None)
    assert [(o["id"], o["progress"]["status"]) for o in listed] == [(made["id"], "on_track")]
    assert deleted.status_code == 204
    assert_problem(client.get(path, headers=agency.headers), 404, field="objective_id")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"metric": "happiness"}, "metric"),
        ({"target": "-1"}, "target"),
        ({"target": "1.0000001"}, "target"),
        ({"end": "2026-02-01"}, "end"),
        ({"end": "2031-12-31"}, "end"),
        ({"direction": "exactly"}, "direction"),
        ({"colour": "red"}, "colour"),
        ({"account_id": "rival"}, "account_id"),
        ({"account_id": str(uuid.uuid4())}, "account_id"),
        ({"account_id": "linkedin", "network": "instagram"}, "network"),
    ],
)
def test_invalid_objectives_are_422_naming_the_field(
    client: TestClient[Litestar], agency: Agency, scene: dict[str, str], change: dict[str, str], field: str
) -> None:
    if change.get("account_id") in scene:
        change = {**change, "account_id": scene[change["account_id"]]}
    body = {"target": "100", **MARCH_IMPRESSIONS, **change}

    response = client.post(f"/v1/clients/{scene['client_id']}/objectives", json=body, headers=agency.headers)

    assert_problem(response, 422, field=field)
    assert list_all(client, agency, f"/v1/clients/{scene['client_id']}/objectives") == []


def test_a_patch_that_breaks_the_objective_changes_nothing(
    client: TestClient[Litestar], agency: Agency, scene: dict[str, str]
) -> None:
    owner = scene["client_id"]
    made = create(client, agency, owner, target="3000", **MARCH_IMPRESSIONS)
    path = f"/v1/clients/{owner}/objectives/{made['id']}"

    response = client.patch(path, json={"start": "2026-04-15"}, headers=agency.headers)

    assert_problem(response, 422, field="end")
    assert client.get(path, headers=agency.headers).json()["start"] == "2026-03-01"


def test_a_patch_naming_an_account_that_is_not_the_clients_is_422_and_changes_nothing(
    client: TestClient[Litestar], agency: Agency, scene: dict[str, str]
) -> None:
    owner = scene["client_id"]
    made = create(client, agency, owner, target="3000", account_id=scene["linkedin"], **MARCH_IMPRESSIONS)
    path = f"/v1/clients/{owner}/objectives/{made['id']}"
    # No account at all (as another agency's is, to this agency), and an account of this agency's other client.
    elsewhere = create_account(client, agency, create_client(client, agency, "Another Client")["id"], "elsewhere")

    for account_id in (str(uuid.uuid4()), elsewhere["id"]):
        response = client.patch(path, json={"account_id": account_id}, headers=agency.headers)
        assert_problem(response, 422, code="validation_error", field="account_id")

    assert client.get(path, headers=agency.headers).json()["account_id"] == scene["linkedin"]


def test_an_objective_of_another_client_is_404(
    client: TestClient[Litestar], agency: Agency, scene: dict[str, str]
) -> None:
    made = create(client, agency, scene["client_id"], target="3000", **MARCH_IMPRESSIONS)
    other = create_client(client, agency, "Another Client")["id"]

    response = client.get(f"/v1/clients/{other}/objectives/{made['id']}", headers=agency.headers)

    assert_problem(response, 404, field="objective_id")
