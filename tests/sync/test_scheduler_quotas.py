"""The scheduler within the plans: no more scheduled runs than syncs per day allow, none for a read-only agency."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from api.billing import quotas as quotas_module
from api.billing.plans import Plan
from api.billing.quotas import Quotas, next_day_start
from api.billing.standing import Standings
from api.billing.subscriptions import Subscription
from api.sync.models import SyncRun
from api.sync.worker import SyncWorker
from tenants.ids import utcnow
from tests.sync.conftest import Owner, SyncHarness

PLANS = {
    "small": Plan(
        id="small",
        name="Small",
        price=Decimal("1"),
        currency="eur",
        quotas={"clients": None, "tracked_accounts": None, "syncs_per_day": 3, "webhook_endpoints": None},
    ),
    "open": Plan(
        id="open",
        name="Open",
        price=Decimal("2"),
        currency="eur",
        quotas={"clients": None, "tracked_accounts": None, "syncs_per_day": None, "webhook_endpoints": None},
    ),
}


def planned_worker(harness: SyncHarness) -> SyncWorker:
    """A scheduling worker held to `PLANS` (default: small)."""
    standings = Standings(harness.database, PLANS, "small", timedelta(days=7))
    engine = harness.engine()
    return SyncWorker(harness.database, engine, quotas=Quotas(standings, stripe_enabled=False))


async def subscribe(harness: SyncHarness, owner: Owner, **values: object) -> None:
    async with harness.database.tenant_session(owner.tenant_id) as session:
        session.add(Subscription(tenant_id=owner.tenant_id, **values))


async def due_accounts(harness: SyncHarness, owner: Owner, count: int) -> list[uuid.UUID]:
    return [await harness.account(owner, "flaky_counting", f"due-{n}") for n in range(count)]


async def test_scheduled_runs_stop_at_the_daily_quota_and_the_rest_wait_for_midnight_utc(
    harness: SyncHarness, caplog: pytest.LogCaptureFixture
) -> None:
    owner = await harness.owner()
    accounts = await due_accounts(harness, owner, 4)
    await harness.queue(owner, accounts[0])  # one run already requested today
    worker = planned_worker(harness)
    now = utcnow()

    with caplog.at_level(logging.INFO, logger="resonance.worker"):
        queued = len(await worker.enqueue_due())
        # A later pass finds an account newly due: it waits too, without a second log line.
        later = await harness.account(owner, "flaky_counting", "later")
        assert await worker.enqueue_due() == []

    assert queued == 2
    runs = await harness.runs(owner)
    assert len(runs) == 3
    scheduled = {run.account_id for run in runs if run.trigger == "schedule"}
    waiting = [account for account in [*accounts, later] if account not in scheduled]
    assert len(waiting) == 3
    for account_id in waiting:
        assert (await harness.get_account(owner, account_id)).next_sync_at == next_day_start(now)
    for account_id in scheduled:
        next_sync_at = (await harness.get_account(owner, account_id)).next_sync_at
        assert next_sync_at is not None
        assert abs(next_sync_at - (now + worker.engine.interval)) < timedelta(minutes=1)
    told = [record.getMessage() for record in caplog.records if "syncs per day" in record.getMessage()]
    assert len(told) == 1
    assert str(owner.tenant_id) in told[0]
    assert "2 scheduled sync(s) moved to 00:00 UTC" in told[0]


async def test_the_scheduler_counts_each_agencys_day_once_per_pass(
    harness: SyncHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = await harness.owner()
    other = await harness.owner()
    await due_accounts(harness, owner, 3)
    await due_accounts(harness, other, 2)
    counted: list[str] = []
    original = quotas_module.usage_of

    async def counting(session, quota, now=None):  # type: ignore[no-untyped-def]
        counted.append(quota)
        return await original(session, quota, now)

    monkeypatch.setattr(quotas_module, "usage_of", counting)

    assert len(await planned_worker(harness).enqueue_due()) == 5
    assert counted == ["syncs_per_day", "syncs_per_day"]


async def test_an_unlimited_plan_is_scheduled_without_counting(harness: SyncHarness) -> None:
    owner = await harness.owner()
    await subscribe(harness, owner, plan="open")
    await due_accounts(harness, owner, 5)

    assert len(await planned_worker(harness).enqueue_due()) == 5


async def test_a_read_only_agency_gets_no_scheduled_run_and_others_still_do(
    harness: SyncHarness, caplog: pytest.LogCaptureFixture
) -> None:
    canceled = await harness.owner()
    paying = await harness.owner()
    await subscribe(harness, canceled, plan="open", status="canceled")
    idle = await due_accounts(harness, canceled, 2)
    await due_accounts(harness, paying, 2)
    worker = planned_worker(harness)
    now = utcnow()

    with caplog.at_level(logging.INFO, logger="resonance.worker"):
        assert len(await worker.enqueue_due()) == 2
        assert await worker.enqueue_due() == []

    assert await harness.runs(canceled) == []
    assert len(await harness.runs(paying)) == 2
    for account_id in idle:
        # Looked at again an interval later rather than at every pass, so it never crowds others out.
        next_sync_at = (await harness.get_account(canceled, account_id)).next_sync_at
        assert next_sync_at is not None
        assert abs(next_sync_at - (now + worker.engine.interval)) < timedelta(minutes=1)
    told = [record.getMessage() for record in caplog.records if "read-only" in record.getMessage()]
    assert len(told) == 1
    assert "canceled" in told[0]


async def test_a_past_due_agency_in_its_grace_period_is_still_scheduled(harness: SyncHarness) -> None:
    owner = await harness.owner()
    await subscribe(harness, owner, plan="open", status="past_due", past_due_since=utcnow() - timedelta(days=1))
    await due_accounts(harness, owner, 2)

    assert len(await planned_worker(harness).enqueue_due()) == 2


async def test_yesterdays_runs_leave_today_whole(harness: SyncHarness) -> None:
    owner = await harness.owner()
    accounts = await due_accounts(harness, owner, 3)
    for account_id in accounts:
        await harness.queue(owner, account_id)
    async with harness.database.tenant_session(owner.tenant_id) as session:
        await session.execute(update(SyncRun).values(requested_at=utcnow() - timedelta(days=1)))

    assert len(await planned_worker(harness).enqueue_due()) == 3


async def test_workers_scheduling_one_agency_at_once_queue_no_more_than_the_daily_quota(harness: SyncHarness) -> None:
    owner = await harness.owner()
    accounts = await due_accounts(harness, owner, 6)
    workers = [planned_worker(harness) for _ in range(3)]
    now = utcnow()

    # Each worker schedules its own share of the agency's due accounts, all at the same moment.
    queued = await asyncio.gather(
        *(worker._enqueue_tenant(owner.tenant_id, accounts[2 * n : 2 * n + 2], now) for n, worker in enumerate(workers))
    )

    assert sum(len(runs) for runs in queued) == 3
    assert len(await harness.runs(owner)) == 3
    waiting = [(await harness.get_account(owner, account)).next_sync_at for account in accounts]
    assert waiting.count(next_day_start(now)) == 3
