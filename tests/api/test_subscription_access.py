"""Access by subscription status: a read-only agency reads and exports everything and changes nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from api.app import PUBLIC_PATHS, create_app
from api.clients.models import Client
from tests.api.conftest import assert_problem, count_rows, create_client, create_key, make_client_and_account
from tests.api.subscription_rows import set_subscription
from tests.conftest import Agency, TestDatabase, make_settings, sign_up

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
STILL_WRITABLE = {("DELETE", "/v1/api-keys/{key_id:uuid}")}
"""Write routes a read-only agency may still call, besides the billing ones (/v1/billing/…, the Stripe webhook)."""


def make_read_only(
    client: TestClient[Litestar],
    database: TestDatabase,
    agency: Agency,
    status: str = "canceled",
    past_due_since: datetime | None = None,
) -> None:
    set_subscription(database, agency, plan="scale", status=status, past_due_since=past_due_since)
    client.app.state.services.standings.invalidate(uuid.UUID(agency.tenant_id))


def assert_inactive(response: Any) -> dict[str, Any]:
    return assert_problem(response, 402, code="subscription_inactive")


def test_a_canceled_agency_reads_and_exports_but_changes_nothing(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    owner, account = make_client_and_account(client, agency)
    make_read_only(client, database, agency)

    refused = client.post("/v1/clients", json={"name": "New"}, headers=agency.headers)

    body = assert_inactive(refused)
    assert "canceled" in body["detail"]
    assert "POST /v1/billing/checkout-session" in body["detail"]
    assert (body["subscription_status"], body["plan"]) == ("canceled", "scale")
    assert count_rows(database, Client, tenant_id=agency.tenant_id) == 1
    assert_inactive(client.patch(f"/v1/clients/{owner['id']}", json={"name": "X"}, headers=agency.headers))
    assert_inactive(client.delete(f"/v1/accounts/{account['id']}", headers=agency.headers))
    assert_inactive(client.post(f"/v1/accounts/{account['id']}/syncs", headers=agency.headers))
    for path in (
        "/v1/clients",
        f"/v1/clients/{owner['id']}",
        f"/v1/clients/{owner['id']}/accounts",
        "/v1/usage",
        "/v1/plans",
    ):
        assert client.get(path, headers=agency.headers).status_code == 200, path
    window = {"from": "2026-03-02", "to": "2026-03-15"}
    for export in ("csv", "pdf"):
        report = client.get(
            f"/v1/clients/{owner['id']}/report", params={**window, "format": export}, headers=agency.headers
        )
        assert report.status_code == 200, report.text
    subscription = client.get("/v1/subscription", headers=agency.headers).json()
    assert subscription["status"] == "canceled"
    assert subscription["access"]["writable"] is False
    assert "canceled" in subscription["access"]["reason"]


@pytest.mark.parametrize("status", ["unpaid", "incomplete_expired", "paused"])
def test_other_inactive_statuses_are_read_only_too(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, status: str
) -> None:
    make_read_only(client, database, agency, status=status)

    body = assert_inactive(client.post("/v1/clients", json={"name": "New"}, headers=agency.headers))

    assert status in body["detail"]


def test_past_due_keeps_writing_through_the_grace_period_then_is_read_only(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    since = datetime.now(UTC) - timedelta(days=2)
    make_read_only(client, database, agency, status="past_due", past_due_since=since)

    create_client(client, agency, "Still fine")
    access = client.get("/v1/subscription", headers=agency.headers).json()["access"]
    assert access["writable"] is True
    assert datetime.fromisoformat(access["read_only_from"].replace("Z", "+00:00")) == since + timedelta(days=7)

    make_read_only(client, database, agency, status="past_due", past_due_since=datetime.now(UTC) - timedelta(days=8))

    body = assert_inactive(client.post("/v1/clients", json={"name": "Too late"}, headers=agency.headers))
    assert "POST /v1/billing/portal-session" in body["detail"]
    assert client.get("/v1/clients", headers=agency.headers).status_code == 200


def test_the_grace_period_is_the_configured_one(database: TestDatabase) -> None:
    app = create_app(make_settings(database, billing_grace_days=1))
    with TestClient(app, raise_server_exceptions=False) as client:
        agency = sign_up(client)
        make_read_only(
            client, database, agency, status="past_due", past_due_since=datetime.now(UTC) - timedelta(days=2)
        )

        assert_inactive(client.post("/v1/clients", json={"name": "Late"}, headers=agency.headers))


def test_paying_again_restores_writes(client: TestClient[Litestar], agency: Agency, database: TestDatabase) -> None:
    make_read_only(client, database, agency)
    assert_inactive(client.post("/v1/clients", json={"name": "New"}, headers=agency.headers))

    make_read_only(client, database, agency, status="active")

    create_client(client, agency, "New")


def test_a_read_only_agency_can_still_revoke_a_key_but_not_create_one(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    leaked = create_key(client, agency, ["read"], name="leaked")
    make_read_only(client, database, agency)

    assert client.delete(f"/v1/api-keys/{leaked.id}", headers=agency.headers).status_code == 204
    assert client.get("/v1/clients", headers=leaked.headers).status_code == 401
    assert_inactive(client.post("/v1/api-keys", json={"name": "new", "scopes": ["read"]}, headers=agency.headers))


def test_a_read_only_agency_never_affects_another(
    client: TestClient[Litestar], agency: Agency, other_agency: Agency, database: TestDatabase
) -> None:
    make_read_only(client, database, agency)

    create_client(client, other_agency, "Beta's client")

    assert client.get("/v1/subscription", headers=other_agency.headers).json()["access"]["writable"] is True
    assert_inactive(client.post("/v1/clients", json={"name": "Alpha's"}, headers=agency.headers))


def _write_routes(app: Litestar) -> list[tuple[str, HTTPRoute, Any]]:
    found = []
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in sorted(set(handler.http_methods) & WRITE_METHODS):
                found.append((method, route, handler))
    return found


def _is_public(route: HTTPRoute, handler: Any) -> bool:
    import re

    return bool(handler.opt.get("exclude_from_auth")) or any(re.match(pattern, route.path) for pattern in PUBLIC_PATHS)


def test_every_write_route_is_refused_to_a_read_only_agency_except_the_listed_ones(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    make_read_only(client, database, agency)
    refused, allowed = [], []

    for method, route, handler in _write_routes(client.app):
        if _is_public(route, handler):
            continue
        path = route.path
        for parameter in route.path_parameters.values():
            # Ids nobody has: the guard answers before the handler would look for them.
            value = "demo" if parameter.type is str else str(uuid.uuid4())
            path = path.replace(f"{{{parameter.full}}}", value)
        response = client.request(method, path, json={}, headers=agency.headers)
        if response.status_code == 402 and response.json()["code"] == "subscription_inactive":
            refused.append((method, route.path))
        else:
            allowed.append((method, route.path))

    assert len(refused) >= 30
    billing = [(method, path) for method, path in allowed if path.startswith(("/v1/billing/", "/v1/stripe/webhook"))]
    assert set(allowed) - set(billing) == STILL_WRITABLE


def test_billing_routes_stay_open_to_a_read_only_agency(client: TestClient[Litestar], database: TestDatabase) -> None:
    agency = sign_up(client)
    make_read_only(client, database, agency)
    body = {"plan": "starter", "success_url": "https://a.example/ok", "cancel_url": "https://a.example/back"}

    # The guard lets them through: they answer for themselves (this app has no Stripe key nor webhook secret).
    checkout = client.post("/v1/billing/checkout-session", json=body, headers=agency.headers)
    assert_problem(checkout, 409, code="billing_local_mode")
    portal = client.post(
        "/v1/billing/portal-session", json={"return_url": "https://a.example/"}, headers=agency.headers
    )
    assert_problem(portal, 409, code="billing_local_mode")
    assert_problem(client.post("/v1/stripe/webhook", content=b"{}"), 503, code="stripe_webhook_not_configured")
    assert_inactive(client.post("/v1/clients", json={"name": "New"}, headers=agency.headers))


def test_the_openapi_document_lists_the_billing_refusals(client: TestClient[Litestar]) -> None:
    paths = client.get("/docs/openapi.json").json()["paths"]

    assert "quota_exceeded" in paths["/v1/clients"]["post"]["responses"]["402"]["description"]
    assert "quota_exceeded" in paths["/v1/accounts/{account_id}/syncs"]["post"]["responses"]["429"]["description"]
    assert "subscription_inactive" in paths["/v1/alert-rules"]["post"]["responses"]["402"]["description"]
    assert "402" not in paths["/v1/api-keys/{key_id}"]["delete"]["responses"]
    assert "402" not in paths["/v1/clients"]["get"]["responses"]
    assert "402" not in paths["/v1/signup"]["post"]["responses"]
