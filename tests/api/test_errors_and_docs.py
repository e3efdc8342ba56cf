"""Errors as problem+json everywhere, request ids, health probes and the OpenAPI document."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from litestar import Litestar, get
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from api.app import create_app
from tests.api.conftest import assert_problem, create_key
from tests.conftest import Agency, make_settings

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

PUBLIC = re.compile(r"^/(health|ready|v1/signup|v1/oauth/callback|docs|v1/stripe/webhook|portal(/|$))")
"""Routes without an API key: the public ones, and the portal's pages (signed in with their own session)."""
GENERATED_ID = re.compile(r"^[0-9a-f]{32}$")


def protected_calls(app: Litestar) -> list[tuple[str, str]]:
    """(method, concrete path) of every route that needs an API key, with placeholder ids."""
    calls = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or PUBLIC.match(route.path):
            continue
        path = route.path
        for name, parameter in route.path_parameters.items():
            value = str(uuid.uuid4()) if parameter.type is uuid.UUID else "demo"
            path = path.replace(f"{{{parameter.full}}}", value).replace(f"{{{name}}}", value)
        calls.extend((method, path) for method in sorted(route.methods - {"OPTIONS", "HEAD"}))
    return calls


def test_every_protected_route_refuses_a_request_without_a_valid_key(
    client: TestClient[Litestar], agency: Agency
) -> None:
    revoked = create_key(client, agency, ["read", "write", "admin"], name="to revoke")
    assert client.delete(f"/v1/api-keys/{revoked.id}", headers=agency.headers).status_code == 204
    credentials: dict[str, dict[str, str]] = {
        "missing": {},
        "malformed": {"Authorization": "Bearer rsn_live_thisisnotakey"},
        "wrong scheme": {"Authorization": f"Token {agency.key}"},
        "revoked": revoked.headers,
    }
    calls = protected_calls(client.app)
    assert len(calls) >= 15

    for method, path in calls:
        for label, headers in credentials.items():
            response = client.request(method, path, headers=headers, json={})
            problem = assert_problem(response, 401, code="unauthorized")
            assert problem["instance"] == path, (label, method, path)


def test_unknown_path_is_a_404_problem(client: TestClient[Litestar]) -> None:
    response = client.get("/v1/nothing-here")

    problem = assert_problem(response, 404, code="not_found")
    assert problem["instance"] == "/v1/nothing-here"


def test_unknown_path_gets_a_request_id_too(client: TestClient[Litestar]) -> None:
    response = client.get("/v1/nothing-here", headers={"X-Request-ID": "trace-404"})

    assert response.headers.get("x-request-id") == "trace-404"
    assert response.json().get("request_id") == "trace-404"


def test_wrong_method_is_a_405_problem(client: TestClient[Litestar], agency: Agency) -> None:
    response = client.put("/v1/clients", json={}, headers=agency.headers)

    assert_problem(response, 405, code="method_not_allowed")


def test_malformed_json_is_a_400_problem(client: TestClient[Litestar], agency: Agency) -> None:
    response = client.post(
        "/v1/clients", content=b'{"name": ', headers={**agency.headers, "Content-Type": "application/json"}
    )

    body = assert_problem(response, 400, code="malformed_request")
    assert "well-formed JSON body" in body["detail"]


def test_validation_problem_lists_every_issue_and_names_where(client: TestClient[Litestar], agency: Agency) -> None:
    response = client.get("/v1/clients", params={"limit": "lots"}, headers=agency.headers)

    problem = assert_problem(response, 422, code="validation_error", field="limit")
    assert problem["detail"].startswith("limit in the query:")
    assert "ParamType" not in response.text
    assert problem["errors"] == [{"field": "limit", "message": problem["errors"][0]["message"], "source": "query"}]


def test_bad_dates_choices_and_ids_are_explained_in_the_callers_words(
    client: TestClient[Litestar], agency: Agency
) -> None:
    made = client.post("/v1/clients", json={"name": "Words"}, headers=agency.headers).json()
    report = f"/v1/clients/{made['id']}/report"

    date = assert_problem(client.get(report, params={"from": "2026-13-01"}, headers=agency.headers), 422)
    choice = assert_problem(client.get(report, params={"format": "docx"}, headers=agency.headers), 422)
    granularity = assert_problem(
        client.get(
            "/v1/metrics",
            params={"client_id": made["id"], "metric": "followers", "granularity": "fortnight"},
            headers=agency.headers,
        ),
        422,
    )
    identifier = assert_problem(
        client.get("/v1/metrics", params={"client_id": "nope", "metric": "followers"}, headers=agency.headers), 422
    )

    assert date["field"] == "from"
    assert "write the date as YYYY-MM-DD, like 2026-03-31" in date["detail"]
    assert "RFC3339" not in str(date)
    assert "'docx' is not one of the choices: json, csv, pdf" in choice["detail"]
    assert choice["errors"][0]["message"] == "'docx' is not one of the choices: json, csv, pdf"
    assert "'fortnight' is not one of the choices: day, week, month" in granularity["detail"]
    assert "write an id as a UUID" in identifier["detail"]


def test_request_id_is_echoed_in_header_and_problem(client: TestClient[Litestar], agency: Agency) -> None:
    ok = client.get("/v1/clients", headers={**agency.headers, "X-Request-ID": "trace-ok.1"})
    invalid = client.post("/v1/clients", json={"name": ""}, headers={**agency.headers, "X-Request-ID": "trace-422"})
    unauthorized = client.get("/v1/clients", headers={"X-Request-ID": "trace-401"})

    assert ok.headers["x-request-id"] == "trace-ok.1"
    assert invalid.headers["x-request-id"] == "trace-422"
    assert assert_problem(invalid, 422)["request_id"] == "trace-422"
    assert unauthorized.headers["x-request-id"] == "trace-401"
    assert assert_problem(unauthorized, 401)["request_id"] == "trace-401"


@pytest.mark.parametrize("incoming", [None, "has spaces in it", "x" * 65, "semi;colon"])
def test_a_missing_or_unsafe_request_id_is_replaced(
    client: TestClient[Litestar], agency: Agency, incoming: str | None
) -> None:
    headers = {**agency.headers, **({"X-Request-ID": incoming} if incoming else {})}

    first = client.get("/v1/clients", headers=headers)
    second = client.get("/v1/clients", headers=headers)

    assert GENERATED_ID.match(first.headers["x-request-id"])
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


@pytest.fixture
def failing_client(database: TestDatabase) -> Iterator[TestClient[Litestar]]:
    """Our app with one more route that crashes with a revealing message."""

    @get("/v1/explode", exclude_from_auth=True, summary="Crash", description="Raises.", sync_to_thread=False)
    def explode() -> None:
        raise RuntimeError("db password is hunter2 (see /srv/resonance/secrets.py)")

    app = create_app(make_settings(database))
    app.register(explode)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def test_an_internal_error_is_a_500_problem_without_internals(failing_client: TestClient[Litestar]) -> None:
    response = failing_client.get("/v1/explode", headers={"X-Request-ID": "trace-500"})

    problem = assert_problem(response, 500, code="internal_error")
    for leak in ("hunter2", "RuntimeError", "secrets.py", "Traceback", 'File "'):
        assert leak not in response.text
    assert problem["request_id"] == "trace-500"
    assert response.headers["x-request-id"] == "trace-500"
    assert "request_id" in problem["detail"]


def test_health_and_readiness_are_public(client: TestClient[Litestar]) -> None:
    health = client.get("/health")
    ready = client.get("/ready")

    assert (health.status_code, health.json()) == (200, {"status": "ok"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


def test_readiness_is_a_503_problem_when_the_database_does_not_answer(database: TestDatabase, tmp_path: Any) -> None:
    broken = make_settings(database, database_url=f"sqlite:///{tmp_path}/missing/dir/resonance.db")

    with TestClient(create_app(broken), raise_server_exceptions=False) as test_client:
        response = test_client.get("/ready")
        assert test_client.get("/health").status_code == 200

    problem = assert_problem(response, 503, code="unavailable")
    assert "database" in problem["detail"]


@pytest.fixture
def openapi(client: TestClient[Litestar]) -> dict[str, Any]:
    response = client.get("/docs/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def test_openapi_document_is_version_3_1(openapi: dict[str, Any]) -> None:
    assert openapi["openapi"].startswith("3.1.")
    assert openapi["info"]["title"] == "Resonance API"
    assert "ApiKey" in openapi["components"]["securitySchemes"]


def test_every_operation_has_a_summary_and_a_description(openapi: dict[str, Any]) -> None:
    operations = [(path, method, op) for path, ops in openapi["paths"].items() for method, op in ops.items()]
    assert operations

    for path, method, operation in operations:
        assert operation.get("summary", "").strip(), (method, path)
        assert operation.get("description", "").strip(), (method, path)


def test_every_route_is_documented(client: TestClient[Litestar], openapi: dict[str, Any]) -> None:
    documented = {(method.upper(), path) for path, operations in openapi["paths"].items() for method in operations}

    for route in client.app.routes:
        if not isinstance(route, HTTPRoute) or route.path.startswith(("/docs", "/portal")):
            continue  # the served document itself, and the portal's HTML pages (not part of the API)
        path = route.path
        for name, parameter in route.path_parameters.items():
            path = path.replace(f"{{{parameter.full}}}", f"{{{name}}}")
        for method in route.methods - {"OPTIONS", "HEAD"}:
            assert (method, path) in documented, (method, path)


def test_docs_are_public(client: TestClient[Litestar]) -> None:
    assert client.get("/docs/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200
