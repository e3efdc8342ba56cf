"""Hostile input is a clear 4xx problem, fast, and changes nothing: never a 500.

Deeply nested or non-UTF-8 JSON, NUL characters in any text a request carries, periods and date ranges at
the edges of the calendar or far beyond each route's cap: every case here answered 500 before.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec
import pytest
from litestar import Litestar
from litestar.enums import ParamType
from litestar.openapi.spec import Parameter
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from api.accounts.models import SocialAccount
from api.alerts.models import AlertRule
from api.clients.models import Client
from api.content.models import StoredMention
from api.metrics.window import FIRST_DAY, LAST_DAY
from api.objectives.models import Objective
from api.request_body import MAX_JSON_DEPTH, nesting_too_deep
from api.roi.models import CostEntry, ValueEntry
from api.webhooks.models import WebhookEndpoint
from tenants.models import ApiKey, Tenant
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


# --- JSON bodies nested too deeply, or not UTF-8 ---------------------------------------------------------


@pytest.mark.parametrize("kind", ["array", "object"])
@pytest.mark.parametrize("path", ["/v1/signup", "/v1/clients", "/v1/alert-rules"])
def test_a_json_body_nested_10000_deep_is_a_400_problem_and_changes_nothing(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, path: str, kind: str
) -> None:
    headers = {**agency.headers, **JSON} if path != "/v1/signup" else JSON

    response, elapsed = timed(lambda: client.post(path, content=nested(10_000, kind), headers=headers))

    body = assert_problem(response, 400, code="malformed_request")
    assert f"more than {MAX_JSON_DEPTH} levels deep" in body["detail"]
    assert "/docs" in body["detail"]
    assert elapsed < FAST
    assert (count_rows(database, Tenant), count_rows(database, Client), count_rows(database, AlertRule)) == (1, 0, 0)


def test_nesting_is_measured_outside_strings_and_up_to_the_limit_exactly() -> None:
    limit = MAX_JSON_DEPTH

    assert not nesting_too_deep(nested(limit, "array"))
    assert nesting_too_deep(nested(limit + 1, "array"))
    assert not nesting_too_deep(nested(limit, "object"))
    assert nesting_too_deep(nested(limit + 1, "object"))
    # Brackets in strings, escaped quotes and backslashes included, are text, not nesting.
    assert not nesting_too_deep(b'{"a": "' + b"[" * 1000 + b'", "b": "\\"[[[\\\\", "c": [[1]]}')
    assert nesting_too_deep(b'{"a": "\\\\", "b": ' + nested(limit + 1, "array") + b"}")
    # Many containers side by side are fine, however many: only the depth counts (the outer array is a level).
    assert not nesting_too_deep(b"[" + b",".join([nested(limit - 1, "array")] * 500) + b"]")
    assert nesting_too_deep(b"[" + b",".join([nested(limit - 1, "array")] * 499 + [nested(limit, "array")]) + b"]")


def test_the_nesting_check_stays_cheap_on_the_largest_body_accepted() -> None:
    # About 10 MB (Litestar's body limit) of containers 63 deep: the costliest shape for the check.
    body = b"[" + b",".join([nested(MAX_JSON_DEPTH - 1, "array")] * 77_000) + b"]"

    verdict, elapsed = timed(lambda: nesting_too_deep(body))

    assert verdict is False
    assert elapsed < FAST


@pytest.mark.parametrize("path", ["/v1/signup", "/v1/clients"])
def test_a_json_body_that_is_not_utf8_is_a_400_problem(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, path: str
) -> None:
    headers = {**agency.headers, **JSON} if path != "/v1/signup" else JSON
    content = (
        b'{"agency_name": "\xff\xfe", "email": "a@b.example"}' if path == "/v1/signup" else b'{"name": "\xff\xfe"}'
    )

    response = client.post(path, content=content, headers=headers)

    body = assert_problem(response, 400, code="malformed_request")
    assert "not valid UTF-8" in body["detail"]
    assert "Send JSON encoded as UTF-8" in body["detail"]
    assert (count_rows(database, Tenant), count_rows(database, Client)) == (1, 0)


@pytest.mark.parametrize(
    "content",
    [nested(10_000, "array"), b'[{"source": "reviews", "text": "\xff"}]'],
    ids=["nested", "not-utf8"],
)
def test_a_mentions_import_that_cannot_be_read_is_refused_naming_the_body(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, content: bytes
) -> None:
    owner = create_client(client, agency)

    response = client.post(f"/v1/clients/{owner['id']}/mentions", content=content, headers={**agency.headers, **JSON})

    body = assert_problem(response, 422, field="body")
    assert "JSON array of mentions" in body["detail"]
    assert count_rows(database, StoredMention) == 0


def test_a_csv_import_that_is_not_utf8_is_a_422_saying_to_save_it_as_utf8(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency)
    base = f"/v1/clients/{owner['id']}"
    csv = {**agency.headers, "Content-Type": "text/csv"}
    files = {
        "mentions": b"source,external_id,published_at,text\nreviews,r-1,2026-03-02T09:00:00Z,caf\xe9\n",
        "costs/import": b"type,date,amount,note\nad_spend,2026-03-01,10,caf\xe9\n",
        "values/import": b"type,date,amount,note\nconversion,2026-03-01,10,caf\xe9\n",
    }

    for route, content in files.items():
        response = client.post(f"{base}/{route}", content=content, headers=csv)

        body = assert_problem(response, 422, field="body")
        assert "UTF-8" in body["detail"], route
        assert "send it again" in body["detail"], route
    assert (count_rows(database, StoredMention), count_rows(database, CostEntry), count_rows(database, ValueEntry)) == (
        0,
        0,
        0,
    )


# --- NUL characters --------------------------------------------------------------------------------------

WEBHOOK_URL = "http://93.184.215.14/hook"


def _nul_cases(client_id: str) -> list[tuple[str, str, dict[str, Any], str]]:
    """(method, path, a body valid but for one NUL, the field the problem must name)."""
    return [
        ("POST", "/v1/clients", {"name": "Boulangerie\x00Martin"}, "name"),
        ("POST", f"/v1/clients/{client_id}/accounts", {"network": "demo", "handle": "mar\x00tin"}, "handle"),
        (
            "POST",
            "/v1/alert-rules",
            {"client_id": client_id, "kind": "silence", "name": "watch\x00", "params": {"days": 1}},
            "name",
        ),
        (
            "POST",
            "/v1/alert-rules",
            {"client_id": client_id, "kind": "mention_spike", "params": {"account_id": "\x00"}},
            "params.account_id",
        ),
        (
            "POST",
            "/v1/webhook-endpoints",
            {"url": WEBHOOK_URL, "event_types": ["sync.failed"], "description": "ops \x00 channel"},
            "description",
        ),
        (
            "POST",
            "/v1/webhook-endpoints",
            {"url": WEBHOOK_URL, "event_types": ["sync.failed", "alert.opened\x00"]},
            "event_types[1]",
        ),
        (
            "POST",
            f"/v1/clients/{client_id}/costs",
            {"type": "ad_spend", "date": "2026-03-01", "amount": "10", "note": "spring\x00campaign"},
            "note",
        ),
        (
            "POST",
            f"/v1/clients/{client_id}/values",
            {"type": "conversion", "date": "2026-03-01", "amount": "10", "campaign": "\x00"},
            "campaign",
        ),
        (
            "POST",
            f"/v1/clients/{client_id}/objectives",
            {"metric": "followers", "target": 10, "start": "2026-01-01", "end": "2026-06-30", "name": "12k\x00"},
            "name",
        ),
        ("POST", "/v1/api-keys", {"name": "ci", "scopes": ["read", "wri\x00te"]}, "scopes[1]"),
        ("PATCH", f"/v1/clients/{client_id}", {"industry": "bakery\x00"}, "industry"),
    ]


def test_a_nul_character_in_any_text_field_is_a_422_naming_it_and_stores_nothing(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency)
    before = {model: count_rows(database, model) for model in STORED}

    for method, path, body, field in _nul_cases(owner["id"]):
        response = client.request(method, path, content=msgspec.json.encode(body), headers={**agency.headers, **JSON})

        problem = assert_problem(response, 422, code="validation_error", field=field)
        assert "NUL character" in problem["detail"], (path, problem)
        assert problem["errors"] == [{"field": field, "message": "contains a NUL character", "source": "body"}]
    assert {model: count_rows(database, model) for model in STORED} == before
    assert client.get(f"/v1/clients/{owner['id']}", headers=agency.headers).json()["industry"] is None


STORED = (Client, SocialAccount, AlertRule, WebhookEndpoint, CostEntry, ValueEntry, Objective, ApiKey)


def test_a_nul_character_at_signup_is_a_422_and_creates_no_agency(
    client: TestClient[Litestar], database: TestDatabase
) -> None:
    body = {"agency_name": "Agence\x00Nul", "email": "owner@nul.example"}

    response = client.post("/v1/signup", content=msgspec.json.encode(body), headers=JSON)

    assert_problem(response, 422, field="agency_name")
    assert count_rows(database, Tenant) == 0


def test_a_nul_character_in_a_query_parameter_or_header_is_a_422_naming_it(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency)

    in_query = client.get(f"/v1/clients/{owner['id']}/sentiment?network=x%00y", headers=agency.headers)
    in_header = client.post(
        "/v1/clients", json={"name": "Maison"}, headers={**agency.headers, "Idempotency-Key": "key\x00one"}
    )

    assert "network in the query" in assert_problem(in_query, 422, field="network")["detail"]
    assert "idempotency-key in the header" in assert_problem(in_header, 422, field="idempotency-key")["detail"]
    assert count_rows(database, Client) == 1


def test_an_import_with_a_nul_character_names_the_row_and_imports_nothing(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner = create_client(client, agency)
    base = f"/v1/clients/{owner['id']}"
    good = {"source": "reviews", "published_at": "2026-03-02T09:00:00Z", "text": "Très bon pain"}
    mentions_json = [{**good, "external_id": "r-1"}, {**good, "external_id": "r-2", "author": "cla\x00ire"}]
    mentions_csv = (
        "source,external_id,published_at,text\n"
        "reviews,r-1,2026-03-02T09:00:00Z,Bon\n"
        "reviews,r-2,2026-03-02T09:00:00Z,B\x00on\n"
    )
    costs_csv = "type,date,amount,note\nad_spend,2026-03-01,10,ok\nad_spend,2026-03-02,12,spr\x00ing\n"
    csv = {**agency.headers, "Content-Type": "text/csv"}

    as_json = client.post(f"{base}/mentions", content=msgspec.json.encode(mentions_json), headers=agency.headers)
    as_csv = client.post(f"{base}/mentions", content=mentions_csv.encode(), headers=csv)
    costs = client.post(f"{base}/costs/import", content=costs_csv.encode(), headers=csv)

    first = assert_problem(as_json, 422, field="author")["errors"][0]
    assert (first["index"], first["field"]) == (1, "author")
    assert "NUL character" in first["reason"]
    assert assert_problem(as_csv, 422, field="text")["errors"][0]["line"] == 3
    refused = assert_problem(costs, 422, field="note")
    assert refused["errors"] == [{"line": 3, "field": "note", "reason": refused["errors"][0]["reason"]}]
    assert "NUL character" in refused["detail"]
    assert (count_rows(database, StoredMention), count_rows(database, CostEntry)) == (0, 0)


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


def date_routes(app: Litestar) -> list[tuple[str, set[str]]]:
    """Every GET route of the API taking a day in its query, with the names of those parameters (and
    granularity), read from the OpenAPI document, so parameters that come from shared dependencies count too."""
    found = []
    document = app.openapi_schema
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or "GET" not in route.methods:
            continue
        item = (document.paths or {}).get(route.path_format)
        operation = item.get if item is not None else None
        if operation is None:  # not in the document: the portal's pages and the docs
            continue
        names = {
            parameter.name
            for parameter in operation.parameters or []
            if isinstance(parameter, Parameter) and parameter.param_in == ParamType.QUERY
        }
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
