"""A rate-limited network's requests are admitted one interval apart, across every worker of the deployment."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator

import pytest

from api.sync.pacing import NetworkPacing
from tenants.database import Database
from tenants.settings import Settings, SettingsError
from tests.conftest import TestDatabase


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def no_spread(_low: float, _high: float) -> float:
    return 0.0


def test_rates_are_read_as_requests_per_period() -> None:
    settings = Settings(network_rate="instagram=200/1h, x=900/15m,bluesky=5/s")
    assert settings.network_rates() == {"instagram": (200, 3600.0), "x": (900, 900.0), "bluesky": (5, 1.0)}
    assert Settings(network_rate="").network_rates() == {}


@pytest.mark.parametrize("value", ["instagram=200", "x=0/1m", "=3/1m", "x=3/1d", "x=three/1m", "x=3/0s", "x"])
def test_a_rate_that_is_not_requests_per_period_is_refused_with_a_sentence(value: str) -> None:
    with pytest.raises(SettingsError, match=r"RESONANCE_NETWORK_RATE must be network=requests/period pairs") as refused:
        Settings(network_rate=value).validate()
    assert repr(value.split(",")[0].strip()) in str(refused.value)


async def test_one_request_per_interval_is_admitted_and_the_others_told_how_long_to_wait() -> None:
    clock = Clock()
    pacing = NetworkPacing(None, {"x": (4, 1.0)}, clock=clock, spread=no_spread)
    assert await pacing.admit("x") == 0
    assert await pacing.admit("x") == pytest.approx(0.25)
    clock.now += 0.1
    assert await pacing.admit("x") == pytest.approx(0.15)  # refused asks take nothing: the turn did not move
    clock.now += 0.15
    assert await pacing.admit("x") == 0
    assert await pacing.admit("x") == pytest.approx(0.25)
    # A network without a limit is never held back, and costs no state.
    assert [await pacing.admit("mastodon") for _ in range(5)] == [0.0] * 5
    assert pacing.limits("x")
    assert not pacing.limits("mastodon")


async def test_a_refused_wait_is_spread_by_at_most_a_tenth_of_the_interval() -> None:
    clock = Clock()
    asked: list[tuple[float, float]] = []

    def spread(low: float, high: float) -> float:
        asked.append((low, high))
        return high

    pacing = NetworkPacing(None, {"x": (1, 1.0), "slow": (1, 3600.0)}, clock=clock, spread=spread)
    assert await pacing.admit("x") == 0
    assert await pacing.admit("x") == pytest.approx(1.1)
    assert await pacing.admit("slow") == 0
    assert await pacing.admit("slow") == pytest.approx(3600.25)  # a tenth of an hour, capped at 0.25 s
    assert asked == [(0.0, pytest.approx(0.1)), (0.0, 0.25)]


@pytest.fixture
async def two_workers(database: TestDatabase) -> AsyncIterator[tuple[NetworkPacing, NetworkPacing]]:
    """Two workers' pacing: on PostgreSQL each over its own connection pool, as two processes would be; in one
    process (SQLite) the same object, as the in-process engine shares it."""
    first_database = Database(database.url)
    second_database = Database(database.url) if first_database.is_postgres else first_database
    rates = {"x": (20, 1.0)}
    first = NetworkPacing(first_database, rates, spread=no_spread)
    second = NetworkPacing(second_database, rates, spread=no_spread) if first_database.is_postgres else first
    try:
        yield first, second
    finally:
        await first_database.dispose()
        await second_database.dispose()


async def test_workers_sharing_a_network_are_admitted_one_interval_apart(
    two_workers: tuple[NetworkPacing, NetworkPacing],
) -> None:
    """Eight senders on two workers, 24 requests: admitted one at a time, 50 ms apart in all.

    An admission happens somewhere between the moment its ask was sent and the moment its answer came back; a busy
    machine may widen that window (the answer waits for the event loop), so each admission is kept as its window
    and two admissions are held to be 50 ms apart when their windows leave room for it, never more.
    """
    admitted: list[tuple[float, float]] = []

    async def sender(pacing: NetworkPacing, requests: int) -> None:
        for _ in range(requests):
            while True:
                asked = time.monotonic()
                wait = await pacing.admit("x")
                if wait <= 0:
                    break
                await asyncio.sleep(wait)  # as a connector's client waits
            admitted.append((asked, time.monotonic()))

    first, second = two_workers
    await asyncio.gather(*(sender(pacing, 3) for pacing in (first, second) for _ in range(4)))
    assert len(admitted) == 24
    too_close = [
        (one, other)
        for one, other in itertools.combinations(admitted, 2)
        if max(other[1] - one[0], one[1] - other[0]) < 0.05 - 1e-6  # (the float rounding of a difference)
    ]
    assert not too_close, f"{len(too_close)} pairs of requests admitted less than 50 ms apart: {too_close[:3]}"
    assert max(answered for _, answered in admitted) - min(asked for asked, _ in admitted) >= 23 * 0.05
