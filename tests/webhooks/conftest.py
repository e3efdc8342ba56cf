"""Fixtures of the webhook tests: an app allowed to reach a local receiver, and helpers to run the delivery worker.

The receiver is a real HTTP server in a thread (pytest-httpserver on 127.0.0.1). Time is driven by
giving the worker a clock (`Clock`), never by sleeping.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from pytest_httpserver import HTTPServer
from sqlalchemy import select

from api.app import create_app
from api.webhooks.delivery import WebhookWorker
from api.webhooks.models import WebhookDelivery
from tests.api.conftest import owner_connection, table
from tests.conftest import Agency, TestDatabase, make_settings, sign_up
from tests.sync.conftest import flaky_registry

HOOK_PATH = "/hook"


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: datetime = field(default_factory=lambda: datetime(2026, 11, 26, 9, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def webhook_app(database: TestDatabase) -> Litestar:
    """The app with private webhook URLs allowed (the receiver is on 127.0.0.1) and the flaky connectors."""
    return create_app(make_settings(database, webhook_allow_private_urls=True), registry=flaky_registry())


@pytest.fixture
def webhook_client(webhook_app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(webhook_app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def hooked_agency(webhook_client: TestClient[Litestar]) -> Agency:
    return sign_up(webhook_client, "Agency Hooked")


@pytest.fixture
def receiver(httpserver_ipv4: HTTPServer) -> HTTPServer:
    """A local HTTP server on 127.0.0.1, cleared for each test."""
    return httpserver_ipv4


def receiver_url(receiver: HTTPServer, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{receiver.port}{HOOK_PATH}"


def create_endpoint(
    client: TestClient[Litestar], agency: Agency, url: str, event_types: list[str] | None = None, **fields: Any
) -> dict[str, Any]:
    """Register an endpoint through the API; the body holds its secret."""
    body = {"url": url, "event_types": event_types or ["sync.failed", "account.needs_reauth"], **fields}
    response = client.post("/v1/webhook-endpoints", json=body, headers=agency.headers)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def send_test(client: TestClient[Litestar], agency: Agency, endpoint_id: str) -> dict[str, Any]:
    response = client.post(f"/v1/webhook-endpoints/{endpoint_id}/test", headers=agency.headers)
    assert response.status_code == 202, response.text
    queued: dict[str, Any] = response.json()
    return queued


def deliver(client: TestClient[Litestar], clock: Clock | None = None) -> int:
    """Run one pass of the app's delivery worker (at `clock`'s time when given); returns how many attempts."""
    worker: WebhookWorker = client.app.state.services.webhook_worker
    if clock is not None:
        worker.clock = clock
    with client.portal() as portal:
        return int(portal.call(worker.deliver_due))


def deliveries(client: TestClient[Litestar], agency: Agency, endpoint_id: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"/v1/webhook-endpoints/{endpoint_id}/deliveries", params=params, headers=agency.headers)
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


def stored_deliveries(database: TestDatabase, endpoint_id: str) -> list[dict[str, Any]]:
    """Every delivery row of the endpoint as the owner sees it, oldest first."""
    target = table(WebhookDelivery)
    with owner_connection(database) as connection:
        rows = connection.execute(
            select(target).where(target.c.endpoint_id == uuid.UUID(endpoint_id)).order_by(target.c.id)
        ).mappings()
        return [dict(row) for row in rows]


__all__ = [
    "HOOK_PATH",
    "Clock",
    "create_endpoint",
    "deliver",
    "deliveries",
    "receiver_url",
    "send_test",
    "stored_deliveries",
]
