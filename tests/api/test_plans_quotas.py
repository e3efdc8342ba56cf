"""Plans and quotas through the API: what is on sale, what the agency uses, and the refusals past a limit."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import update

from api.accounts.models import SocialAccount
from api.app import create_app
from api.billing.plans import QUOTAS
from api.billing.quotas import Quotas, next_day_start, uuid7_floor
from api.clients.models import Client
from api.sync.models import SyncRun
from api.webhooks.models import WebhookEndpoint
from tenants.models import AuditEntry
from tests.api.conftest import (
    assert_problem,
    count_rows,
    create_account,
    create_client,
    owner_connection,
    table,
)
from tests.api.subscription_rows import set_subscription
from tests.conftest import TestDatabase, make_settings, run_syncs, sign_up

TINY_PLANS = {
    "tiny": {
        "name": "Tiny",
        "price": "9.00",
        "quotas": {"clients": 2, "tracked_accounts": 2, "syncs_per_day": 3, "webhook_endpoints": 1},
    },
    "roomy": {
        "name": "Roomy",
        "price": "99.00",
        "quotas": {"clients": None, "tracked_accounts": 10, "syncs_per_day": 100, "webhook_endpoints": 5},
    },
    "mini": {
        "name": "Mini",
        "price": "19.00",
        "quotas": {"clients": 3, "tracked_accounts": 2, "syncs_per_day": 3, "webhook_endpoints": 1},
    },
}
"""Tiny quotas to reach in a few calls; `roomy` and `mini` allow more clients, `roomy` more of everything."""

WEBHOOK_URL = "http://93.184.215.14/hook"


def tiny_app(database: TestDatabase) -> Litestar:
    return create_app(make_settings(database, plans_config=json.dumps(TINY_PLANS), default_plan="tiny"))


@asynccontextmanager
async def concurrent_client(database: TestDatabase) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose requests really run at the same time in the app (Litestar's test clients run one at a time)."""
    app = tiny_app(database)
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
            yield client
    finally:
        await app.state.services.database.dispose()


@pytest.fixture
def tiny(database: TestDatabase) -> Iterator[TestClient[Litestar]]:
    with TestClient(tiny_app(database), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def starter(database: TestDatabase) -> Iterator[TestClient[Litestar]]:
    with TestClient(
        create_app(make_settings(database, default_plan="starter")), raise_server_exceptions=False
    ) as test_client:
        yield test_client


def assert_quota_problem(response: Any, status: int, quota: str, usage: int, limit: int) -> dict[str, Any]:
    body = assert_problem(response, status, code="quota_exceeded", field=quota)
    assert (body["quota"], body["usage"], body["limit"], body["plan"]) == (quota, usage, limit, "tiny")
    assert "Tiny plan allows" in body["detail"]
    assert "Nothing was changed" in body["detail"]
    return body


def audit_count(database: TestDatabase, action: str) -> int:
    return count_rows(database, AuditEntry, action=action)


def test_plans_lists_every_plan_with_its_price_quotas_and_the_current_one(
    starter: TestClient[Litestar],
) -> None:
    agency = sign_up(starter)

    response = starter.get("/v1/plans", headers=agency.headers)

    assert response.status_code == 200, response.text
    plans = response.json()["data"]
    assert [plan["id"] for plan in plans] == ["starter", "agency", "scale"]
    assert [plan["current"] for plan in plans] == [True, False, False]
    first = plans[0]
    assert (first["name"], first["price"], first["currency"]) == ("Starter", "49.00", "eur")
    assert set(first["quotas"]) == set(QUOTAS)
    assert first["quotas"]["clients"] == {"limit": 5, "description": QUOTAS["clients"]}
    assert plans[2]["quotas"]["clients"]["limit"] is None  # unlimited


def test_plans_marks_the_plan_the_agency_is_on(tiny: TestClient[Litestar], database: TestDatabase) -> None:
    agency = sign_up(tiny)
    set_subscription(database, agency, plan="roomy")

    plans = tiny.get("/v1/plans", headers=agency.headers).json()["data"]

    assert [(plan["id"], plan["current"]) for plan in plans] == [("tiny", False), ("mini", False), ("roomy", True)]


def test_subscription_of_a_new_agency_is_local_on_the_default_plan_with_its_usage(
    starter: TestClient[Litestar],
) -> None:
    agency = sign_up(starter)
    made = create_client(starter, agency)
    account = create_account(starter, agency, made["id"])
    create_account(starter, agency, made["id"], "paused_one", sync_enabled=False)
    paused = create_account(starter, agency, made["id"], "paused_two")
    starter.patch(f"/v1/accounts/{paused['id']}", json={"status": "paused"}, headers=agency.headers)
    assert starter.post(f"/v1/accounts/{account['id']}/syncs", headers=agency.headers).status_code == 202
    run_syncs(starter)

    response = starter.get("/v1/subscription", headers=agency.headers)

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["plan"], body["plan_name"], body["status"]) == ("starter", "Starter", "local")
    assert body["stripe_customer_id"] is None
    assert body["stripe_subscription_id"] is None
    assert body["current_period_end"] is None
    assert body["cancel_at_period_end"] is False
    assert body["access"] == {"writable": True, "reason": None, "read_only_from": None}
    quotas = body["quotas"]
    assert quotas["clients"] == {"limit": 5, "usage": 1, "remaining": 4, "description": QUOTAS["clients"]}
    # A paused account is not tracked; one with scheduling off still is.
    assert quotas["tracked_accounts"]["usage"] == 2
    assert quotas["tracked_accounts"]["remaining"] == 23
    assert quotas["syncs_per_day"]["usage"] == 1
    assert quotas["webhook_endpoints"]["usage"] == 0
    # The requests of the last minute, this one included: the client, three accounts, the pause, the sync.
    assert quotas["api_requests_per_minute"] == {
        "limit": 600,
        "usage": 7,
        "remaining": 593,
        "description": QUOTAS["api_requests_per_minute"],
    }


def test_subscription_shows_the_stripe_state_of_the_agency(tiny: TestClient[Litestar], database: TestDatabase) -> None:
    agency = sign_up(tiny)
    period_end = datetime(2026, 12, 1, tzinfo=UTC)
    set_subscription(
        database,
        agency,
        plan="roomy",
        status="active",
        stripe_customer_id="cus_alpha",
        stripe_subscription_id="sub_alpha",
        current_period_end=period_end,
        cancel_at_period_end=True,
    )

    body = tiny.get("/v1/subscription", headers=agency.headers).json()

    assert (body["plan"], body["status"]) == ("roomy", "active")
    assert (body["stripe_customer_id"], body["stripe_subscription_id"]) == ("cus_alpha", "sub_alpha")
    assert datetime.fromisoformat(body["current_period_end"].replace("Z", "+00:00")) == period_end
    assert body["cancel_at_period_end"] is True
    assert body["quotas"]["clients"]["limit"] is None
    assert body["quotas"]["clients"]["remaining"] is None


def test_creating_a_client_past_the_quota_is_402_and_deleting_one_frees_a_slot(
    tiny: TestClient[Litestar], database: TestDatabase
) -> None:
    agency = sign_up(tiny)
    first = create_client(tiny, agency, "One")
    create_client(tiny, agency, "Two")

    refused = tiny.post("/v1/clients", json={"name": "Three"}, headers=agency.headers)

    body = assert_quota_problem(refused, 402, "clients", 2, 2)
    assert "delete a client" in body["detail"]
    assert body["upgrade"]["plans"] == [
        {"id": "mini", "name": "Mini", "limit": 3},
        {"id": "roomy", "name": "Roomy", "limit": None},
    ]
    assert f"resonance tenant plan {agency.tenant_id} mini" in body["upgrade"]["how"]
    assert count_rows(database, Client, tenant_id=agency.tenant_id) == 2
    assert audit_count(database, "client.created") == 2

    assert tiny.delete(f"/v1/clients/{first['id']}", headers=agency.headers).status_code == 204
    create_client(tiny, agency, "Three")
    assert count_rows(database, Client, tenant_id=agency.tenant_id) == 2


def test_a_replayed_creation_is_not_refused_once_the_quota_is_full(tiny: TestClient[Litestar]) -> None:
    agency = sign_up(tiny)
    headers = {**agency.headers, "Idempotency-Key": "client-two"}
    create_client(tiny, agency, "One")
    made = tiny.post("/v1/clients", json={"name": "Two"}, headers=headers)
    assert made.status_code == 201

    replayed = tiny.post("/v1/clients", json={"name": "Two"}, headers=headers)

    assert replayed.status_code == 201
    assert replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json()["id"] == made.json()["id"]


def test_a_refused_creation_can_be_retried_with_its_idempotency_key_once_there_is_room(
    tiny: TestClient[Litestar], database: TestDatabase
) -> None:
    agency = sign_up(tiny)
    first = create_client(tiny, agency, "One")
    create_client(tiny, agency, "Two")
    headers = {**agency.headers, "Idempotency-Key": "client-three"}
    assert tiny.post("/v1/clients", json={"name": "Three"}, headers=headers).status_code == 402
    tiny.delete(f"/v1/clients/{first['id']}", headers=agency.headers)

    assert tiny.post("/v1/clients", json={"name": "Three"}, headers=headers).status_code == 201


def test_the_plan_set_by_the_operator_applies_to_the_next_write(
    tiny: TestClient[Litestar], database: TestDatabase
) -> None:
    agency = sign_up(tiny)
    create_client(tiny, agency, "One")
    create_client(tiny, agency, "Two")
    assert tiny.post("/v1/clients", json={"name": "Three"}, headers=agency.headers).status_code == 402

    set_subscription(database, agency, plan="roomy")

    create_client(tiny, agency, "Three")


def test_tracking_an_account_past_the_quota_is_402_and_paused_accounts_do_not_count(
    tiny: TestClient[Litestar], database: TestDatabase
) -> None:
    agency = sign_up(tiny)
    owner = create_client(tiny, agency)
    first = create_account(tiny, agency, owner["id"], "one")
    create_account(tiny, agency, owner["id"], "two", kind="competitor")

    refused = tiny.post(
        f"/v1/clients/{owner['id']}/accounts", json={"network": "demo", "handle": "three"}, headers=agency.headers
    )

    body = assert_quota_problem(refused, 402, "tracked_accounts", 2, 2)
    assert [plan["id"] for plan in body["upgrade"]["plans"]] == ["roomy"]
    assert count_rows(database, SocialAccount, tenant_id=agency.tenant_id) == 2
    assert audit_count(database, "account.created") == 2

    paused = tiny.patch(f"/v1/accounts/{first['id']}", json={"status": "paused"}, headers=agency.headers)
    assert paused.status_code == 200
    third = create_account(tiny, agency, owner["id"], "three")
    assert third["status"] == "active"

    resumed = tiny.patch(
        f"/v1/accounts/{first['id']}", json={"status": "active", "display_name": "Back"}, headers=agency.headers
    )

    assert_quota_problem(resumed, 402, "tracked_accounts", 2, 2)
    kept = tiny.get(f"/v1/accounts/{first['id']}", headers=agency.headers).json()
    assert (kept["status"], kept["display_name"]) == ("paused", None)
    # Changing anything else of an account never needs a slot.
    renamed = tiny.patch(f"/v1/accounts/{third['id']}", json={"display_name": "Third"}, headers=agency.headers)
    assert renamed.status_code == 200


def test_requesting_a_sync_past_the_daily_quota_is_429_until_midnight_utc(
    tiny: TestClient[Litestar], database: TestDatabase
) -> None:
    agency = sign_up(tiny)
    owner = create_client(tiny, agency)
    account = create_account(tiny, agency, owner["id"])
    path = f"/v1/accounts/{account['id']}/syncs"
    for _ in range(3):
        assert tiny.post(path, headers=agency.headers).status_code == 202

    before = datetime.now(UTC)
    refused = tiny.post(path, headers=agency.headers)
    after = datetime.now(UTC)

    body = assert_quota_problem(refused, 429, "syncs_per_day", 3, 3)
    assert "00:00 UTC" in body["detail"]
    retry_after = int(refused.headers["Retry-After"])
    assert (next_day_start(after) - after).total_seconds() - 1 <= retry_after
    assert retry_after <= (next_day_start(before) - before).total_seconds() + 1
    assert count_rows(database, SyncRun, tenant_id=agency.tenant_id) == 3
    assert audit_count(database, "sync.requested") == 3

    # Yesterday's runs do not count against today.
    with owner_connection(database) as connection:
        connection.execute(update(table(SyncRun)).values(requested_at=datetime.now(UTC) - timedelta(days=1, minutes=1)))
    assert tiny.post(path, headers=agency.headers).status_code == 202


def test_scheduled_runs_count_against_the_daily_quota(tiny: TestClient[Litestar], database: TestDatabase) -> None:
    agency = sign_up(tiny)
    owner = create_client(tiny, agency)
    account = create_account(tiny, agency, owner["id"])
    worker = tiny.app.state.services.sync_worker
    with tiny.portal() as portal:
        assert len(portal.call(worker.enqueue_due)) == 1
    path = f"/v1/accounts/{account['id']}/syncs"
    assert tiny.post(path, headers=agency.headers).status_code == 202
    assert tiny.post(path, headers=agency.headers).status_code == 202

    assert_quota_problem(tiny.post(path, headers=agency.headers), 429, "syncs_per_day", 3, 3)


def test_registering_a_webhook_endpoint_past_the_quota_is_402(
    tiny: TestClient[Litestar], database: TestDatabase
) -> None:
    agency = sign_up(tiny)
    body = {"url": WEBHOOK_URL, "event_types": ["sync.failed"]}
    first = tiny.post("/v1/webhook-endpoints", json=body, headers=agency.headers)
    assert first.status_code == 201, first.text

    refused = tiny.post("/v1/webhook-endpoints", json=body, headers=agency.headers)

    problem = assert_quota_problem(refused, 402, "webhook_endpoints", 1, 1)
    assert "secret" not in problem
    assert count_rows(database, WebhookEndpoint, tenant_id=agency.tenant_id) == 1
    assert tiny.delete(f"/v1/webhook-endpoints/{first.json()['id']}", headers=agency.headers).status_code == 204
    assert tiny.post("/v1/webhook-endpoints", json=body, headers=agency.headers).status_code == 201


def test_an_invalid_request_is_told_what_is_wrong_before_the_quota(tiny: TestClient[Litestar]) -> None:
    agency = sign_up(tiny)
    create_client(tiny, agency, "One")
    create_client(tiny, agency, "Two")

    duplicate = tiny.post("/v1/clients", json={"name": "One"}, headers=agency.headers)

    assert_problem(duplicate, 409, code="conflict", field="name")


def test_one_agencys_usage_never_counts_against_another(tiny: TestClient[Litestar]) -> None:
    alpha = sign_up(tiny, "Agency Alpha")
    beta = sign_up(tiny, "Agency Beta")
    create_client(tiny, alpha, "One")
    create_client(tiny, alpha, "Two")

    create_client(tiny, beta, "One")
    create_client(tiny, beta, "Two")

    assert tiny.get("/v1/subscription", headers=beta.headers).json()["quotas"]["clients"]["usage"] == 2
    assert tiny.post("/v1/clients", json={"name": "Three"}, headers=alpha.headers).status_code == 402


def test_upgrade_names_checkout_when_stripe_is_on() -> None:
    from api.billing.plans import BUILT_IN
    from api.billing.standing import Standings

    standings = Standings(database=None, plans=dict(BUILT_IN), default_plan="starter", grace=timedelta(days=7))  # type: ignore[arg-type]
    quotas = Quotas(standings, stripe_enabled=True)

    upgrade = quotas.upgrade(uuid.uuid4(), BUILT_IN["agency"], "clients", 50)

    assert upgrade["plans"] == [{"id": "scale", "name": "Scale", "limit": None}]
    assert 'POST /v1/billing/checkout-session and the body {"plan": "scale"}' in upgrade["how"]
    assert quotas.upgrade(uuid.uuid4(), BUILT_IN["scale"], "tracked_accounts", 3000)["plans"] == []


def test_uuid7_floor_bounds_the_ids_made_from_that_moment() -> None:
    from tenants.ids import new_id

    before = datetime.now(UTC) - timedelta(milliseconds=2)
    made = new_id()

    assert uuid7_floor(before) <= made
    assert made < uuid7_floor(datetime.now(UTC) + timedelta(milliseconds=2))
    assert uuid7_floor(before).version == 7


@pytest.mark.parametrize("quota", ["clients", "webhook_endpoints"])
async def test_concurrent_creations_at_the_limit_let_exactly_one_through(database: TestDatabase, quota: str) -> None:
    async with concurrent_client(database) as client:
        signup = await client.post("/v1/signup", json={"agency_name": "Racing", "email": "owner@racing.example"})
        headers = {"Authorization": f"Bearer {signup.json()['api_key']['secret']}"}
        if quota == "clients":
            assert (await client.post("/v1/clients", json={"name": "First"}, headers=headers)).status_code == 201
            calls = [client.post("/v1/clients", json={"name": f"Racer {n}"}, headers=headers) for n in range(8)]
            model, limit = Client, 2
        else:
            calls = [
                client.post(
                    "/v1/webhook-endpoints", json={"url": WEBHOOK_URL, "event_types": ["sync.failed"]}, headers=headers
                )
                for _ in range(8)
            ]
            model, limit = WebhookEndpoint, 1
        responses = await asyncio.gather(*calls)

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [201] + [402] * 7, [response.text for response in responses if response.status_code >= 500]
    assert count_rows(database, model) == limit


async def test_concurrent_sync_requests_at_the_daily_limit_let_exactly_one_through(database: TestDatabase) -> None:
    async with concurrent_client(database) as client:
        signup = await client.post("/v1/signup", json={"agency_name": "Racing", "email": "owner@racing.example"})
        headers = {"Authorization": f"Bearer {signup.json()['api_key']['secret']}"}
        owner = (await client.post("/v1/clients", json={"name": "First"}, headers=headers)).json()
        account = (
            await client.post(
                f"/v1/clients/{owner['id']}/accounts", json={"network": "demo", "handle": "a"}, headers=headers
            )
        ).json()
        path = f"/v1/accounts/{account['id']}/syncs"
        for _ in range(2):
            assert (await client.post(path, headers=headers)).status_code == 202
        responses = await asyncio.gather(*(client.post(path, headers=headers) for _ in range(8)))

    assert sorted(response.status_code for response in responses) == [202] + [429] * 7
    assert count_rows(database, SyncRun) == 3
