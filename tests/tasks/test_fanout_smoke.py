"""The fan-out benchmark's machinery at a tiny size, so that `python -m tests.bench --only fanout` cannot rot.

pytest ignores tests/bench (its figures depend on the machine); this runs the very code the benchmark runs —
the fake Mastodon instance in its own process, accounts seeded through the app role, runs queued and their
`sync.run` jobs deferred, a real `resonance worker` subprocess, the no-op job on `ProcrastinateEngine` — on 40
syncs and one worker, and asserts what the benchmark can only print: every run succeeded, exactly once.
PostgreSQL only: procrastinate keeps its jobs there.
"""

from __future__ import annotations

import asyncio
import os
from collections import Counter
from pathlib import Path

from tests.conftest import POSTGRES_ENV

if POSTGRES_ENV in os.environ:
    import pytest

    from tests.bench import common, fanout

    @pytest.mark.timeout(240)
    def test_a_small_fan_out_runs_every_sync_exactly_once(tmp_path: Path) -> None:
        database = common.create_database("resonance_bench_fanout_smoke")
        try:
            with common.uvicorn_process("tests.bench.fake_network:create_app", {}, label="fake network") as network:
                accounts = asyncio.run(fanout.seed_accounts(database.app_url, 40, tenants=2))
                result = fanout.fan_out(database, network, accounts, 1, tmp_path / "workers.log", measure_dispatch=True)
                cost = asyncio.run(fanout.queue_cost(database.app_url, 50))
            rows = database.execute(
                "SELECT account_id, status, posts_count, metrics_count, worker FROM sync_runs ORDER BY account_id"
            )
        finally:
            common.drop_database(database)

        assert result.runs == 40
        assert result.statuses == Counter({"succeeded": 40})
        assert result.lookups_per_account == Counter({1: 40})  # the network saw each account once
        assert result.exactly_once
        # One run per account, each with the status the fake network published and the window's daily points.
        assert sorted(row[0] for row in rows) == sorted(account.account_id for account in accounts)
        assert {(row[1], row[2]) for row in rows} == {("succeeded", 1)}
        assert min(row[3] for row in rows) >= fanout.WINDOW_DAYS
        assert len({row[4] for row in rows}) == 1  # one worker process ran them all
        # The periodic dispatch found every run's job already waiting: it queued nothing a second time.
        assert result.dispatch is not None
        assert result.dispatch[1] == 0
        assert cost.jobs == 50
        assert cost.jobs_per_second > 0
