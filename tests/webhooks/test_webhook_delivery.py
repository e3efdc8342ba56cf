"""The delivery worker against a real local receiver: signatures, retries on a schedule, refused addresses."""

from __future__ import annotations

import asyncio
import ipaddress
import itertools
import json
import time
from datetime import timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from pytest_httpserver import HTTPServer
from werkzeug import Request

from api.webhooks.delivery import LEASE, MAX_ATTEMPTS, RETRY_DELAYS, WebhookWorker
from api.webhooks.signing import SignatureError, verify
from api.webhooks.urls import IPAddress
from tests.conftest import Agency, TestDatabase
from tests.webhooks.conftest import (
    HOOK_PATH,
    Clock,
    create_endpoint,
    deliver,
    deliveries,
    receiver_url,
    send_test,
    stored_deliveries,
)


def received(receiver: HTTPServer) -> list[Request]:
    return [request for request, _response in receiver.log]


def test_a_delivery_reaches_the_receiver_signed_with_the_endpoints_secret(
    webhook_client: TestClient[Litestar], hooked_agency: Agency, receiver: HTTPServer
) -> None:
    receiver.expect_request(HOOK_PATH, method="POST").respond_with_data("thanks", status=200)
    endpoint = create_endpoint(webhook_client, hooked_agency, receiver_url(receiver))
    queued = send_test(webhook_client, hooked_agency, endpoint["id"])

    assert deliver(webhook_client) == 1

    [request] = received(receiver)
    body = request.get_data()
    timestamp = verify(endpoint["secret"], request.headers["Resonance-Signature"], body)
    payload = json.loads(body)
    assert payload == queued["payload"]
    assert set(payload) == {"id", "type", "created_at", "tenant_id", "data"}
    assert (payload["type"], payload["tenant_id"]) == ("ping", hooked_agency.tenant_id)
    assert payload["data"] == {"endpoint_id": endpoint["id"]}
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["Resonance-Event"] == "ping"
    assert request.headers["Resonance-Event-Id"] == queued["event_id"] == payload["id"]
    assert request.headers["Resonance-Delivery"] == queued["id"]
    assert request.headers["Resonance-Signature"] == f"t={timestamp},v1={request.headers['Resonance-Signature'][-64:]}"
    with pytest.raises(SignatureError):
        verify("whsec_not-the-secret", request.headers["Resonance-Signature"], body)
    with pytest.raises(SignatureError):
        verify(endpoint["secret"], request.headers["Resonance-Signature"], body.replace(b"ping", b"pong"))
    [delivery] = deliveries(webhook_client, hooked_agency, endpoint["id"])
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == ("succeeded", 1, 200)
    assert delivery["last_error"] is None
    assert delivery["delivered_at"] is not None
    assert delivery["next_attempt_at"] is None
    assert deliver(webhook_client) == 0  # nothing is sent twice


def test_a_receiver_answering_500_is_retried_after_the_first_delay_and_then_succeeds(
    webhook_client: TestClient[Litestar], hooked_agency: Agency, receiver: HTTPServer, database: TestDatabase
) -> None:
    receiver.expect_oneshot_request(HOOK_PATH, method="POST").respond_with_data("down", status=500)
    receiver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok", status=204)
    endpoint = create_endpoint(webhook_client, hooked_agency, receiver_url(receiver))
    clock = Clock()
    queued = send_test(webhook_client, hooked_agency, endpoint["id"])
    clock.now = max(clock.now, _created_at(database, endpoint["id"]))
    first_attempt = clock.now

    assert deliver(webhook_client, clock) == 1
    [row] = stored_deliveries(database, endpoint["id"])
    assert (row["status"], row["attempts"], row["last_status_code"]) == ("pending", 1, 500)
    assert row["last_error"] == "the receiver answered HTTP 500"
    wait = row["next_attempt_at"] - first_attempt
    assert timedelta(seconds=54) <= wait <= timedelta(seconds=66)  # 1 minute, jitter ±10 %

    clock.advance(wait - timedelta(seconds=1))
    assert deliver(webhook_client, clock) == 0  # not due yet
    clock.advance(timedelta(seconds=1))
    assert deliver(webhook_client, clock) == 1

    [row] = stored_deliveries(database, endpoint["id"])
    assert (row["status"], row["attempts"], row["last_status_code"], row["last_error"]) == ("succeeded", 2, 204, None)
    first, second = received(receiver)
    assert first.get_data() == second.get_data()
    assert first.headers["Resonance-Event-Id"] == second.headers["Resonance-Event-Id"] == queued["event_id"]
    for request, at in ((first, first_attempt), (second, clock.now)):
        assert verify(
            endpoint["secret"], request.headers["Resonance-Signature"], request.get_data(), now=at.timestamp()
        ) == int(at.timestamp())


def test_a_receiver_that_never_accepts_gets_eight_attempts_over_about_a_day_then_the_delivery_fails(
    webhook_client: TestClient[Litestar], hooked_agency: Agency, receiver: HTTPServer, database: TestDatabase
) -> None:
    receiver.expect_request(HOOK_PATH, method="POST").respond_with_data("nope", status=503)
    endpoint = create_endpoint(webhook_client, hooked_agency, receiver_url(receiver))
    send_test(webhook_client, hooked_agency, endpoint["id"])
    clock = Clock()
    clock.now = max(clock.now, _created_at(database, endpoint["id"]))
    attempts_at = []

    for _ in range(20):
        if deliver(webhook_client, clock):
            attempts_at.append(clock.now)
        [row] = stored_deliveries(database, endpoint["id"])
        if row["status"] != "pending":
            break
        clock.now = row["next_attempt_at"]

    assert MAX_ATTEMPTS == 8
    assert len(attempts_at) == 8
    assert (row["status"], row["attempts"], row["last_status_code"]) == ("failed", 8, 503)
    assert row["next_attempt_at"] is None
    assert len(received(receiver)) == 8
    gaps = [later - earlier for earlier, later in itertools.pairwise(attempts_at)]
    expected = [timedelta(minutes=m) for m in (1, 5, 30, 120, 300, 480, 480)]
    assert list(RETRY_DELAYS) == expected
    for gap, delay in zip(gaps, expected, strict=True):
        assert delay * 0.9 <= gap <= delay * 1.1, (gap, delay)
    total = attempts_at[-1] - attempts_at[0]
    assert sum(expected, timedelta()) == timedelta(hours=23, minutes=36)
    assert timedelta(hours=21) < total < timedelta(hours=26)
    # Failed for good: later passes send nothing more.
    clock.advance(timedelta(days=2))
    assert deliver(webhook_client, clock) == 0


def test_a_redirect_is_not_followed(
    webhook_client: TestClient[Litestar], hooked_agency: Agency, receiver: HTTPServer, database: TestDatabase
) -> None:
    receiver.expect_request(HOOK_PATH, method="POST").respond_with_data(
        "", status=307, headers={"Location": receiver.url_for("/elsewhere")}
    )
    endpoint = create_endpoint(webhook_client, hooked_agency, receiver_url(receiver))
    send_test(webhook_client, hooked_agency, endpoint["id"])

    assert deliver(webhook_client) == 1

    assert [request.path for request in received(receiver)] == [HOOK_PATH]
    [row] = stored_deliveries(database, endpoint["id"])
    assert (row["status"], row["last_status_code"], row["last_error"]) == (
        "pending",
        307,
        "the receiver answered HTTP 307",
    )


def test_a_name_resolving_to_loopback_at_delivery_time_receives_nothing_when_private_urls_are_refused(
    webhook_client: TestClient[Litestar], hooked_agency: Agency, receiver: HTTPServer, database: TestDatabase
) -> None:
    receiver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")
    endpoint = create_endpoint(webhook_client, hooked_agency, receiver_url(receiver, host="localhost"))
    send_test(webhook_client, hooked_agency, endpoint["id"])
    webhook_client.app.state.services.webhook_policy.allow_private = False

    assert deliver(webhook_client) == 1

    assert received(receiver) == []
    [row] = stored_deliveries(database, endpoint["id"])
    assert (row["status"], row["attempts"], row["last_status_code"]) == ("pending", 1, None)
    assert row["last_error"].startswith("not sent: url host 'localhost' resolves to ")
    assert "loopback address" in row["last_error"]


def test_dns_rebinding_to_loopback_after_creation_is_refused_and_the_checked_address_is_the_one_used(
    webhook_client: TestClient[Litestar], hooked_agency: Agency, receiver: HTTPServer, database: TestDatabase
) -> None:
    receiver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")
    policy = webhook_client.app.state.services.webhook_policy
    answers: dict[str, list[IPAddress]] = {"hooks.rebind.test": [ipaddress.ip_address("8.8.8.8")]}

    async def resolver(host: str, _port: int) -> list[IPAddress]:
        return answers[host]

    policy.resolver, policy.allow_private = resolver, False
    url = f"http://hooks.rebind.test:{receiver.port}{HOOK_PATH}"
    endpoint = create_endpoint(webhook_client, hooked_agency, url)  # a public address at creation
    send_test(webhook_client, hooked_agency, endpoint["id"])
    answers["hooks.rebind.test"] = [ipaddress.ip_address("127.0.0.1")]  # …and loopback when delivering

    assert deliver(webhook_client) == 1
    assert received(receiver) == []
    [row] = stored_deliveries(database, endpoint["id"])
    assert "resolves to 127.0.0.1, which is a loopback address" in row["last_error"]

    # Where private addresses are allowed, the connection goes to the address the check saw, under the name.
    policy.allow_private = True
    clock = Clock(now=row["next_attempt_at"])
    assert deliver(webhook_client, clock) == 1
    [request] = received(receiver)
    assert request.headers["Host"] == f"hooks.rebind.test:{receiver.port}"
    assert stored_deliveries(database, endpoint["id"])[0]["status"] == "succeeded"


async def test_two_workers_never_send_the_same_delivery_twice(
    webhook_client: TestClient[Litestar], hooked_agency: Agency, receiver: HTTPServer, database: TestDatabase
) -> None:
    receiver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")
    endpoint = create_endpoint(webhook_client, hooked_agency, receiver_url(receiver))
    for _ in range(6):
        send_test(webhook_client, hooked_agency, endpoint["id"])
    app_worker: WebhookWorker = webhook_client.app.state.services.webhook_worker
    from tenants.database import Database

    databases = [Database(database.url), Database(database.url)]
    try:
        workers = [WebhookWorker(db, app_worker.vault, app_worker.policy) for db in databases]
        counts = await asyncio.gather(*(worker.deliver_due() for worker in workers))
    finally:
        for db in databases:
            await db.dispose()

    assert sum(counts) == 6
    ids = [request.headers["Resonance-Delivery"] for request in received(receiver)]
    assert len(ids) == len(set(ids)) == 6
    assert {row["status"] for row in stored_deliveries(database, endpoint["id"])} == {"succeeded"}


def test_an_attempt_whose_worker_died_is_tried_again_once_its_lease_runs_out(
    webhook_client: TestClient[Litestar], hooked_agency: Agency, receiver: HTTPServer, database: TestDatabase
) -> None:
    receiver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")
    endpoint = create_endpoint(webhook_client, hooked_agency, receiver_url(receiver))
    send_test(webhook_client, hooked_agency, endpoint["id"])
    worker: WebhookWorker = webhook_client.app.state.services.webhook_worker
    [row] = stored_deliveries(database, endpoint["id"])
    clock = Clock(now=row["next_attempt_at"])
    worker.clock = clock
    with webhook_client.portal() as portal:  # claimed, then the worker "dies" before sending
        claimed = portal.call(worker._claim, row["tenant_id"], row["id"])
    assert claimed is not None

    clock.advance(LEASE - timedelta(seconds=1))
    assert deliver(webhook_client, clock) == 0
    clock.advance(timedelta(seconds=1))
    assert deliver(webhook_client, clock) == 1

    [row] = stored_deliveries(database, endpoint["id"])
    assert (row["status"], row["attempts"]) == ("succeeded", 2)
    assert len(received(receiver)) == 1


def _created_at(database: TestDatabase, endpoint_id: str) -> Any:
    [row] = stored_deliveries(database, endpoint_id)
    return row["next_attempt_at"]


def test_the_in_process_worker_of_an_embedded_server_delivers_without_being_asked(
    database: TestDatabase, receiver: HTTPServer
) -> None:
    from api.app import create_app
    from tests.conftest import make_settings, sign_up

    receiver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")
    app = create_app(make_settings(database, scheduler_enabled=True, webhook_allow_private_urls=True))
    with TestClient(app, raise_server_exceptions=False) as client:
        agency = sign_up(client, "Agency Embedded")
        endpoint = create_endpoint(client, agency, receiver_url(receiver))
        queued = send_test(client, agency, endpoint["id"])  # wakes the worker once the response is sent
        deadline = time.monotonic() + 20
        while not receiver.log and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [request.headers["Resonance-Delivery"] for request in received(receiver)] == [queued["id"]]
        while deliveries(client, agency, endpoint["id"])[0]["status"] == "pending" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert deliveries(client, agency, endpoint["id"])[0]["status"] == "succeeded"


def test_resonance_worker_once_sends_what_is_due(
    webhook_client: TestClient[Litestar],
    hooked_agency: Agency,
    receiver: HTTPServer,
    database: TestDatabase,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from typer.testing import CliRunner

    from api.cli import app as cli

    receiver.expect_request(HOOK_PATH, method="POST").respond_with_data("ok")
    endpoint = create_endpoint(webhook_client, hooked_agency, receiver_url(receiver))
    queued = send_test(webhook_client, hooked_agency, endpoint["id"])
    for name, value in {
        "RESONANCE_DATABASE_URL": database.url,
        "RESONANCE_SECRET_KEY": webhook_client.app.state.services.settings.secret_key,
        "RESONANCE_WEBHOOK_ALLOW_PRIVATE_URLS": "true",
        "RESONANCE_ENV": "test",
    }.items():
        monkeypatch.setenv(name, value)

    result = CliRunner().invoke(cli, ["worker", "--once"])

    assert result.exit_code == 0, result.output
    assert "ran 0 sync(s), attempted 1 webhook delivery(ies)" in " ".join(result.output.split())
    [request] = received(receiver)
    assert request.headers["Resonance-Delivery"] == queued["id"]
    verify(endpoint["secret"], request.headers["Resonance-Signature"], request.get_data())
    assert stored_deliveries(database, endpoint["id"])[0]["status"] == "succeeded"
