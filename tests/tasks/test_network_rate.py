"""One network's request rate holds across every worker: two `resonance worker` processes share one pace.

The fan-out benchmark's machinery (its fake Mastodon instance in its own process, accounts seeded through the app
role, real worker subprocesses) with `RESONANCE_NETWORK_RATE=mastodon=20/1s`: each sync makes two requests, so 30
syncs make 60, which two workers of eight syncs each would otherwise send within a fraction of a second. The fake
network times every arrival. The 1st and 21st requests are sent a second apart, but each arrives a few
milliseconds after its send time, by how much varying with the load; so the check allows 100 ms of that jitter:
no 0.9 s of arrivals may hold more than 20. PostgreSQL only: the pace is shared there.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from pathlib import Path

from tests.conftest import POSTGRES_ENV

REQUESTS, PERIOD = 20, 1.0
JITTER = 0.1
"""Seconds by which a request's arrival may lag its send time more than another's."""
SYNCS = 30
REQUESTS_PER_SYNC = 2  # the profile lookup and one page of statuses


def busiest_window(arrivals: list[float], seconds: float) -> int:
    """The most arrivals within any `seconds`-long interval (each interval starting at an arrival)."""
    ordered = sorted(arrivals)
    busiest, start = 0, 0
    for end, arrival in enumerate(ordered):
        while arrival - ordered[start] >= seconds:
            start += 1
        busiest = max(busiest, end - start + 1)
    return busiest


def test_the_busiest_window_counts_the_arrivals_of_any_interval() -> None:
    assert busiest_window([0.0, 0.5, 0.99, 1.0, 1.2], 1.0) == 4  # 0.5, 0.99, 1.0 and 1.2 lie within one second
    assert busiest_window([0.0, 1.0, 2.0], 1.0) == 1
    assert busiest_window([], 1.0) == 0


if POSTGRES_ENV in os.environ:
    import httpx
    import pytest

    from tests.bench import common, fanout

    @pytest.mark.timeout(240)
    def test_two_workers_keep_one_network_under_its_request_rate(tmp_path: Path) -> None:
        database = common.create_database("resonance_network_rate")
        try:
            with common.uvicorn_process("tests.bench.fake_network:create_app", {}, label="fake network") as network:
                accounts = asyncio.run(fanout.seed_accounts(database.app_url, SYNCS, tenants=2))
                result = fanout.fan_out(
                    database,
                    network,
                    accounts,
                    2,
                    tmp_path / "workers.log",
                    extra_env={"RESONANCE_NETWORK_RATE": f"{fanout.NETWORK}={REQUESTS}/{PERIOD:.0f}s"},
                )
                arrivals = httpx.get(f"{network.base}/_times", timeout=10).json()
        finally:
            common.drop_database(database)

        assert result.statuses == Counter({"succeeded": SYNCS})
        assert len(arrivals) == SYNCS * REQUESTS_PER_SYNC
        span = max(arrivals) - min(arrivals)
        print(f"busiest second: {busiest_window(arrivals, PERIOD)} requests; span {span:.2f} s")
        assert busiest_window(arrivals, PERIOD - JITTER) <= REQUESTS
        # Evenly paced: 60 requests at 20 a second span about 3 s, whatever the number of workers.
        assert max(arrivals) - min(arrivals) >= (len(arrivals) - REQUESTS - 1) / REQUESTS * PERIOD
