"""Answers schemathesis found undocumented, each now in the OpenAPI document as the app gives it."""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from tests.api.conftest import assert_problem, create_client
from tests.conftest import Agency

UNKNOWN = "01a2507e-a4d7-7658-9ce9-ae4eae3ea2de"


def _document(client: TestClient[Litestar]) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/docs/openapi.json").json()
    return document


def _responses(client: TestClient[Litestar], method: str, path: str) -> dict[str, Any]:
    responses: dict[str, Any] = _document(client)["paths"][path][method]["responses"]
    return responses


def test_a_204_documents_no_body(client: TestClient[Litestar], agency: Agency) -> None:
    made = create_client(client, agency)
    response = client.delete(f"/v1/clients/{made['id']}", headers=agency.headers)
    assert response.status_code == 204
    assert not response.content
    assert "content" not in _responses(client, "delete", "/v1/clients/{client_id}")["204"]


def test_malformed_json_is_a_documented_400(client: TestClient[Litestar], agency: Agency) -> None:
    headers = {**agency.headers, "content-type": "application/json"}
    assert_problem(client.post("/v1/clients", content=b"<", headers=headers), 400, code="malformed_request")
    assert "400" in _responses(client, "post", "/v1/clients")
    assert "400" not in _responses(client, "get", "/v1/clients")


def test_an_unknown_id_in_the_query_or_body_is_a_documented_404(client: TestClient[Litestar], agency: Agency) -> None:
    assert_problem(client.get("/v1/metrics", params={"client_id": UNKNOWN}, headers=agency.headers), 404)
    body = {"kind": "negative_share_spike", "client_id": UNKNOWN}
    assert_problem(client.post("/v1/alert-rules", json=body, headers=agency.headers), 404)
    assert "404" in _responses(client, "get", "/v1/metrics")
    assert "404" in _responses(client, "post", "/v1/alert-rules")
    assert "404" not in _responses(client, "get", "/v1/clients")


def test_removing_a_logo_there_is_not_is_a_documented_404(client: TestClient[Litestar], agency: Agency) -> None:
    assert_problem(client.delete("/v1/tenant/brand/logo", headers=agency.headers), 404)
    assert "404" in _responses(client, "delete", "/v1/tenant/brand/logo")


def test_a_duplicate_is_a_documented_409(client: TestClient[Litestar], agency: Agency) -> None:
    create_client(client, agency, "Boulangerie Martin")
    again = client.post("/v1/clients", json={"name": "Boulangerie Martin"}, headers=agency.headers)
    assert_problem(again, 409)
    assert "409" in _responses(client, "post", "/v1/clients")
    assert "409" in _responses(client, "post", "/v1/clients/{client_id}/accounts")


def test_the_report_documents_its_csv_and_pdf(client: TestClient[Litestar], agency: Agency) -> None:
    made = create_client(client, agency)
    pdf = client.get(f"/v1/clients/{made['id']}/report", params={"format": "pdf"}, headers=agency.headers)
    assert pdf.headers["content-type"].startswith("application/pdf")
    content = _responses(client, "get", "/v1/clients/{client_id}/report")["200"]["content"]
    assert {"application/json", "text/csv", "application/pdf"} <= set(content)


def test_an_int_or_float_is_any_of_not_one_of(client: TestClient[Litestar]) -> None:
    """Every JSON integer is a number too, so `oneOf` [integer, number] refused 0 (seen in the report's figures)."""
    value = _document(client)["components"]["schemas"]["Figure"]["properties"]["value"]
    assert "oneOf" not in value
    assert {"integer", "number"} <= {alternative.get("type") for alternative in value["anyOf"]}


def test_a_body_that_refuses_unknown_fields_says_so(client: TestClient[Litestar], agency: Agency) -> None:
    response = client.post("/v1/clients", json={"name": "Boulangerie Martin", "colour": "red"}, headers=agency.headers)
    assert_problem(response, 422)
    schemas = _document(client)["components"]["schemas"]
    assert schemas["ClientIn"]["additionalProperties"] is False
    assert schemas["AlertRulePatch"]["additionalProperties"] is False
    assert "additionalProperties" not in schemas["ClientOut"]
