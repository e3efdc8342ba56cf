"""Webhook endpoints and their deliveries through the API: secrets shown once, URL checks, lists, redelivery."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from api.app import create_app
from api.webhooks.models import WebhookDelivery, WebhookEndpoint
from tenants.models import AuditEntry
from tests.api.conftest import assert_problem, count_rows, create_key, owner_connection, table
from tests.conftest import Agency, TestDatabase, make_settings, sign_up
from tests.webhooks.conftest import HOOK_PATH, create_endpoint, deliver, deliveries, receiver_url, send_test

PUBLIC_URL = "http://93.184.215.14/hooks/resonance"
"""A literal public address: accepted without resolving anything, never contacted by these tests."""


def endpoint_row(database: TestDatabase, endpoint_id: str) -> Any:
    endpoints = table(WebhookEndpoint)
    with owner_connection(database) as connection:
        return connection.execute(select(endpoints).where(endpoints.c.id == uuid.UUID(endpoint_id))).one()


def audit_actions(database: TestDatabase, tenant_id: str) -> list[tuple[str, dict[str, Any]]]:
    audit = table(AuditEntry)
    with owner_connection(database) as connection:
        rows = connection.execute(
            select(audit.c.action, audit.c.changes)
            .where(audit.c.tenant_id == uuid.UUID(tenant_id))
            .order_by(audit.c.id)
        ).all()
    return [(row.action, row.changes) for row in rows if row.action.startswith("webhook")]


def test_creating_an_endpoint_shows_its_secret_once_and_stores_it_only_encrypted(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    response = client.post(
        "/v1/webhook-endpoints",
        json={
            "url": PUBLIC_URL,
            "event_types": ["alert.opened", "sync.failed", "alert.opened"],
            "description": "on-call channel",
        },
        headers=agency.headers,
    )

    assert response.status_code == 201, response.text
    created = response.json()
    secret = created.pop("secret")
    assert secret.startswith("whsec_")
    assert len(secret) == len("whsec_") + 43  # 32 random bytes, base64url
    endpoint_id = created.pop("id")
    created.pop("created_at")
    assert created == {
        "url": PUBLIC_URL,
        "description": "on-call channel",
        "event_types": ["alert.opened", "sync.failed"],
        "enabled": True,
    }
    one = client.get(f"/v1/webhook-endpoints/{endpoint_id}", headers=agency.headers)
    listed = client.get("/v1/webhook-endpoints", headers=agency.headers)
    assert one.status_code == listed.status_code == 200
    assert "secret" not in one.json()
    assert [item["id"] for item in listed.json()["data"]] == [endpoint_id]
    for text in (one.text, listed.text):
        assert secret not in text
    row = endpoint_row(database, endpoint_id)
    assert secret not in row.secret_encrypted
    assert client.app.state.services.vault.decrypt(row.secret_encrypted) == {"secret": secret}
    [(action, changes)] = audit_actions(database, agency.tenant_id)
    assert action == "webhook_endpoint.created"
    assert changes["url"] == PUBLIC_URL
    assert secret not in str(changes)
    other = create_endpoint(client, agency, PUBLIC_URL)
    assert other["secret"] != secret


def test_replaying_a_creation_returns_the_same_endpoint_without_its_secret(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase
) -> None:
    headers = {**agency.headers, "Idempotency-Key": "endpoint-1"}
    body = {"url": PUBLIC_URL, "event_types": ["alert.resolved"]}

    first = client.post("/v1/webhook-endpoints", json=body, headers=headers)
    again = client.post("/v1/webhook-endpoints", json=body, headers=headers)

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == {**first.json(), "secret": None}
    assert first.json()["secret"].startswith("whsec_")
    assert count_rows(database, WebhookEndpoint) == 1


INVALID_BODIES: dict[str, tuple[dict[str, Any], str]] = {
    "unknown event type": ({"url": PUBLIC_URL, "event_types": ["alert.exploded"]}, "event_types"),
    "no event type": ({"url": PUBLIC_URL, "event_types": []}, "event_types"),
    "no url": ({"event_types": ["sync.failed"]}, "url"),
    "unknown field": ({"url": PUBLIC_URL, "event_types": ["sync.failed"], "secret": "mine"}, "secret"),
    "not a url": ({"url": "hooks.example.com", "event_types": ["sync.failed"]}, "url"),
    "another scheme": ({"url": "ftp://93.184.215.14/x", "event_types": ["sync.failed"]}, "url"),
    "credentials in the url": ({"url": "http://user:pw@93.184.215.14/x", "event_types": ["sync.failed"]}, "url"),
    "description too long": (
        {"url": PUBLIC_URL, "event_types": ["sync.failed"], "description": "x" * 501},
        "description",
    ),
}


def test_invalid_endpoints_are_422_naming_the_field_and_store_nothing(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, subtests: pytest.Subtests
) -> None:
    for case, (body, field) in INVALID_BODIES.items():
        with subtests.test(case):
            response = client.post("/v1/webhook-endpoints", json=body, headers=agency.headers)
            problem = assert_problem(response, 422, code="validation_error")
            assert problem["field"].split("[")[0].split(".")[0] == field, problem
            assert "user:pw" not in response.text

    assert count_rows(database, WebhookEndpoint) == 0


REFUSED_URLS = {
    "http://127.0.0.1:8080/hook": "loopback",
    "http://10.1.2.3/hook": "private",
    "http://192.168.1.20/hook": "private",
    "http://172.16.0.1/hook": "private",
    "http://169.254.169.254/latest/meta-data": "link-local",
    "http://0.0.0.0/hook": "unspecified",
    "http://[::1]/hook": "loopback",
    "http://[fe80::1]/hook": "link-local",
    "http://[fd00::5]/hook": "private",
    "http://[::ffff:127.0.0.1]/hook": "loopback",
    "http://[::ffff:10.0.0.1]/hook": "private",
    "http://224.0.0.1/hook": "multicast",
    "http://100.64.0.1/hook": "not publicly routable",
    "http://localhost:9000/hook": "loopback",
}


@pytest.mark.parametrize(("url", "reason"), REFUSED_URLS.items(), ids=list(REFUSED_URLS))
def test_private_loopback_and_link_local_addresses_are_refused_unless_allowed(
    client: TestClient[Litestar], agency: Agency, database: TestDatabase, url: str, reason: str
) -> None:
    response = client.post(
        "/v1/webhook-endpoints", json={"url": url, "event_types": ["sync.failed"]}, headers=agency.headers
    )

    problem = assert_problem(response, 422, code="validation_error", field="url")
    assert f"a {reason} address" in problem["detail"]
    assert "RESONANCE_WEBHOOK_ALLOW_PRIVATE_URLS=true" in problem["detail"]
    assert count_rows(database, WebhookEndpoint) == 0


def test_private_addresses_are_accepted_when_the_setting_allows_them(
    webhook_client: TestClient[Litestar], hooked_agency: Agency
) -> None:
    for url in ("http://127.0.0.1:8080/hook", "http://[::1]/hook", "http://10.1.2.3/hook"):
        assert create_endpoint(webhook_client, hooked_agency, url)["url"] == url


def test_a_name_resolving_to_a_private_address_is_refused_at_creation(
    client: TestClient[Litestar], agency: Agency
) -> None:
    import ipaddress

    async def resolver(host: str, _port: int) -> list[Any]:
        return {"mixed.example": [ipaddress.ip_address("8.8.8.8"), ipaddress.ip_address("10.0.0.7")]}.get(host, [])

    client.app.state.services.webhook_policy.resolver = resolver
    body = {"url": "https://mixed.example/hook", "event_types": ["sync.failed"]}

    mixed = client.post("/v1/webhook-endpoints", json=body, headers=agency.headers)
    unknown = client.post(
        "/v1/webhook-endpoints", json={**body, "url": "https://nowhere.example/hook"}, headers=agency.headers
    )

    problem = assert_problem(mixed, 422, field="url")
    assert "'mixed.example' resolves to 10.0.0.7, which is a private address" in problem["detail"]
    problem = assert_problem(unknown, 422, field="url")
    assert "'nowhere.example' does not resolve" in problem["detail"]


def test_only_https_urls_are_accepted_in_production(database: TestDatabase) -> None:
    app = create_app(make_settings(database, environment="production"))
    with TestClient(app, raise_server_exceptions=False) as client:
        agency = sign_up(client, "Agency Prod")
        refused = client.post(
            "/v1/webhook-endpoints", json={"url": PUBLIC_URL, "event_types": ["sync.failed"]}, headers=agency.headers
        )
        accepted = client.post(
            "/v1/webhook-endpoints",
            json={"url": PUBLIC_URL.replace("http://", "https://"), "event_types": ["sync.failed"]},
            headers=agency.headers,
        )

    problem = assert_problem(refused, 422, field="url")
    assert "url must start with https://" in problem["detail"]
    assert accepted.status_code == 201, accepted.text


def test_deleting_an_endpoint_deletes_its_deliveries(
    webhook_client: TestClient[Litestar], hooked_agency: Agency, database: TestDatabase
) -> None:
    endpoint = create_endpoint(webhook_client, hooked_agency, "http://127.0.0.1:9/hook")
    kept = create_endpoint(webhook_client, hooked_agency, "http://127.0.0.1:9/kept")
    send_test(webhook_client, hooked_agency, endpoint["id"])
    send_test(webhook_client, hooked_agency, kept["id"])

    response = webhook_client.delete(f"/v1/webhook-endpoints/{endpoint['id']}", headers=hooked_agency.headers)

    assert response.status_code == 204
    path = f"/v1/webhook-endpoints/{endpoint['id']}"
    assert_problem(webhook_client.get(path, headers=hooked_agency.headers), 404, field="endpoint_id")
    assert_problem(webhook_client.get(f"{path}/deliveries", headers=hooked_agency.headers), 404, field="endpoint_id")
    assert count_rows(database, WebhookDelivery, endpoint_id=endpoint["id"]) == 0
    assert count_rows(database, WebhookDelivery, endpoint_id=kept["id"]) == 1
    actions = [action for action, _ in audit_actions(database, hooked_agency.tenant_id)]
    assert actions.count("webhook_endpoint.deleted") == 1


def test_deliveries_are_listed_newest_first_filtered_by_status_and_paginated(
    webhook_client: TestClient[Litestar], hooked_agency: Agency, receiver: HTTPServer
) -> None:
    receiver.expect_oneshot_request(HOOK_PATH, method="POST").respond_with_data("ok")
    receiver.expect_request(HOOK_PATH, method="POST").respond_with_data("down", status=500)
    endpoint = create_endpoint(webhook_client, hooked_agency, receiver_url(receiver))
    first = send_test(webhook_client, hooked_agency, endpoint["id"])
    assert deliver(webhook_client) == 1
    second = send_test(webhook_client, hooked_agency, endpoint["id"])
    third = send_test(webhook_client, hooked_agency, endpoint["id"])
    assert deliver(webhook_client) == 2

    ids = lambda items: [item["id"] for item in items]  # noqa: E731
    every = deliveries(webhook_client, hooked_agency, endpoint["id"])
    assert ids(every) == [third["id"], second["id"], first["id"]]
    assert [(d["status"], d["attempts"], d["last_status_code"]) for d in every] == [
        ("pending", 1, 500),
        ("pending", 1, 500),
        ("succeeded", 1, 200),
    ]
    assert ids(deliveries(webhook_client, hooked_agency, endpoint["id"], status="succeeded")) == [first["id"]]
    assert ids(deliveries(webhook_client, hooked_agency, endpoint["id"], status="pending")) == [
        third["id"],
        second["id"],
    ]
    assert deliveries(webhook_client, hooked_agency, endpoint["id"], status="failed") == []
    assert len(deliveries(webhook_client, hooked_agency, endpoint["id"], event_type="ping")) == 3
    assert deliveries(webhook_client, hooked_agency, endpoint["id"], event_type="sync.failed") == []
    path = f"/v1/webhook-endpoints/{endpoint['id']}/deliveries"
    page = webhook_client.get(path, params={"limit": 2}, headers=hooked_agency.headers).json()
    assert ids(page["data"]) == [third["id"], second["id"]]
    rest = webhook_client.get(path, params={"limit": 2, "cursor": page["next_cursor"]}, headers=hooked_agency.headers)
    assert ids(rest.json()["data"]) == [first["id"]]
    assert rest.json()["next_cursor"] is None
    bad = webhook_client.get(path, params={"status": "lost"}, headers=hooked_agency.headers)
    assert_problem(bad, 422, code="validation_error", field="status")


def test_redelivery_sends_the_same_event_again_as_a_new_delivery(
    webhook_client: TestClient[Litestar], hooked_agency: Agency, receiver: HTTPServer, database: TestDatabase
) -> None:
    receiver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")
    endpoint = create_endpoint(webhook_client, hooked_agency, receiver_url(receiver))
    other = create_endpoint(webhook_client, hooked_agency, receiver_url(receiver))
    original = send_test(webhook_client, hooked_agency, endpoint["id"])
    assert deliver(webhook_client) == 1
    path = f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{original['id']}/redeliver"

    response = webhook_client.post(path, headers=hooked_agency.headers)

    assert response.status_code == 202, response.text
    again = response.json()
    assert again["id"] != original["id"]
    assert (again["event_id"], again["redelivery_of"], again["status"]) == (
        original["event_id"],
        original["id"],
        "pending",
    )
    assert again["payload"] == original["payload"]
    assert deliver(webhook_client) == 1
    first, second = (request for request, _ in receiver.log)
    assert first.get_data() == second.get_data()
    assert first.headers["Resonance-Event-Id"] == second.headers["Resonance-Event-Id"] == original["event_id"]
    assert (first.headers["Resonance-Delivery"], second.headers["Resonance-Delivery"]) == (original["id"], again["id"])
    assert [d["status"] for d in deliveries(webhook_client, hooked_agency, endpoint["id"])] == [
        "succeeded",
        "succeeded",
    ]
    assert count_rows(database, WebhookDelivery, endpoint_id=endpoint["id"]) == 2
    assert ("webhook_delivery.redelivered", {"redelivery_of": original["id"], "event_id": original["event_id"]}) in (
        audit_actions(database, hooked_agency.tenant_id)
    )
    # A delivery of another endpoint, or none at all, is not found under this endpoint.
    wrong = f"/v1/webhook-endpoints/{other['id']}/deliveries/{original['id']}/redeliver"
    assert_problem(webhook_client.post(wrong, headers=hooked_agency.headers), 404, field="delivery_id")
    missing = f"/v1/webhook-endpoints/{endpoint['id']}/deliveries/{uuid.uuid4()}/redeliver"
    assert_problem(webhook_client.post(missing, headers=hooked_agency.headers), 404, field="delivery_id")


def test_webhook_routes_need_a_key_and_a_read_key_changes_nothing(client: TestClient[Litestar], agency: Agency) -> None:
    endpoint = create_endpoint(client, agency, PUBLIC_URL)
    delivery = send_test(client, agency, endpoint["id"])
    reader = create_key(client, agency, ["read"])
    base = f"/v1/webhook-endpoints/{endpoint['id']}"

    assert_problem(client.get("/v1/webhook-endpoints"), 401, code="unauthorized")
    assert_problem(client.get(f"{base}/deliveries"), 401, code="unauthorized")
    assert client.get("/v1/webhook-endpoints", headers=reader.headers).status_code == 200
    assert client.get(f"{base}/deliveries", headers=reader.headers).status_code == 200
    body = {"url": PUBLIC_URL, "event_types": ["sync.failed"]}
    assert_problem(client.post("/v1/webhook-endpoints", json=body, headers=reader.headers), 403, code="forbidden")
    assert_problem(client.delete(base, headers=reader.headers), 403, code="forbidden")
    assert_problem(client.post(f"{base}/test", headers=reader.headers), 403, code="forbidden")
    redeliver = f"{base}/deliveries/{delivery['id']}/redeliver"
    assert_problem(client.post(redeliver, headers=reader.headers), 403, code="forbidden")
    assert len(client.get(f"{base}/deliveries", headers=agency.headers).json()["data"]) == 1


def test_another_agency_has_its_own_endpoints(client: TestClient[Litestar], agency: Agency) -> None:
    create_endpoint(client, agency, PUBLIC_URL)
    beta = sign_up(client, "Agency Beta")

    assert client.get("/v1/webhook-endpoints", headers=beta.headers).json() == {"data": [], "next_cursor": None}
