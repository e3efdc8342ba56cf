"""Publishing events: in the producer's transaction, to subscribed endpoints only, and from real failing syncs."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from pytest_httpserver import HTTPServer
from sqlmodel import select

from api.webhooks.events import publish
from api.webhooks.models import WebhookDelivery, WebhookEndpoint
from api.webhooks.signing import verify
from tenants.audit import SYSTEM
from tenants.credentials import CredentialVault
from tenants.database import Database
from tenants.signup import create_tenant
from tests.api.conftest import count_rows, create_account, create_client
from tests.conftest import Agency, TestDatabase, run_syncs
from tests.webhooks.conftest import HOOK_PATH, create_endpoint, deliver, receiver_url


@pytest.fixture
async def db(database: TestDatabase) -> AsyncIterator[Database]:
    connection = Database(database.url)
    try:
        yield connection
    finally:
        await connection.dispose()


async def tenant_with_endpoints(db: Database, subscriptions: dict[str, list[str]], **disabled: bool) -> Any:
    """A tenant and endpoints named by their URL path, subscribed as given; returns (tenant id, {name: id})."""
    tenant, _key, _secret = await create_tenant(
        db, agency_name=f"Agency {uuid.uuid4().hex[:6]}", email=f"o@{uuid.uuid4().hex[:6]}.example", actor=SYSTEM
    )
    vault = CredentialVault(["events-test-key-" + "z" * 32])
    ids: dict[str, uuid.UUID] = {}
    async with db.tenant_session(tenant.id) as session:
        for name, event_types in subscriptions.items():
            endpoint = WebhookEndpoint(
                url=f"https://hooks.example.com/{name}",
                event_types=event_types,
                secret_encrypted=vault.encrypt({"secret": "whsec_x"}),
                enabled=not disabled.get(name, False),
            )
            session.add(endpoint)
            await session.flush()
            ids[name] = endpoint.id
    return tenant.id, ids


async def stored(db: Database, tenant_id: uuid.UUID) -> list[WebhookDelivery]:
    async with db.tenant_session(tenant_id) as session:
        return list((await session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id))).all())  # type: ignore[arg-type]


async def test_an_event_is_queued_once_for_each_enabled_endpoint_subscribed_to_it(db: Database) -> None:
    tenant_id, ids = await tenant_with_endpoints(
        db,
        {
            "alerts": ["alert.opened", "alert.resolved"],
            "syncs": ["sync.failed"],
            "all": ["alert.opened", "sync.failed"],
            "off": ["alert.opened"],
        },
        off=True,
    )
    alert_id = uuid.uuid4()
    before = datetime.now(UTC)

    async with db.tenant_session(tenant_id) as session:
        await publish(
            session,
            "alert.opened",
            {"alert_id": alert_id, "opened_at": datetime(2026, 11, 26, 8, 30, tzinfo=UTC), "score": Decimal("3.50")},
        )

    rows = await stored(db, tenant_id)
    assert sorted(row.endpoint_id for row in rows) == sorted([ids["alerts"], ids["all"]])
    assert len({row.event_id for row in rows}) == 1  # one event, delivered to two endpoints
    for row in rows:
        assert (row.status, row.attempts, row.event_type) == ("pending", 0, "alert.opened")
        assert row.next_attempt_at is not None
        assert before <= row.next_attempt_at <= datetime.now(UTC)
        assert row.payload == {
            "id": str(row.event_id),
            "type": "alert.opened",
            "created_at": row.payload["created_at"],
            "tenant_id": str(tenant_id),
            "data": {"alert_id": str(alert_id), "opened_at": "2026-11-26T08:30:00Z", "score": "3.50"},
        }
        created = datetime.fromisoformat(row.payload["created_at"].replace("Z", "+00:00"))
        assert before <= created <= datetime.now(UTC)


async def test_a_rolled_back_change_publishes_nothing(db: Database) -> None:
    tenant_id, _ids = await tenant_with_endpoints(db, {"syncs": ["sync.failed"]})

    async def failing_change() -> None:
        async with db.tenant_session(tenant_id) as session:
            await publish(session, "sync.failed", {"sync_id": uuid.uuid4()})
            raise RuntimeError("the change failed")

    with pytest.raises(RuntimeError, match="the change failed"):
        await failing_change()

    assert await stored(db, tenant_id) == []


async def test_an_event_goes_only_to_the_publishing_tenants_endpoints(db: Database) -> None:
    alpha, _ = await tenant_with_endpoints(db, {"a": ["sync.failed"]})
    beta, beta_ids = await tenant_with_endpoints(db, {"b": ["sync.failed"]})

    async with db.tenant_session(beta) as session:
        await publish(session, "sync.failed", {"sync_id": uuid.uuid4()})

    assert await stored(db, alpha) == []
    assert [row.endpoint_id for row in await stored(db, beta)] == [beta_ids["b"]]


async def test_an_unknown_event_type_or_a_session_without_tenant_is_refused(db: Database) -> None:
    tenant_id, _ = await tenant_with_endpoints(db, {"a": ["sync.failed"]})

    with pytest.raises(ValueError, match=r"unknown webhook event type 'sync\.exploded'"):
        async with db.tenant_session(tenant_id) as session:
            await publish(session, "sync.exploded", {})
    with pytest.raises(RuntimeError, match="inside a tenant session"):
        async with db.system_session() as session:
            await publish(session, "sync.failed", {})


def _received_events(receiver: HTTPServer, secret: str) -> list[dict[str, Any]]:
    events = []
    for request, _ in receiver.log:
        verify(secret, request.headers["Resonance-Signature"], request.get_data())
        events.append(json.loads(request.get_data()))
    return events


def _sync(client: TestClient[Litestar], agency: Agency, account_id: str, since: str, until: str) -> dict[str, Any]:
    response = client.post(
        f"/v1/accounts/{account_id}/syncs", json={"since": since, "until": until}, headers=agency.headers
    )
    assert response.status_code == 202, response.text
    assert run_syncs(client) == 1
    run: dict[str, Any] = client.get(f"/v1/syncs/{response.json()['id']}", headers=agency.headers).json()
    return run


def test_credentials_refused_by_the_network_send_sync_failed_and_account_needs_reauth_once(
    webhook_client: TestClient[Litestar], hooked_agency: Agency, receiver: HTTPServer
) -> None:
    receiver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")
    endpoint = create_endpoint(webhook_client, hooked_agency, receiver_url(receiver))
    owner = create_client(webhook_client, hooked_agency, "Refused Bakery")
    account = create_account(webhook_client, hooked_agency, owner["id"], "expired_token", network="flaky_auth")

    run = _sync(webhook_client, hooked_agency, account["id"], "2026-01-01", "2026-01-03")

    assert run["status"] == "failed"
    assert deliver(webhook_client) == 2
    events = {event["type"]: event for event in _received_events(receiver, endpoint["secret"])}
    assert sorted(events) == ["account.needs_reauth", "sync.failed"]
    failed, reauth = events["sync.failed"], events["account.needs_reauth"]
    assert failed["type"] == "sync.failed"
    assert failed["tenant_id"] == hooked_agency.tenant_id
    assert failed["data"] == {
        "sync_id": run["id"],
        "account_id": account["id"],
        "client_id": owner["id"],
        "network": "flaky_auth",
        "handle": "expired_token",
        "trigger": "api",
        "window_since": "2026-01-01",
        "window_until": "2026-01-03",
        "finished_at": failed["data"]["finished_at"],
        "error": "connector flaky_auth raised AuthenticationError: the token of expired_token has expired",
    }
    assert failed["data"]["error"] == run["error"]
    assert failed["data"]["finished_at"].replace("Z", "+00:00") == run["finished_at"].replace("Z", "+00:00")
    assert reauth["type"] == "account.needs_reauth"
    assert reauth["data"] == {
        "account_id": account["id"],
        "client_id": owner["id"],
        "network": "flaky_auth",
        "handle": "expired_token",
        "reason": "flaky_auth refused the credentials: the token of expired_token has expired",
    }
    stored_account = webhook_client.get(f"/v1/accounts/{account['id']}", headers=hooked_agency.headers).json()
    assert stored_account["status"] == "needs_reauth"

    # Already needing reauthorization: another refused sync fails again, but the account is announced once.
    again = _sync(webhook_client, hooked_agency, account["id"], "2026-01-01", "2026-01-03")
    assert deliver(webhook_client) == 1
    latest = _received_events(receiver, endpoint["secret"])[-1]
    assert (latest["type"], latest["data"]["sync_id"]) == ("sync.failed", again["id"])


def test_a_crashing_connector_sends_sync_failed_and_a_successful_sync_sends_nothing(
    webhook_client: TestClient[Litestar], hooked_agency: Agency, receiver: HTTPServer, database: TestDatabase
) -> None:
    receiver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")
    endpoint = create_endpoint(
        webhook_client, hooked_agency, receiver_url(receiver), event_types=["sync.failed", "account.needs_reauth"]
    )
    owner = create_client(webhook_client, hooked_agency, "Crashing Bakery")
    crashing = create_account(webhook_client, hooked_agency, owner["id"], "crasher", network="flaky_crash")
    healthy = create_account(webhook_client, hooked_agency, owner["id"], "healthy")

    succeeded = _sync(webhook_client, hooked_agency, healthy["id"], "2026-01-01", "2026-01-03")
    assert succeeded["status"] == "succeeded"
    assert count_rows(database, WebhookDelivery, endpoint_id=endpoint["id"]) == 0
    crashed = _sync(webhook_client, hooked_agency, crashing["id"], "2026-01-01", "2026-01-05")

    assert crashed["status"] == "failed"
    assert deliver(webhook_client) == 1
    [event] = _received_events(receiver, endpoint["secret"])
    assert event["type"] == "sync.failed"
    assert (event["data"]["sync_id"], event["data"]["account_id"]) == (crashed["id"], crashing["id"])
    assert event["data"]["error"] == "connector flaky_crash raised RuntimeError: the network went away after 2 day(s)"


def test_an_endpoint_not_subscribed_to_sync_failures_receives_none(
    webhook_client: TestClient[Litestar], hooked_agency: Agency, database: TestDatabase
) -> None:
    endpoint = create_endpoint(webhook_client, hooked_agency, "http://127.0.0.1:9/hook", event_types=["alert.opened"])
    owner = create_client(webhook_client, hooked_agency, "Quiet Bakery")
    account = create_account(webhook_client, hooked_agency, owner["id"], "expired", network="flaky_auth")

    assert _sync(webhook_client, hooked_agency, account["id"], "2026-01-01", "2026-01-02")["status"] == "failed"

    assert count_rows(database, WebhookDelivery, endpoint_id=endpoint["id"]) == 0


def test_a_sync_that_cannot_start_because_its_connector_is_gone_sends_sync_failed(
    webhook_client: TestClient[Litestar],
    hooked_agency: Agency,
    client: TestClient[Litestar],
    receiver: HTTPServer,
) -> None:
    receiver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")
    endpoint = create_endpoint(webhook_client, hooked_agency, receiver_url(receiver))
    owner = create_client(webhook_client, hooked_agency, "Orphaned Bakery")
    account = create_account(webhook_client, hooked_agency, owner["id"], "orphan", network="flaky_crash")
    queued = webhook_client.post(f"/v1/accounts/{account['id']}/syncs", headers=hooked_agency.headers)
    assert queued.status_code == 202, queued.text

    assert run_syncs(client) == 1  # a process without the flaky plugins installed runs it

    assert deliver(webhook_client) == 1
    [event] = _received_events(receiver, endpoint["secret"])
    assert (event["type"], event["data"]["sync_id"]) == ("sync.failed", queued.json()["id"])
    assert event["data"]["error"] == "no installed connector provides network 'flaky_crash'"
    assert (event["data"]["window_since"], event["data"]["network"]) == (None, "flaky_crash")
