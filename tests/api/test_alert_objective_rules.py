"""An `objective_off_track` rule names an objective of its own client: never another's, never one that is not there."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.api.conftest import assert_problem, create_account, create_client, insert_metric_points, list_all
from tests.api.test_alert_wiring import _objective
from tests.api.test_alerts_api import create_rule, evaluate
from tests.conftest import Agency, TestDatabase

FIELD = "params.objective_id"


@pytest.fixture
def scene(client: TestClient[Litestar], agency: Agency, other_agency: Agency) -> dict[str, Any]:
    """A client with an objective, a second client of the agency with its own, and another agency's objective."""
    owner = create_client(client, agency, "Maison Dupont")
    sibling = create_client(client, agency, "Café Lumière")
    stranger = create_client(client, other_agency, "Beta's client")
    return {
        "client_id": owner["id"],
        "own": _objective(client, agency, owner["id"], "1000")["id"],
        "other client's": _objective(client, agency, sibling["id"], "1000")["id"],
        "other agency's": _objective(client, other_agency, stranger["id"], "1000")["id"],
        "unknown": str(uuid.uuid4()),
    }


def _without(problem: dict[str, Any], objective_id: str) -> dict[str, Any]:
    """A problem body without what differs between two requests: the id sent, and the request id."""
    return {
        key: value.replace(objective_id, "<id>") if isinstance(value, str) else value
        for key, value in problem.items()
        if key != "request_id"
    }


def test_creating_a_rule_on_an_objective_that_is_not_the_clients_is_422_naming_the_field(
    client: TestClient[Litestar], agency: Agency, scene: dict[str, Any]
) -> None:
    problems = {}
    for case in ("other client's", "other agency's", "unknown"):
        response = client.post(
            "/v1/alert-rules",
            json={
                "client_id": scene["client_id"],
                "kind": "objective_off_track",
                "params": {"objective_id": scene[case]},
            },
            headers=agency.headers,
        )
        problems[case] = _without(assert_problem(response, 422, code="validation_error", field=FIELD), scene[case])

    assert list_all(client, agency, "/v1/alert-rules") == []
    # Another agency's objective gets exactly the answer of an id that exists nowhere: nothing says it exists.
    assert problems["other agency's"] == problems["unknown"]
    assert "GET /v1/clients/" in problems["unknown"]["detail"]  # says where to find the right ids
    rule = create_rule(client, agency, scene["client_id"], "objective_off_track", params={"objective_id": scene["own"]})
    assert rule["params"]["objective_id"] == scene["own"]


def test_changing_a_rules_objective_to_one_that_is_not_the_clients_is_422_and_changes_nothing(
    client: TestClient[Litestar], agency: Agency, scene: dict[str, Any]
) -> None:
    rule = create_rule(client, agency, scene["client_id"], "objective_off_track", params={"objective_id": scene["own"]})
    path = f"/v1/alert-rules/{rule['id']}"

    problems = {}
    for case in ("other client's", "other agency's", "unknown"):
        response = client.patch(path, json={"params": {"objective_id": scene[case]}}, headers=agency.headers)
        problems[case] = _without(assert_problem(response, 422, code="validation_error", field=FIELD), scene[case])

    assert problems["other agency's"] == problems["unknown"]
    assert client.get(path, headers=agency.headers).json()["params"]["objective_id"] == scene["own"]
    moved = client.patch(
        path, json={"params": {"objective_id": scene["own"], "tolerance": 0.3}}, headers=agency.headers
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["params"] == {"objective_id": scene["own"], "tolerance": 0.3}


def test_a_rule_whose_objective_was_deleted_opens_nothing_and_fails_nothing(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency, "Maison Dupont")
    account = create_account(client, agency, owner["id"], handle="dupont")
    days = {date(2026, 3, 1) + timedelta(days=n): 100.0 for n in range(10)}
    insert_metric_points(database, agency.tenant_id, account["id"], "impressions", "page_impressions", days)
    behind = _objective(client, agency, owner["id"], "10000")  # forecast 3,100: off track
    rule = create_rule(client, agency, owner["id"], "objective_off_track", params={"objective_id": behind["id"]})
    deleted = client.delete(f"/v1/clients/{owner['id']}/objectives/{behind['id']}", headers=agency.headers)
    assert deleted.status_code == 204, deleted.text

    result = evaluate(client, agency, owner["id"], date_from="2026-03-10", date_to="2026-03-10")

    assert (result["rules_evaluated"], result["opened"]) == (1, [])
    assert client.get(f"/v1/alert-rules/{rule['id']}", headers=agency.headers).status_code == 200
    # Switching it off still works; pointing it anywhere needs an objective that exists.
    off = client.patch(f"/v1/alert-rules/{rule['id']}", json={"enabled": False}, headers=agency.headers)
    assert off.status_code == 200, off.text
    again = client.patch(
        f"/v1/alert-rules/{rule['id']}", json={"params": {"objective_id": behind["id"]}}, headers=agency.headers
    )
    assert_problem(again, 422, field=FIELD)
