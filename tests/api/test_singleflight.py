"""Concurrent misses share one computation; failures and cancellations do not poison the others."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from api.read_cache import ReadCache
from api.singleflight import SingleFlight


async def test_concurrent_callers_of_one_key_share_a_single_computation() -> None:
    flight: SingleFlight[str, int] = SingleFlight()
    calls = 0
    release = asyncio.Event()

    async def compute() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        return 42

    tasks = [asyncio.create_task(flight.run("k", compute)) for _ in range(10)]
    await asyncio.sleep(0)
    assert flight.pending("k") is not None
    release.set()
    assert await asyncio.gather(*tasks) == [42] * 10
    assert calls == 1
    assert flight.pending("k") is None


async def test_other_keys_compute_independently() -> None:
    flight: SingleFlight[str, str] = SingleFlight()

    async def echo(value: str) -> str:
        await asyncio.sleep(0)
        return value

    assert await asyncio.gather(flight.run("a", lambda: echo("a")), flight.run("b", lambda: echo("b"))) == ["a", "b"]


async def test_an_error_reaches_every_waiter_and_the_next_call_computes_again() -> None:
    flight: SingleFlight[str, int] = SingleFlight()
    release = asyncio.Event()

    async def failing() -> int:
        await release.wait()
        raise ValueError("the database said no")

    tasks = [asyncio.create_task(flight.run("k", failing)) for _ in range(3)]
    await asyncio.sleep(0)
    release.set()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(result, ValueError) for result in results)

    async def working() -> int:
        return 7

    assert await flight.run("k", working) == 7


async def test_a_cancelled_computation_is_redone_by_a_waiter() -> None:
    flight: SingleFlight[str, int] = SingleFlight()
    started = asyncio.Event()
    calls = 0

    async def slow() -> int:
        nonlocal calls
        calls += 1
        started.set()
        await asyncio.sleep(0.05)
        return calls

    first = asyncio.create_task(flight.run("k", slow))
    await started.wait()
    waiter = asyncio.create_task(flight.run("k", slow))
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    assert await waiter == 2  # the waiter was not cancelled with the first caller: it computed again
    assert calls == 2


async def test_an_answer_computed_while_the_data_changed_is_returned_but_not_kept() -> None:
    cache = ReadCache[bytes](ttl=60)
    tenant = uuid.uuid4()
    inside = asyncio.Event()
    release = asyncio.Event()

    async def compute() -> bytes:
        inside.set()
        await release.wait()
        return b"before the sync"

    task = asyncio.create_task(cache.load(tenant, "q", compute))
    await inside.wait()
    cache.invalidate(tenant)  # a sync stored points while the answer was being read
    release.set()
    assert await task == b"before the sync"
    assert cache.get(tenant, "q") is None

    async def fresh() -> bytes:
        return b"after the sync"

    assert await cache.load(tenant, "q", fresh) == b"after the sync"
    assert cache.get(tenant, "q") == b"after the sync"


async def test_a_failed_refresh_drops_the_stale_entry() -> None:
    now = [100.0]
    cache = ReadCache[bytes](ttl=10, clock=lambda: now[0])
    tenant = uuid.uuid4()

    async def gone() -> bytes:
        raise LookupError("the account was deleted by another process")

    cache.put(tenant, "q", b"old", gone)
    now[0] += 15  # stale now: past its 10 s of freshness, within the 10 s after
    assert cache.get(tenant, "q") == b"old"
    await cache.settled()  # the stale read started a refresh, which failed
    assert cache.get(tenant, "q") is None  # the next read computes it and meets the error itself
