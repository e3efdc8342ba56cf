"""Each network's syncs at once are capped across every worker, and a sync with no free slot waits its turn."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

import pytest

from api.tasks.network_slots import NetworkSlots
from tenants.database import Database
from tenants.settings import Settings, SettingsError
from tests.conftest import TestDatabase
from tests.plugins_fixtures import flaky_connectors
from tests.sync.conftest import SyncHarness
from tests.sync.test_worker import SINCE, UNTIL


@pytest.fixture
async def two_workers(database: TestDatabase) -> AsyncIterator[tuple[NetworkSlots, NetworkSlots]]:
    """Two workers' slots: on PostgreSQL each over its own connection pool, as two processes would be; in one
    process (SQLite) the same counters, as the in-process engine shares them."""
    first_database = Database(database.url)
    second_database = Database(database.url) if first_database.is_postgres else first_database
    first = NetworkSlots(first_database, {"x": 2}, default=3)
    second = NetworkSlots(second_database, {"x": 2}, default=3) if first_database.is_postgres else first
    try:
        yield first, second
    finally:
        await first.close()
        await second.close()
        await first_database.dispose()
        await second_database.dispose()


async def test_no_more_syncs_of_a_network_run_at_once_than_its_limit_across_workers(
    two_workers: tuple[NetworkSlots, NetworkSlots],
) -> None:
    first, second = two_workers
    async with AsyncExitStack() as stack:
        assert await stack.enter_async_context(first.hold("x")) is True
        assert await stack.enter_async_context(second.hold("x")) is True
        async with first.hold("x") as third, second.hold("x") as fourth:
            assert (third, fourth) == (False, False)
        # Another network has slots of its own, under the default limit.
        async with second.hold("mastodon") as other:
            assert other is True
    # Released at the end of the block: free again.
    async with first.hold("x") as again, second.hold("x") as and_again:
        assert (again, and_again) == (True, True)


async def _free_within(slots: NetworkSlots, network: str, *, seconds: float) -> bool:
    for _ in range(int(seconds / 0.05)):
        async with slots.hold(network) as taken:
            if taken:
                return True
        await asyncio.sleep(0.05)
    return False


async def test_a_dead_workers_slots_are_free_at_once(database: TestDatabase) -> None:
    dying = Database(database.url)
    survivor_database = Database(database.url) if dying.is_postgres else dying
    survivor = NetworkSlots(survivor_database, {}, default=1)
    try:
        if dying.is_postgres:
            holder = NetworkSlots(dying, {}, default=1)
            entered = asyncio.Event()

            async def hold_forever() -> None:
                async with holder.hold("x") as held:
                    assert held
                    entered.set()
                    await asyncio.Event().wait()

            task = asyncio.create_task(hold_forever())
            await entered.wait()
            async with survivor.hold("x") as taken:
                assert taken is False
            # The worker's process goes while its sync runs: its connection, and the advisory lock, with it.
            assert holder._connection is not None
            await holder._connection.invalidate()
            assert await _free_within(survivor, "x", seconds=5)  # once its server process has gone
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await dying.dispose()
        async with survivor.hold("x") as taken:
            assert taken is True
    finally:
        await survivor.close()
        await survivor_database.dispose()
        if survivor_database is not dying:
            await dying.dispose()


async def test_a_sync_whose_network_is_busy_waits_in_the_queue_instead_of_running(harness: SyncHarness) -> None:
    owner = await harness.owner()
    account = await harness.account(owner, "flaky_counting", "busy", settings={"delay": 0})
    run_id = await harness.queue(owner, account, SINCE, UNTIL)
    slots = NetworkSlots(harness.database, {"flaky_counting": 1}, default=4)
    background = harness.background(harness.worker(), slots=slots)
    try:
        async with slots.hold("flaky_counting") as held:  # another worker's sync of the same network
            assert held
            await background.run_sync(str(owner.tenant_id), str(run_id))
            assert (await harness.run(owner, run_id)).status == "queued"
            assert flaky_connectors.STATS.executions == {}
            sync_queue = next(stats for stats in await background.engine.stats() if stats.queue == "sync")
            assert sync_queue.waiting + sync_queue.running == 0  # it waits its delay: not due yet
            assert await background.defer_sync(owner.tenant_id, run_id) is False  # one job waits for it already
        await background.run_sync(str(owner.tenant_id), str(run_id))  # its turn comes
    finally:
        await background.close()
    assert (await harness.run(owner, run_id)).status == "succeeded"
    assert flaky_connectors.STATS.executions == {"busy": 1}


def test_network_limits_are_read_as_a_default_and_pairs() -> None:
    assert Settings(network_concurrency="instagram=4, x=2,12").network_limits() == (12, {"instagram": 4, "x": 2})
    assert Settings(network_concurrency="x=3").network_limits() == (16, {"x": 3})
    for wrong in ("x=0", "x=many", "=4", "four"):
        with pytest.raises(SettingsError, match="RESONANCE_NETWORK_CONCURRENCY must be a number"):
            Settings(network_concurrency=wrong).network_limits()
