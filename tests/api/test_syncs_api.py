"""Starting syncs through the API and reading their history."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from tests.api.conftest import assert_problem, list_all, make_client_and_account, parse_time
from tests.conftest import Agency, run_syncs

DEMO_METRICS_PER_DAY = 14


INVALID_WINDOWS: dict[str, tuple[dict[str, Any], str]] = {
    "since alone": ({"since": "2026-01-01"}, "until"),
    "until alone": ({"until": "2026-01-01"}, "since"),
    "since after until": ({"since": "2026-01-10", "until": "2026-01-01"}, "since"),
    "over ten years": ({"since": "2010-01-01", "until": "2026-01-01"}, "since"),
    "not a date": ({"since": "yesterday", "until": "2026-01-01"}, "since"),
    "no such day": ({"since": "2026-02-30", "until": "2026-03-01"}, "since"),
    "unknown field": ({"from": "2026-01-01"}, "from"),
}


def test_invalid_window_is_422_and_queues_nothing(
    client: TestClient[Litestar], agency: Agency, subtests: pytest.Subtests
) -> None:
    _, account = make_client_and_account(client, agency)

    for case, (window, field) in INVALID_WINDOWS.items():
        with subtests.test(case):
            response = client.post(f"/v1/accounts/{account['id']}/syncs", json=window, headers=agency.headers)
            assert_problem(response, 422, code="validation_error", field=field)

    assert client.get(f"/v1/accounts/{account['id']}/syncs", headers=agency.headers).json()["data"] == []


def test_sync_is_queued_then_runs_to_success_with_counts(client: TestClient[Litestar], agency: Agency) -> None:
    owner, account = make_client_and_account(client, agency)

    queued = client.post(
        f"/v1/accounts/{account['id']}/syncs",
        json={"since": "2026-01-05", "until": "2026-01-11"},
        headers=agency.headers,
    )

    assert queued.status_code == 202, queued.text
    run = queued.json()
    assert (run["status"], run["trigger"], run["account_id"]) == ("queued", "api", account["id"])
    assert (run["window_since"], run["window_until"]) == ("2026-01-05", "2026-01-11")
    assert run["started_at"] is None
    assert run["finished_at"] is None
    assert run["metrics_count"] == run["posts_count"] == run["mentions_count"] == 0

    assert run_syncs(client) == 1

    done = client.get(f"/v1/syncs/{run['id']}", headers=agency.headers)
    assert done.status_code == 200
    finished = done.json()
    assert finished["status"] == "succeeded", finished
    assert finished["metrics_count"] == 7 * DEMO_METRICS_PER_DAY
    posts = list_all(client, agency, f"/v1/accounts/{account['id']}/posts")
    mentions = list_all(client, agency, f"/v1/clients/{owner['id']}/mentions")
    assert finished["posts_count"] == len(posts) > 0
    assert finished["mentions_count"] == len(mentions) > 0
    assert (finished["rejected_count"], finished["rejections"], finished["error"]) == (0, [], None)
    assert parse_time(finished["requested_at"]) <= parse_time(finished["started_at"])
    assert parse_time(finished["started_at"]) <= parse_time(finished["finished_at"])
    assert finished["duration_ms"] is not None
    assert finished["duration_ms"] >= 0
    refreshed = client.get(f"/v1/accounts/{account['id']}", headers=agency.headers).json()
    assert refreshed["last_synced_at"] is not None


def test_sync_without_a_body_has_no_window(client: TestClient[Litestar], agency: Agency) -> None:
    _, account = make_client_and_account(client, agency)

    response = client.post(f"/v1/accounts/{account['id']}/syncs", headers=agency.headers)

    assert response.status_code == 202
    assert (response.json()["window_since"], response.json()["window_until"]) == (None, None)


def test_a_one_day_window_is_allowed(client: TestClient[Litestar], agency: Agency) -> None:
    _, account = make_client_and_account(client, agency)

    response = client.post(
        f"/v1/accounts/{account['id']}/syncs",
        json={"since": "2026-01-05", "until": "2026-01-05"},
        headers=agency.headers,
    )

    assert response.status_code == 202
    run_syncs(client)
    finished = client.get(f"/v1/syncs/{response.json()['id']}", headers=agency.headers).json()
    assert finished["metrics_count"] == DEMO_METRICS_PER_DAY


def test_syncs_are_listed_newest_first(client: TestClient[Litestar], agency: Agency) -> None:
    _, account = make_client_and_account(client, agency)
    _, other = make_client_and_account(client, agency, name="Other", handle="other")
    ids = []
    for day in (1, 2, 3):
        window = {"since": f"2026-01-0{day}", "until": f"2026-01-0{day}"}
        ids.append(client.post(f"/v1/accounts/{account['id']}/syncs", json=window, headers=agency.headers).json()["id"])
    client.post(f"/v1/accounts/{other['id']}/syncs", headers=agency.headers)

    listed = client.get(f"/v1/accounts/{account['id']}/syncs", headers=agency.headers)

    assert listed.status_code == 200
    runs = listed.json()["data"]
    assert [r["id"] for r in runs] == list(reversed(ids))
    assert [r["window_since"] for r in runs] == ["2026-01-03", "2026-01-02", "2026-01-01"]
    assert listed.json()["next_cursor"] is None


def test_get_unknown_sync_is_404(client: TestClient[Litestar], agency: Agency) -> None:
    response = client.get(f"/v1/syncs/{uuid.uuid4()}", headers=agency.headers)

    assert_problem(response, 404, code="not_found", field="sync_id")


def test_sync_of_an_unknown_account_is_404(client: TestClient[Litestar], agency: Agency) -> None:
    unknown = uuid.uuid4()

    assert_problem(client.post(f"/v1/accounts/{unknown}/syncs", headers=agency.headers), 404, field="account_id")
    assert_problem(client.get(f"/v1/accounts/{unknown}/syncs", headers=agency.headers), 404, field="account_id")


def test_sync_id_must_be_a_uuid(client: TestClient[Litestar], agency: Agency) -> None:
    assert_problem(client.get("/v1/syncs/latest", headers=agency.headers), 404)


def test_resyncing_a_window_gives_the_same_data(client: TestClient[Litestar], agency: Agency) -> None:
    owner, account = make_client_and_account(client, agency)
    window = {"since": "2026-01-05", "until": "2026-01-08"}
    client.post(f"/v1/accounts/{account['id']}/syncs", json=window, headers=agency.headers)
    run_syncs(client)
    posts = list_all(client, agency, f"/v1/accounts/{account['id']}/posts")
    mentions = list_all(client, agency, f"/v1/clients/{owner['id']}/mentions")

    client.post(f"/v1/accounts/{account['id']}/syncs", json=window, headers=agency.headers)
    run_syncs(client)

    assert [p["external_id"] for p in list_all(client, agency, f"/v1/accounts/{account['id']}/posts")] == [
        p["external_id"] for p in posts
    ]
    assert len(list_all(client, agency, f"/v1/clients/{owner['id']}/mentions")) == len(mentions)
    statuses = [
        r["status"] for r in client.get(f"/v1/accounts/{account['id']}/syncs", headers=agency.headers).json()["data"]
    ]
    assert statuses == ["succeeded", "succeeded"]


def test_starting_a_sync_needs_the_write_scope(client: TestClient[Litestar], agency: Agency) -> None:
    _, account = make_client_and_account(client, agency)
    reader = client.post("/v1/api-keys", json={"name": "r", "scopes": ["read"]}, headers=agency.headers).json()
    headers = {"Authorization": f"Bearer {reader['secret']}"}

    assert_problem(client.post(f"/v1/accounts/{account['id']}/syncs", headers=headers), 403, code="forbidden")
    assert client.get(f"/v1/accounts/{account['id']}/syncs", headers=headers).status_code == 200


def test_account_ids_in_the_listing_match(client: TestClient[Litestar], agency: Agency) -> None:
    _, account = make_client_and_account(client, agency)
    client.post(
        f"/v1/accounts/{account['id']}/syncs",
        json={"since": "2026-01-01", "until": "2026-01-02"},
        headers=agency.headers,
    )

    runs = client.get(f"/v1/accounts/{account['id']}/syncs", headers=agency.headers).json()["data"]

    assert {r["account_id"] for r in runs} == {account["id"]}
    assert date.fromisoformat(runs[0]["window_until"]) == date(2026, 1, 2)
