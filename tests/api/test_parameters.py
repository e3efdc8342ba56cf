"""The shared query parameters (`api/parameters.py`, `api.pagination.PAGE`) and the one ledger controller, as before.

`openapi_list_parameters.json` holds the operation ids and parameters of the routes that take them, as the
document listed them when each handler declared its own `from`/`to` and `cursor`/`limit` and when costs
and values had a controller each: the document must not change.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient

from api.errors import InvalidInput
from api.metrics.window import AskedDays
from api.pagination import DEFAULT_PAGE_SIZE, PageRequest, provide_page
from api.parameters import day_range
from api.roi.ledger_controllers import CostController, ValueController
from tests.api.conftest import assert_problem, create_client
from tests.conftest import Agency

SNAPSHOT = Path(__file__).with_name("openapi_list_parameters.json")


def test_the_routes_document_the_same_parameters_and_operation_ids(app: Litestar) -> None:
    expected: dict[str, Any] = json.loads(SNAPSHOT.read_text())
    paths = app.openapi_schema.to_schema()["paths"]
    for operation, documented in expected.items():
        method, path = operation.split(" ", 1)
        actual = paths[path][method.lower()]
        assert actual["operationId"] == documented["operationId"], operation
        assert actual.get("parameters", []) == documented["parameters"], operation


def test_a_day_range_is_documented_with_its_route_descriptions_and_gives_the_asked_days() -> None:
    @get("/days", dependencies={"days": day_range("First.", "Last.", default_days=7)}, sync_to_thread=False)
    def days_handler(days: AskedDays) -> dict[str, Any]:
        return {"first": days.first, "last": days.last, "default_days": days.default_days}

    app = Litestar([days_handler])
    parameters = app.openapi_schema.to_schema()["paths"]["/days"]["get"]["parameters"]
    assert [(p["name"], p["in"], p["description"], p["required"]) for p in parameters] == [
        ("from", "query", "First.", False),
        ("to", "query", "Last.", False),
    ]
    with TestClient(app) as client:
        assert client.get("/days", params={"from": "2026-03-01"}).json() == {
            "first": "2026-03-01",
            "last": None,
            "default_days": 7,
        }


def test_asked_days_resolve_with_the_route_default_and_refuse_a_reversed_filter() -> None:
    assert AskedDays(None, date(2026, 3, 31), 30).resolve(date(2026, 4, 1)) == (date(2026, 3, 2), date(2026, 3, 31))
    assert AskedDays(None, None, 0).bounds() == (None, None)
    with pytest.raises(InvalidInput) as refused:
        AskedDays(date(2026, 3, 2), date(2026, 3, 1), 0).bounds()
    assert refused.value.field == "from"
    assert str(refused.value) == "from (2026-03-02) is after to (2026-03-01)."


def test_the_page_dependency_caps_the_limit_at_the_configured_maximum(app: Litestar) -> None:
    maximum = app.state.services.settings.page_size_max
    capped, default = SimpleNamespace(scope={"state": {}}), SimpleNamespace(scope={"state": {}})

    asked = asyncio.run(provide_page(capped, app.state, "abc", maximum + 1))  # type: ignore[arg-type]
    assert asked == PageRequest(cursor="abc", limit=maximum)
    assert asyncio.run(provide_page(default, app.state)) == PageRequest(  # type: ignore[arg-type]
        cursor=None, limit=min(DEFAULT_PAGE_SIZE, maximum)
    )
    # What `announce_page_limit` tells the caller: the size applied, and the limit asked when it was capped.
    assert capped.scope["state"] == {"page_limit": maximum, "page_limit_asked": maximum + 1}
    assert default.scope["state"] == {"page_limit": min(DEFAULT_PAGE_SIZE, maximum)}


def test_bad_page_and_range_values_name_the_public_parameter(client: TestClient[Litestar], agency: Agency) -> None:
    created = create_client(client, agency, "Ledger client")
    path = f"/v1/clients/{created['id']}/costs"
    assert_problem(client.get(path, params={"limit": 0}, headers=agency.headers), 422, field="limit")
    assert_problem(client.get(path, params={"from": "yesterday"}, headers=agency.headers), 422, field="from")
    assert_problem(
        client.get(path, params={"from": "2026-03-02", "to": "2026-03-01"}, headers=agency.headers), 422, field="from"
    )
    unknown = client.get(f"{path}/{uuid.uuid4()}", headers=agency.headers)
    assert_problem(unknown, 404, field="cost_id")


def test_costs_and_values_are_one_controller_made_for_each_kind() -> None:
    def routes(controller: type) -> list[tuple[str, str]]:
        return sorted(
            (handler.handler_name, next(iter(handler.paths)))
            for handler in vars(controller).values()
            if hasattr(handler, "handler_name")
        )

    assert routes(CostController) == [
        ("create_cost", "/"),
        ("delete_cost", "/{cost_id:uuid}"),
        ("get_cost", "/{cost_id:uuid}"),
        ("import_costs", "/import"),
        ("list_costs", "/"),
    ]
    assert routes(ValueController) == [
        ("create_value", "/"),
        ("delete_value", "/{value_id:uuid}"),
        ("get_value", "/{value_id:uuid}"),
        ("import_values", "/import"),
        ("list_values", "/"),
    ]
    assert CostController.path == "/v1/clients/{client_id:uuid}/costs"
    assert ValueController.path == "/v1/clients/{client_id:uuid}/values"
