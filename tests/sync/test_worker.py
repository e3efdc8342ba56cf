"""The sync worker: a shared queue in `sync_runs`, bounded concurrency, scheduling and recovery."""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Sequence
from datetime import date, timedelta

import pytest

from api.sync.worker import STALE_AFTER
from plugins.sdk import Sentiment
from tenants.database import Database
from tenants.ids import utcnow
from tests.conftest import TestDatabase as DatabaseUnderTest
from tests.plugins_fixtures import flaky_connectors
from tests.sync.conftest import Owner, SyncHarness

SINCE, UNTIL = date(2026, 2, 1), date(2026, 2, 3)


async def test_two_workers_over_one_database_claim_disjoint_runs(
    harness: SyncHarness, database: DatabaseUnderTest
) -> None:
    owner, other_owner = await harness.owner(), await harness.owner()
    runs = []
    for n in range(8):
        who = owner if n % 2 else other_owner
        account = await harness.account(who, "flaky_counting", f"counted-{n}", settings={"delay": 0.1})
        runs.append((who, await harness.queue(who, account, SINCE, UNTIL)))
    # A second process: its own connection pool, its own worker.
    second_database = Database(database.url)
    try:
        first = harness.worker(concurrency=3, name="worker-a")
        second = harness.worker(harness.engine(second_database), concurrency=3, name="worker-b")
        ran = await asyncio.gather(first.run_pending(), second.run_pending())
    finally:
        await second_database.dispose()

    assert sum(ran) == 8
    assert flaky_connectors.STATS.executions == {f"counted-{n}": 1 for n in range(8)}
    workers = []
    for who, run_id in runs:
        run = await harness.run(who, run_id)
        assert run.status == "succeeded", run.error
        workers.append(run.worker)
    assert set(workers) <= {"worker-a", "worker-b"}
    assert sorted(ran) == sorted([workers.count("worker-a"), workers.count("worker-b")])


async def test_a_worker_runs_no_more_syncs_at_once_than_its_concurrency(harness: SyncHarness) -> None:
    owner = await harness.owner()
    runs = []
    for n in range(5):
        account = await harness.account(owner, "flaky_counting", f"slow-{n}", settings={"delay": 0.3})
        runs.append(await harness.queue(owner, account, SINCE, UNTIL))

    assert await harness.worker(concurrency=2).run_pending() == 5

    assert flaky_connectors.STATS.max_active == 2
    assert sum(flaky_connectors.STATS.executions.values()) == 5
    assert [(await harness.run(owner, run_id)).status for run_id in runs] == ["succeeded"] * 5


async def test_enqueue_due_queues_one_scheduled_run_per_due_active_account_and_no_more(
    harness: SyncHarness,
) -> None:
    owner = await harness.owner()
    now = utcnow()
    never_synced = await harness.account(owner, "flaky_counting", "never-synced")
    overdue = await harness.account(owner, "flaky_counting", "overdue", next_sync_at=now - timedelta(minutes=1))
    not_yet = await harness.account(owner, "flaky_counting", "not-yet", next_sync_at=now + timedelta(hours=1))
    paused = await harness.account(owner, "flaky_counting", "paused", status="paused")
    disabled = await harness.account(owner, "flaky_counting", "disabled", sync_enabled=False)
    reauth = await harness.account(owner, "flaky_counting", "reauth", status="needs_reauth")
    worker = harness.worker()

    # Two workers scheduling at the same moment still queue one run per due account.
    other = harness.worker()
    queued = [len(runs) for runs in await asyncio.gather(worker.enqueue_due(), other.enqueue_due())]
    assert sum(queued) == 2

    runs = await harness.runs(owner)
    assert sorted(str(run.account_id) for run in runs) == sorted([str(never_synced), str(overdue)])
    assert {(run.trigger, run.status) for run in runs} == {("schedule", "queued")}
    for account_id in (never_synced, overdue):
        next_sync_at = (await harness.get_account(owner, account_id)).next_sync_at
        assert next_sync_at is not None
        assert abs(next_sync_at - (now + worker.engine.interval)) < timedelta(minutes=1)
    for account_id in (not_yet, paused, disabled, reauth):
        assert all(run.account_id != account_id for run in runs)

    assert await worker.enqueue_due() == []
    assert len(await harness.runs(owner)) == 2


async def test_a_scheduling_worker_syncs_due_accounts(harness: SyncHarness) -> None:
    owner = await harness.owner()
    account = await harness.account(owner, "flaky_counting", "scheduled", settings={"delay": 0})
    assert await harness.worker(schedule=True).run_pending() == 1
    (run,) = await harness.runs(owner)
    assert (run.account_id, run.trigger, run.status) == (account, "schedule", "succeeded")
    assert flaky_connectors.STATS.executions == {"scheduled": 1}


async def test_a_run_orphaned_by_a_dead_worker_is_reclaimed_and_completed_by_another(harness: SyncHarness) -> None:
    owner = await harness.owner()
    orphan_account = await harness.account(owner, "flaky_counting", "orphaned", settings={"delay": 0})
    busy_account = await harness.account(owner, "flaky_counting", "busy", settings={"delay": 0})
    long_ago = utcnow() - STALE_AFTER - timedelta(minutes=1)
    orphan = await harness.queue(
        owner, orphan_account, SINCE, UNTIL, status="running", worker="dead", started_at=long_ago, heartbeat_at=long_ago
    )
    recent = utcnow() - timedelta(seconds=5)
    alive = await harness.queue(
        owner, busy_account, SINCE, UNTIL, status="running", worker="alive", started_at=recent, heartbeat_at=recent
    )

    rescuer = harness.worker(name="rescuer")
    assert await rescuer.run_pending() == 1

    reclaimed = await harness.run(owner, orphan)
    assert (reclaimed.status, reclaimed.worker) == ("succeeded", "rescuer")
    assert reclaimed.started_at is not None
    assert reclaimed.started_at > long_ago + STALE_AFTER
    assert flaky_connectors.STATS.executions == {"orphaned": 1}
    untouched = await harness.run(owner, alive)
    assert (untouched.status, untouched.worker) == ("running", "alive")


async def test_the_task_engine_runs_syncs_until_the_stop_event_then_lets_running_ones_finish(
    harness: SyncHarness,
) -> None:
    owner = await harness.owner()
    quick = await harness.account(owner, "flaky_counting", "quick", settings={"delay": 0})
    slow = await harness.account(owner, "flaky_counting", "slow", settings={"delay": 0.5})
    background = harness.background(harness.worker())
    stop = asyncio.Event()
    task = asyncio.create_task(background.engine.run(stop, concurrency=2))
    try:
        quick_run = await harness.queue(owner, quick, SINCE, UNTIL)
        await background.kick()  # what the API does once the request that queued the run has committed
        await wait_for_status(harness, owner, quick_run, "succeeded")

        slow_run = await harness.queue(owner, slow, SINCE, UNTIL)
        await background.kick()
        await wait_for_status(harness, owner, slow_run, "running")
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    finally:
        stop.set()
        if not task.done():
            task.cancel()
        await background.close()
    assert task.exception() is None
    assert (await harness.run(owner, slow_run)).status == "succeeded"
    assert flaky_connectors.STATS.executions == {"quick": 1, "slow": 1}


async def test_a_run_queued_without_a_job_is_found_by_the_periodic_dispatch(harness: SyncHarness) -> None:
    """A run whose deferral was lost (the process died between commit and defer) still runs: the dispatch tick
    queues a job for every claimable run."""
    owner = await harness.owner()
    account = await harness.account(owner, "flaky_counting", "forgotten", settings={"delay": 0})
    run_id = await harness.queue(owner, account, SINCE, UNTIL)  # nobody kicks
    background = harness.background(harness.worker())
    stop = asyncio.Event()
    task = asyncio.create_task(background.engine.run(stop, concurrency=2))
    try:
        await wait_for_status(harness, owner, run_id, "succeeded", seconds=15)
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
        await background.close()
    assert flaky_connectors.STATS.executions == {"forgotten": 1}


async def test_a_job_delivered_twice_runs_its_sync_once(harness: SyncHarness) -> None:
    owner = await harness.owner()
    account = await harness.account(owner, "flaky_counting", "twice", settings={"delay": 0})
    run_id = await harness.queue(owner, account, SINCE, UNTIL)
    background = harness.background(harness.worker())
    try:
        await background.run_sync(str(owner.tenant_id), str(run_id))
        await background.run_sync(str(owner.tenant_id), str(run_id))  # at-least-once: the same job again
    finally:
        await background.close()
    assert (await harness.run(owner, run_id)).status == "succeeded"
    assert flaky_connectors.STATS.executions == {"twice": 1}


async def test_the_engine_queues_one_job_per_run_however_often_it_is_deferred(harness: SyncHarness) -> None:
    owner = await harness.owner()
    account = await harness.account(owner, "flaky_counting", "deduplicated", settings={"delay": 0})
    run_id = await harness.queue(owner, account, SINCE, UNTIL)
    background = harness.background(harness.worker())
    try:
        assert await background.defer_sync(owner.tenant_id, run_id) is True
        assert await background.defer_sync(owner.tenant_id, run_id) is False
        assert await background.engine.waiting([f"sync_run:{run_id}", "sync_run:other"]) == {f"sync_run:{run_id}"}
        assert await background.dispatch() == 0  # the run already has a job waiting
        sync_queue = next(stats for stats in await background.engine.stats() if stats.queue == "sync")
        assert sync_queue.waiting == 1
        assert await background.engine.drain() == 1
    finally:
        await background.close()
    assert (await harness.run(owner, run_id)).status == "succeeded"


async def test_a_slow_run_keeps_its_heartbeat_fresh_so_no_other_worker_reclaims_it(harness: SyncHarness) -> None:
    owner = await harness.owner()
    account = await harness.account(owner, "flaky_counting", "slow-api", settings={"delay": 2.5})
    run_id = await harness.queue(owner, account, SINCE, UNTIL)
    stale_after = timedelta(seconds=1)
    first = harness.worker(name="first", stale_after=stale_after)
    second = harness.worker(name="second", stale_after=stale_after)

    running = asyncio.create_task(first.run_pending())
    await wait_for_status(harness, owner, run_id, "running")
    await asyncio.sleep(1.7)  # longer than STALE_AFTER without a record from the connector
    assert await second.run_pending() == 0
    assert await asyncio.wait_for(running, timeout=10) == 1

    run = await harness.run(owner, run_id)
    assert (run.status, run.worker) == ("succeeded", "first")
    assert flaky_connectors.STATS.executions == {"slow-api": 1}


async def wait_for_status(
    harness: SyncHarness, owner: Owner, run_id: uuid.UUID, status: str, seconds: float = 5
) -> None:
    for _ in range(int(seconds / 0.025)):
        if (await harness.run(owner, run_id)).status == status:
            return
        await asyncio.sleep(0.025)
    raise AssertionError(f"run {run_id} never reached {status}")


async def test_a_dispatch_whose_one_kind_fails_still_queues_the_others(
    harness: SyncHarness, caplog: pytest.LogCaptureFixture
) -> None:
    owner = await harness.owner()
    account = await harness.account(owner, "flaky_counting", "still-queued", settings={"delay": 0})
    run_id = await harness.queue(owner, account, SINCE, UNTIL)
    background = harness.background(harness.worker())

    async def broken(limit: int = 200) -> list[tuple[uuid.UUID, uuid.UUID]]:
        raise RuntimeError("the reports query broke")

    background.reports.claimable = broken  # type: ignore[method-assign]
    try:
        assert await background.dispatch() == 1
        assert await background.engine.drain() == 1
    finally:
        await background.close()
    assert (await harness.run(owner, run_id)).status == "succeeded"
    assert "dispatch could not queue the reports" in caplog.text


class WarmUpRecorder:
    """An analyser that records the threads it is called on."""

    name = "recorder"
    version = "1"

    def __init__(self) -> None:
        self.threads: list[int] = []

    def analyse(self, texts: Sequence[str], languages: Sequence[str | None] | None = None) -> list[Sentiment]:
        self.threads.append(threading.get_ident())
        return [Sentiment(language="en", label="neutral", score=0.0) for _ in texts]


@pytest.mark.parametrize(("queues", "warmed"), [(None, True), (["sync"], True), (["webhooks", "billing"], False)])
async def test_a_worker_that_takes_syncs_loads_the_sentiment_models_first_off_the_event_loop(
    harness: SyncHarness, queues: list[str] | None, warmed: bool
) -> None:
    engine = harness.engine()
    recorder = WarmUpRecorder()
    engine.analyzer = recorder
    background = harness.background(harness.worker(engine))
    stop = asyncio.Event()
    stop.set()  # start, then stop at once: only what happens before the first job is run
    try:
        await asyncio.wait_for(background.run(stop, queues=queues, concurrency=1), timeout=10)
    finally:
        await background.close()

    assert len(recorder.threads) == (1 if warmed else 0)
    assert threading.get_ident() not in recorder.threads  # a thread of its own, not the event loop's
