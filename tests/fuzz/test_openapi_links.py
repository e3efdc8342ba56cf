"""The OpenAPI document's links lead from each object made to the operations taking its id, and only there."""

from __future__ import annotations

import re
from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

METHODS = ("get", "post", "put", "patch", "delete")


def _document(client: TestClient[Litestar]) -> dict[str, Any]:
    response = client.get("/docs/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    return document


def _operations(document: dict[str, Any]) -> dict[str, tuple[str, str, dict[str, Any]]]:
    return {
        operation["operationId"]: (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def _links(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (f"{method.upper()} {path}", status, link)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
        for status, response in operation["responses"].items()
        for link in (response.get("links") or {}).values()
    ]


def test_every_link_names_a_real_operation_and_fills_its_path_parameters(client: TestClient[Litestar]) -> None:
    document = _document(client)
    operations = _operations(document)
    links = _links(document)
    assert len(links) > 40
    for source, status, link in links:
        assert status.startswith("2"), source
        assert link["operationId"] in operations, (source, link)
        _, path, _ = operations[link["operationId"]]
        wanted = set(re.findall(r"{(\w+)}", path))
        assert set(link["parameters"]) == wanted, (source, path, link)
        for value in link["parameters"].values():
            assert re.fullmatch(r"\$request\.path\.\w+|\$response\.body#(/\w+)+", value), (source, value)
            if value.startswith("$request.path."):
                assert "{" + value.removeprefix("$request.path.") + "}" in source, (source, value)


def test_objects_made_lead_to_the_routes_behind_their_ids(client: TestClient[Litestar]) -> None:
    document = _document(client)
    operations = _operations(document)
    targets = {
        (source, f"{operations[link['operationId']][0].upper()} {operations[link['operationId']][1]}")
        for source, _, link in _links(document)
    }
    for expected in [
        ("POST /v1/clients", "GET /v1/clients/{client_id}"),
        ("POST /v1/clients", "DELETE /v1/clients/{client_id}"),
        ("POST /v1/clients/{client_id}/accounts", "PATCH /v1/accounts/{account_id}"),
        ("POST /v1/accounts/{account_id}/syncs", "GET /v1/syncs/{sync_id}"),
        ("POST /v1/clients/{client_id}/costs", "GET /v1/clients/{client_id}/costs/{cost_id}"),
        ("POST /v1/webhook-endpoints", "GET /v1/webhook-endpoints/{endpoint_id}/deliveries"),
        ("POST /v1/webhook-endpoints", "POST /v1/webhook-endpoints/{endpoint_id}/test"),
        (
            "POST /v1/webhook-endpoints/{endpoint_id}/test",
            "POST /v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver",
        ),
        (
            "GET /v1/webhook-endpoints/{endpoint_id}/deliveries",
            "POST /v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/redeliver",
        ),
        ("POST /v1/clients/{client_id}/alerts/evaluate", "POST /v1/alerts/{alert_id}/acknowledge"),
        ("POST /v1/tenant/domains", "POST /v1/tenant/domains/{host}/verify"),
        ("POST /v1/alert-rules", "PATCH /v1/alert-rules/{rule_id}"),
    ]:
        assert expected in targets, expected


def test_a_nested_objects_link_keeps_its_parents_id_from_the_request(client: TestClient[Litestar]) -> None:
    response = _document(client)["paths"]["/v1/clients/{client_id}/costs"]["post"]["responses"]["201"]
    link = response["links"]["GET /v1/clients/{client_id}/costs/{cost_id}"]
    assert link["parameters"] == {"client_id": "$request.path.client_id", "cost_id": "$response.body#/id"}
