"""Hostile input is a clear 4xx problem, fast, and changes nothing: never a 500.

Deeply nested or non-UTF-8 JSON, NUL characters in any text a request carries, periods and date ranges at
the edges of the calendar or far beyond each route's cap: every case here answered 500 before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from api.accounts.models import SocialAccount
from api.alerts.models import AlertRule
from api.clients.models import Client
from api.metrics.window import FIRST_DAY, LAST_DAY
from api.objectives.models import Objective
from api.roi.models import CostEntry, ValueEntry
from api.webhooks.models import WebhookEndpoint
from tenants.models import ApiKey
from tests.api.conftest import assert_problem, count_rows, create_account, create_client
from tests.conftest import Agency

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

JSON = {"Content-Type": "application/json"}
FAST = 1.0
"""Seconds any refusal here may take; the slowest took 3 s of CPU before it 500ed."""


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    response = call()
    return response, time.perf_counter() - started


def nested(depth: int, kind: str) -> bytes:
    if kind == "array":
        return b"[" * depth + b"]" * depth
    return b'{"a":' * depth + b"1" + b"}" * depth


# --- periods and date ranges -----------------------------------------------------------------------------


@pytest.mark.parametrize("period", ["9999-12", "0000-01", "1899-12", "3000-01"])
def test_a_usage_period_outside_the_supported_months_is_a_422_naming_period(
    client: TestClient[Litestar], agency: Agency, period: str
) -> None:
    response = client.get("/v1/usage", params={"period": period}, headers=agency.headers)
    first, last = (
        client.get("/v1/usage", params={"period": f"{day:%Y-%m}"}, headers=agency.headers)
        for day in (FIRST_DAY, LAST_DAY)
    )

    body = assert_problem(response, 422, code="validation_error", field="period")
    assert f"{FIRST_DAY:%Y-%m} to {LAST_DAY:%Y-%m}" in body["detail"]
    assert "YYYY-MM" in body["detail"]
    assert (first.status_code, first.json()["period"]) == (200, f"{FIRST_DAY:%Y-%m}")
    assert (last.status_code, last.json()["period"]) == (200, f"{LAST_DAY:%Y-%m}")


def test_a_day_by_day_sentiment_over_the_whole_calendar_is_refused_at_once_naming_the_cap(
    client: TestClient[Litestar], agency: Agency
) -> None:
    owner = create_client(client, agency)
    params = {"from": "0001-01-01", "to": "9999-12-31", "granularity": "day"}

    response, elapsed = timed(
        lambda: client.get(f"/v1/clients/{owner['id']}/sentiment", params=params, headers=agency.headers)
    )

    body = assert_problem(response, 422, field="granularity")
    assert "from 0001-01-01 to 9999-12-31 has 3,652,059 days" in body["detail"]
    assert "day granularity allows at most 1,000" in body["detail"]
    assert "use week or month" in body["detail"]
    assert elapsed < FAST


def test_a_pdf_report_with_only_an_early_to_is_a_422_naming_to(client: TestClient[Litestar], agency: Agency) -> None:
    owner = create_client(client, agency)
    path = f"/v1/clients/{owner['id']}/report"

    early = client.get(path, params={"format": "pdf", "to": "0001-03-01"}, headers=agency.headers)
    fine = client.get(path, params={"format": "pdf", "to": "2026-03-15"}, headers=agency.headers)

    assert "outside the days Resonance supports" in assert_problem(early, 422, field="to")["detail"]
    assert fine.status_code == 200, fine.text
    assert fine.content.startswith(b"%PDF")


STORED = (Client, SocialAccount, AlertRule, WebhookEndpoint, CostEntry, ValueEntry, Objective, ApiKey)


EXTREME_RANGES: dict[str, dict[str, str]] = {
    "whole calendar": {"from": "0001-01-01", "to": "9999-12-31"},
    "whole calendar by month": {"from": "0001-01-01", "to": "9999-12-31", "granularity": "month"},
    "first month": {"from": "0001-01-01", "to": "0001-01-31"},
    "last month": {"from": "9999-12-01", "to": "9999-12-31"},
    "last days by week": {"from": "9999-12-20", "to": "9999-12-31", "granularity": "week"},
    "to the first day": {"to": "0001-01-01"},
    "to the last day": {"to": "9999-12-31"},
    "from the last day": {"from": "9999-12-31"},
    "as of the last day": {"as_of": "9999-12-31"},
    "as of the first day": {"as_of": "0001-01-01"},
}
DATE_PARAMETERS = {"from", "to", "as_of"}
ANALYTICS_ROUTES = {
    "/v1/metrics",
    "/v1/clients/{client_id:uuid}/rates",
    "/v1/clients/{client_id:uuid}/presence",
    "/v1/clients/{client_id:uuid}/sentiment",
    "/v1/clients/{client_id:uuid}/benchmark",
    "/v1/clients/{client_id:uuid}/employer-brand",
    "/v1/clients/{client_id:uuid}/roi",
    "/v1/clients/{client_id:uuid}/report",
    "/v1/clients/{client_id:uuid}/objectives",
    "/v1/clients/{client_id:uuid}/objectives/{objective_id:uuid}",
    "/v1/clients/{client_id:uuid}/mentions",
    "/v1/clients/{client_id:uuid}/costs",
    "/v1/clients/{client_id:uuid}/values",
    "/v1/accounts/{account_id:uuid}/posts",
}


def _public_name(parameter: Any, key: str) -> str:
    """`from` for a handler's `date_from`: the query name Litestar reads it under."""
    definition = getattr(parameter, "kwarg_definition", None)
    for attribute in ("query", "name"):
        alias = getattr(definition, attribute, None)
        if isinstance(alias, str) and alias:
            return alias
    return key


def date_routes(app: Litestar) -> list[tuple[str, set[str]]]:
    """Every GET route taking a day in its query, with the names of those parameters (and granularity)."""
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if "GET" not in handler.http_methods:
                continue
            parameters = handler.parsed_fn_signature.parameters
            names = {_public_name(parameter, key) for key, parameter in parameters.items()}
            if names & DATE_PARAMETERS:
                found.append((route.path, names & (DATE_PARAMETERS | {"granularity"})))
    return found


def test_extreme_ranges_on_every_route_taking_a_date_are_a_quick_422(
    client: TestClient[Litestar], agency: Agency
) -> None:
    owner = create_client(client, agency, timezone="Pacific/Kiritimati")  # UTC+14: local days reach furthest
    account = create_account(client, agency, owner["id"])
    objective = client.post(
        f"/v1/clients/{owner['id']}/objectives",
        json={"metric": "followers", "target": 10, "start": "2026-01-01", "end": "2026-06-30"},
        headers=agency.headers,
    )
    assert objective.status_code == 201, objective.text
    ids = {"client_id": owner["id"], "account_id": account["id"], "objective_id": objective.json()["id"]}
    routes = date_routes(client.app)
    assert {path for path, _ in routes} >= ANALYTICS_ROUTES  # found by introspection, so a new route is walked too
    walked = 0

    for template, accepted in routes:
        path = template
        for name, value in ids.items():
            path = path.replace(f"{{{name}:uuid}}", value)
        extra = {"client_id": owner["id"]} if template == "/v1/metrics" else {}
        for label, asked in EXTREME_RANGES.items():
            params = {name: value for name, value in asked.items() if name in accepted}
            if not params.keys() & DATE_PARAMETERS:
                continue
            for output in ["json", "pdf"] if template.endswith("/report") else ["json"]:
                query = {**params, **extra, **({"format": output} if output != "json" else {})}
                started = time.perf_counter()
                response = client.get(path, params=query, headers=agency.headers)
                elapsed = time.perf_counter() - started

                problem = assert_problem(response, 422, code="validation_error")
                assert problem["field"] in {"from", "to", "as_of", "granularity"}, (path, label, problem)
                assert elapsed < FAST, (path, label, elapsed)
                walked += 1
    assert walked >= 60


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/clients/{client}/alerts/evaluate", {"from": "0001-01-01", "to": "0001-01-02"}, "from"),
        ("/v1/accounts/{account}/syncs", {"since": "0001-01-01", "until": "0001-01-05"}, "since"),
        ("/v1/accounts/{account}/syncs", {"since": "9999-12-01", "until": "9999-12-31"}, "since"),
        ("/v1/clients/{client}/costs", {"type": "ad_spend", "date": "9999-12-31", "amount": "1"}, "date"),
        ("/v1/clients/{client}/values", {"type": "conversion", "date": "0001-01-01", "amount": "1"}, "date"),
        (
            "/v1/clients/{client}/objectives",
            {"metric": "followers", "target": 10, "start": "0001-01-01", "end": "0001-01-31"},
            "start",
        ),
        (
            "/v1/clients/{client}/objectives",
            {"metric": "followers", "target": 10, "start": "9999-12-01", "end": "9999-12-31"},
            "start",
        ),
    ],
)
def test_days_at_the_edges_of_the_calendar_in_a_body_are_a_422_and_store_nothing(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, path: str, body: dict[str, Any], field: str
) -> None:
    owner = create_client(client, agency)
    account = create_account(client, agency, owner["id"])
    before = {model: count_rows(database, model) for model in STORED}

    response = client.post(path.format(client=owner["id"], account=account["id"]), json=body, headers=agency.headers)

    assert "outside the days Resonance supports" in assert_problem(response, 422, field=field)["detail"]
    assert {model: count_rows(database, model) for model in STORED} == before


def test_a_range_past_the_cap_says_how_long_it_is_and_what_the_cap_is(
    client: TestClient[Litestar], agency: Agency
) -> None:
    owner = create_client(client, agency)

    response = client.get(
        f"/v1/clients/{owner['id']}/rates", params={"from": "2000-01-01", "to": "2026-12-31"}, headers=agency.headers
    )

    body = assert_problem(response, 422, field="from")
    assert "the range from 2000-01-01 to 2026-12-31 has 9,862 days" in body["detail"]
    assert "at most 1,830 days" in body["detail"]
