"""The rate-limit stores: the same promise in memory and in Redis, never more than the limit in any 60 s."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from api.billing.rate_limits import MemoryRateLimits, RateDecision, RateLimits
from api.billing.redis_rate_limits import RedisRateLimits
from tests.conftest import TestRedis

START = 1_772_445_600.0  # 2026-03-02T10:00:00Z
ROOT = Path(__file__).resolve().parents[2]


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[tuple[RateLimits, Clock]]:
    clock = Clock()
    if request.param == "memory":
        yield MemoryRateLimits(clock=clock), clock
        return
    server: TestRedis = request.getfixturevalue("redis_server")
    redis_store = RedisRateLimits(server.url, server.prefix, clock=clock)
    yield redis_store, clock
    await redis_store.close()


async def hit(store: RateLimits, tenant: uuid.UUID, limit: int | None) -> RateDecision | None:
    return await store.hit(tenant, limit)


async def test_the_limit_is_reached_then_refused_with_the_usage_and_when_to_retry(
    store: tuple[RateLimits, Clock],
) -> None:
    limits, clock = store
    tenant = uuid.uuid4()
    accepted = []
    for step in range(5):
        clock.now = START + step * 2  # 10:00:00, :02, :04, :06, :08
        decision = await hit(limits, tenant, 5)
        assert decision is not None
        accepted.append((decision.allowed, decision.used, decision.remaining))
    clock.now = START + 10.5
    refused = await hit(limits, tenant, 5)

    assert accepted == [(True, 1, 4), (True, 2, 3), (True, 3, 2), (True, 4, 1), (True, 5, 0)]
    assert refused is not None
    assert (refused.allowed, refused.used, refused.remaining, refused.limit) == (False, 5, 0, 5)
    # The first request (second 0) counts until second 61 ends: 61 - 10.5 = 50.5, so 51 whole seconds.
    assert refused.retry_after == 51
    assert refused.reset == 51


async def test_the_window_recovers_exactly_when_retry_after_says(store: tuple[RateLimits, Clock]) -> None:
    limits, clock = store
    tenant = uuid.uuid4()
    for _ in range(3):
        assert (await hit(limits, tenant, 3)).allowed  # type: ignore[union-attr]
    clock.now = START + 30.25
    refused = await hit(limits, tenant, 3)
    assert refused is not None
    assert not refused.allowed

    clock.now = START + 30.25 + refused.retry_after - 1
    still = await hit(limits, tenant, 3)
    clock.now = START + 30.25 + refused.retry_after
    again = await hit(limits, tenant, 3)

    assert still is not None
    assert not still.allowed
    assert again is not None
    assert again.allowed
    assert again.used == 1  # the three of second 0 no longer count


async def test_refused_requests_do_not_count(store: tuple[RateLimits, Clock]) -> None:
    limits, clock = store
    tenant = uuid.uuid4()
    assert (await hit(limits, tenant, 1)).allowed  # type: ignore[union-attr]
    for step in range(1, 50):
        clock.now = START + step
        assert not (await hit(limits, tenant, 1)).allowed  # type: ignore[union-attr]
    clock.now = START + 61
    decision = await hit(limits, tenant, 1)
    assert decision is not None
    assert (decision.allowed, decision.used) == (True, 1)


async def test_one_agency_at_its_limit_does_not_limit_another(store: tuple[RateLimits, Clock]) -> None:
    limits, _clock = store
    busy, quiet = uuid.uuid4(), uuid.uuid4()
    for _ in range(2):
        await hit(limits, busy, 2)
    assert not (await hit(limits, busy, 2)).allowed  # type: ignore[union-attr]

    decision = await hit(limits, quiet, 2)

    assert decision is not None
    assert (decision.allowed, decision.used) == (True, 1)


async def test_a_plan_without_limit_is_never_refused(store: tuple[RateLimits, Clock]) -> None:
    limits, _clock = store
    tenant = uuid.uuid4()
    assert [await hit(limits, tenant, None) for _ in range(50)] == [None] * 50


async def test_a_limit_of_zero_refuses_everything(store: tuple[RateLimits, Clock]) -> None:
    limits, _clock = store
    decision = await hit(limits, uuid.uuid4(), 0)
    assert decision is not None
    assert (decision.allowed, decision.used, decision.retry_after) == (False, 0, 60)


async def test_never_more_than_the_limit_in_any_60_second_interval(store: tuple[RateLimits, Clock]) -> None:
    limits, clock = store
    tenant = uuid.uuid4()
    rng = random.Random(5)
    limit = 12
    accepted: list[float] = []
    moment = START
    for _ in range(600):
        # Bursts and pauses: many requests within a second, then gaps of up to half a minute.
        moment += rng.choice([0.0, 0.01, 0.2, 0.7, 1.3, 5.0, 17.0, 29.5])
        clock.now = moment
        decision = await hit(limits, tenant, limit)
        assert decision is not None
        if decision.allowed:
            accepted.append(moment)
            assert 1 <= decision.reset <= 61
            assert decision.remaining == limit - decision.used
    # Every interval of 60 s that starts at an accepted request (the worst ones) holds at most `limit`.
    for start in accepted:
        assert sum(1 for moment in accepted if start <= moment < start + 60) <= limit
    assert len(accepted) > 5 * limit  # and it did let requests through over the 600


async def test_memory_store_never_goes_back_in_time() -> None:
    clock = Clock()
    limits = MemoryRateLimits(clock=clock)
    tenant = uuid.uuid4()
    for _ in range(2):
        assert limits.try_hit(tenant, 2)
    clock.now = START - 3600  # the system clock stepped back an hour

    assert limits.try_hit(tenant, 2) == 0  # refused: the two still count
    decision = await limits.hit(tenant, 2)

    assert decision is not None
    assert not decision.allowed


async def test_two_redis_clients_share_one_exact_limit(redis_server: TestRedis) -> None:
    first = RedisRateLimits(redis_server.url, redis_server.prefix)
    second = RedisRateLimits(redis_server.url, redis_server.prefix)
    tenant = uuid.uuid4()
    try:
        decisions = await asyncio.gather(
            *(store.hit(tenant, 37) for _ in range(60) for store in (first, second)),
        )
    finally:
        await first.close()
        await second.close()
    assert sum(1 for decision in decisions if decision is not None and decision.allowed) == 37


_WORKER = """
import asyncio, json, sys, uuid
from api.billing.redis_rate_limits import RedisRateLimits

async def main(url, prefix, tenant, limit, count):
    store = RedisRateLimits(url, prefix)
    try:
        decisions = await asyncio.gather(*(store.hit(uuid.UUID(tenant), limit) for _ in range(count)))
    finally:
        await store.close()
    print(json.dumps(sum(1 for decision in decisions if decision.allowed)))

asyncio.run(main(*sys.argv[1:4], int(sys.argv[4]), int(sys.argv[5])))
"""


def test_concurrent_requests_from_two_processes_accept_exactly_the_limit(redis_server: TestRedis) -> None:
    tenant = str(uuid.uuid4())
    command = [sys.executable, "-c", _WORKER, redis_server.url, redis_server.prefix, tenant, "250", "400"]
    workers = [subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [worker.communicate(timeout=60)[0] for worker in workers]

    assert [worker.returncode for worker in workers] == [0, 0]
    accepted = [json.loads(output) for output in outputs]
    assert sum(accepted) == 250
