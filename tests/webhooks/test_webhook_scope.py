"""Managing webhook endpoints needs the `webhooks` (or `admin`) scope: a `write` key only reads them.

An endpoint receives every alert and sync failure of the agency and its secret signs what the receiver
trusts, so registering one is an agency-level decision, not an ordinary write.
"""

from __future__ import annotations

from typing import Any

from litestar import Litestar
from litestar.testing import TestClient

from api.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.api.conftest import Key, assert_problem, count_rows, create_key
from tests.conftest import Agency, TestDatabase
from tests.webhooks.conftest import create_endpoint, send_test

PUBLIC_URL = "http://93.184.215.14/hooks/resonance"
"""A literal public address: accepted without resolving anything, never contacted by these tests."""
BODY = {"url": PUBLIC_URL, "event_types": ["sync.failed"]}


def _changes(
    client: TestClient[Litestar], key: Key, endpoint: dict[str, Any], delivery: dict[str, Any]
) -> dict[str, Any]:
    """Every webhook-managing request, made with `key`, by name."""
    base = f"/v1/webhook-endpoints/{endpoint['id']}"
    return {
        "create": client.post("/v1/webhook-endpoints", json=BODY, headers=key.headers),
        "send a test": client.post(f"{base}/test", headers=key.headers),
        "redeliver": client.post(f"{base}/deliveries/{delivery['id']}/redeliver", headers=key.headers),
        "delete": client.delete(base, headers=key.headers),
    }


def test_a_write_key_cannot_manage_webhook_endpoints_and_is_told_the_scope_it_needs(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    endpoint = create_endpoint(client, agency, PUBLIC_URL)
    delivery = send_test(client, agency, endpoint["id"])
    writer = create_key(client, agency, ["read", "write"], name="integration")

    for action, response in _changes(client, writer, endpoint, delivery).items():
        problem = assert_problem(response, 403, code="forbidden")
        assert "'webhooks'" in problem["detail"], (action, problem)
        assert "'admin'" in problem["detail"], (action, problem)

    assert count_rows(database, WebhookEndpoint, tenant_id=agency.tenant_id) == 1
    assert count_rows(database, WebhookDelivery, tenant_id=agency.tenant_id) == 1
    # Reading endpoints and deliveries (never the secret) stays open to the key.
    base = f"/v1/webhook-endpoints/{endpoint['id']}"
    assert client.get("/v1/webhook-endpoints", headers=writer.headers).status_code == 200
    assert client.get(base, headers=writer.headers).status_code == 200
    assert client.get(f"{base}/deliveries", headers=writer.headers).status_code == 200


def test_a_key_with_the_webhooks_scope_manages_endpoints_without_being_admin(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    endpoint = create_endpoint(client, agency, PUBLIC_URL)
    delivery = send_test(client, agency, endpoint["id"])
    hooks = create_key(client, agency, ["read", "webhooks"], name="alerting")

    statuses = {
        action: response.status_code for action, response in _changes(client, hooks, endpoint, delivery).items()
    }

    assert statuses == {"create": 201, "send a test": 202, "redeliver": 202, "delete": 204}
    assert count_rows(database, WebhookEndpoint, tenant_id=agency.tenant_id) == 1  # the one it created
    # The scope gives webhooks only: nothing else of `write` or `admin`.
    assert_problem(client.post("/v1/clients", json={"name": "Nope"}, headers=hooks.headers), 403, code="forbidden")
    assert_problem(client.get("/v1/api-keys", headers=hooks.headers), 403, code="forbidden")


def test_an_admin_key_manages_endpoints(client: TestClient[Litestar], agency: Agency) -> None:
    endpoint = create_endpoint(client, agency, PUBLIC_URL)
    delivery = send_test(client, agency, endpoint["id"])
    admin = create_key(client, agency, ["admin"], name="ops")

    statuses = {
        action: response.status_code for action, response in _changes(client, admin, endpoint, delivery).items()
    }

    assert statuses == {"create": 201, "send a test": 202, "redeliver": 202, "delete": 204}


def test_the_webhooks_scope_is_validated_and_documented_at_key_creation(
    client: TestClient[Litestar], agency: Agency
) -> None:
    created = client.post("/v1/api-keys", json={"name": "hooks", "scopes": ["webhooks"]}, headers=agency.headers)
    unknown = client.post("/v1/api-keys", json={"name": "hooks", "scopes": ["webhook"]}, headers=agency.headers)

    assert created.status_code == 201, created.text
    assert created.json()["scopes"] == ["webhooks"]
    problem = assert_problem(unknown, 422, code="validation_error")
    assert str(problem["field"]).startswith("scopes"), problem
    document = client.get("/docs/openapi.json").json()
    scopes = document["components"]["schemas"]["ApiKeyIn"]["properties"]["scopes"]
    assert set(scopes["items"]["enum"]) == {"read", "write", "admin", "webhooks"}
    for scope in ("read", "write", "admin", "webhooks"):
        assert f"`{scope}`" in scopes["description"], scopes
