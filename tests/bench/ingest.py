"""Benchmark 2 — ingest: the sync engine persisting a million metric points, against a raw COPY.

The engine side is `SyncEngine.execute` (validation, batching, upsert, checkpoints, run
bookkeeping) running the bench-only connector of `tests.bench.connector` (40 declared metrics x
25,000 days for one account = 1,000,000 points) into PostgreSQL through the app role, so row-level
security is on. The yardstick is a raw binary `COPY` of the very same rows, built in memory
beforehand (not timed), into the same emptied table, as the table owner (COPY into a table with
row-level security is refused to the app role). Each side runs in its own process, so the engine's
peak RSS (`ru_maxrss`) is its own.

Also measured, for information: re-running the same sync over unchanged data (nothing may be
rewritten), the engine with a larger batch, and the row-by-row upsert (the fast path switched off)
on a tenth of the points.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
import resource
import sys
import time
import uuid
from datetime import date
from typing import Any

from tests.bench import common
from tests.bench.common import Outcome, say

BATCH_SIZE = 0
"""The engine batch size the benchmark runs with; 0 means the engine's own default (what production runs)."""
OTHER_BATCH_SIZE = 20_000
"""A larger batch, measured once for information."""
RATE_TARGET = 0.5
RSS_TARGET_MB = 300.0
SINCE = date(1960, 1, 1)


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


async def _engine_side(options: dict[str, Any]) -> dict[str, Any]:
    import api.models  # noqa: F401  - every table in the metadata, as in the service
    from api.sync import store
    from api.sync.engine import SyncEngine
    from plugins.registry import load_registry
    from tenants.credentials import CredentialVault
    from tenants.database import Database
    from tests.bench import connector

    if not options["fast_path"]:
        store.FAST_PATH_MIN_ROWS = sys.maxsize
    database = Database(options["app_url"], pool_size=2)
    registry = load_registry(extra_plugins=[connector])
    engine = SyncEngine(
        database, registry, CredentialVault([common.SECRET_KEY]), batch_size=options["batch_size"], timeout_seconds=3600
    )
    await database.ping()
    baseline = _rss_mb()
    started = time.perf_counter()
    status = await engine.execute(uuid.UUID(options["tenant_id"]), uuid.UUID(options["run_id"]))
    seconds = time.perf_counter() - started
    await database.dispose()
    return {"status": status, "seconds": seconds, "rss_peak_mb": _rss_mb(), "rss_before_mb": baseline}


def _copy_side(options: dict[str, Any]) -> dict[str, Any]:
    import psycopg

    from tenants.ids import utcnow
    from tests.bench import connector

    rows = connector.rows(
        uuid.UUID(options["tenant_id"]),
        uuid.UUID(options["account_id"]),
        date.fromisoformat(options["since"]),
        options["days"],
        utcnow(),
        uuid.UUID(options["run_id"]),
    )
    columns = "tenant_id, account_id, metric, day, value, native_metric, quality, fetched_at, sync_run_id"
    types = ["uuid", "uuid", "text", "date", "float8", "text", "text", "timestamptz", "uuid"]
    with psycopg.connect(options["owner_url"]) as connection, connection.cursor() as cursor:
        started = time.perf_counter()
        with cursor.copy(f"COPY metric_points ({columns}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            for row in rows:
                copy.write_row(row)
        connection.commit()
        seconds = time.perf_counter() - started
    return {"seconds": seconds, "rows": len(rows), "rss_peak_mb": _rss_mb()}


def _side(kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """Run one side in a fresh interpreter and return what it measured."""
    return common.run_side("tests.bench.ingest", kind, options)


def _new_run(database: common.BenchDatabase, seeded: common.Seeded, days: int) -> uuid.UUID:
    return asyncio.run(common.new_sync_run(database.app_url, seeded.tenant_id, seeded.account_id, SINCE, days))


def _table_facts(database: common.BenchDatabase, run_id: uuid.UUID | None = None) -> dict[str, Any]:
    rows = database.execute(
        "SELECT count(*), coalesce(sum(value), 0), count(DISTINCT metric), min(day), max(day), "
        "count(*) FILTER (WHERE sync_run_id = %s) FROM metric_points",
        (run_id,),
    )
    count, total, metrics, first, last, by_run = rows[0]
    return {"rows": count, "sum": float(total), "metrics": metrics, "first": first, "last": last, "by_run": by_run}


def _engine_options(
    database: common.BenchDatabase, seeded: common.Seeded, run_id: uuid.UUID, batch: int
) -> dict[str, Any]:
    return {
        "app_url": database.app_url,
        "tenant_id": str(seeded.tenant_id),
        "run_id": str(run_id),
        "batch_size": batch,
        "fast_path": True,
    }


def _compare(facts: dict[str, Any], expected: dict[str, Any], status: str, what: str) -> None:
    keys = ("rows", "sum", "metrics", "first", "last")
    if status != "succeeded" or any(facts[key] != expected[key] for key in keys):
        raise RuntimeError(f"{what} did not store what COPY stored: status {status}, {facts} vs {expected}")


def run(quick: bool, batch_size: int = BATCH_SIZE) -> list[Outcome]:
    from api.sync.engine import SyncEngine
    from tests.bench import connector

    days = 2_500 if quick else 25_000
    rounds = 2
    points = days * connector.METRIC_COUNT
    default_batch = inspect.signature(SyncEngine.__init__).parameters["batch_size"].default
    batch_size = batch_size or default_batch
    other_batch = OTHER_BATCH_SIZE if batch_size != OTHER_BATCH_SIZE else default_batch
    say(f"== ingest benchmark ({'quick' if quick else 'full'}; {common.machine_note()})")
    database = common.create_database("resonance_bench_ingest")
    try:
        seeded = asyncio.run(
            common.seed_tenant(database.app_url, agency="Ingest Bench Agency", network="bench", handle="@ingest")
        )
        say(f"{points:,} points to store: {connector.METRIC_COUNT} metrics x {days:,} days for one account")
        copy_rates, engine_rates, peaks = [], [], []
        expected: dict[str, Any] = {}
        for index in range(rounds):
            say(f"round {index + 1}/{rounds}: raw binary COPY of the same rows (built beforehand) as the table owner")
            database.execute("TRUNCATE metric_points")
            database.execute("CHECKPOINT")
            copy_run = _new_run(database, seeded, days)
            copied = _side(
                "copy",
                {
                    "owner_url": database.owner_url,
                    "tenant_id": str(seeded.tenant_id),
                    "account_id": str(seeded.account_id),
                    "since": SINCE.isoformat(),
                    "days": days,
                    "run_id": str(copy_run),
                },
            )
            expected = _table_facts(database)
            copy_rates.append(copied["rows"] / copied["seconds"])
            say(f"  COPY: {copied['rows']:,} rows in {copied['seconds']:.2f} s = {copy_rates[-1]:,.0f} rows/s")

            say(f"round {index + 1}/{rounds}: SyncEngine.execute (batch_size={batch_size}) into the emptied table")
            database.execute("TRUNCATE metric_points")
            database.execute("CHECKPOINT")
            engine_run = _new_run(database, seeded, days)
            engine = _side("engine", _engine_options(database, seeded, engine_run, batch_size))
            _compare(_table_facts(database, engine_run), expected, engine["status"], "the engine")
            engine_rates.append(points / engine["seconds"])
            peaks.append(engine["rss_peak_mb"])
            say(
                f"  engine: {points:,} rows in {engine['seconds']:.2f} s = {engine_rates[-1]:,.0f} rows/s; "
                f"peak RSS {engine['rss_peak_mb']:.0f} MB ({engine['rss_before_mb']:.0f} MB before the run)"
            )
        copy_rate, engine_rate, peak = max(copy_rates), max(engine_rates), max(peaks)
        ratio = engine_rate / copy_rate
        say(f"best of {rounds}: COPY {copy_rate:,.0f} rows/s, engine {engine_rate:,.0f} rows/s, ratio {ratio:.3f}")
        outcomes = [
            Outcome("ingest", "raw COPY rows/s", f"{copy_rate:,.0f}", "", None),
            Outcome("ingest", f"engine rows/s (batch {batch_size})", f"{engine_rate:,.0f}", "", None),
            Outcome("ingest", "engine / COPY", f"{ratio:.3f}", f">= {RATE_TARGET}", ratio >= RATE_TARGET),
            Outcome("ingest", "engine peak RSS", f"{peak:.0f} MB", f"< {RSS_TARGET_MB:g} MB", peak < RSS_TARGET_MB),
        ]

        say("re-sync of the same window over unchanged data (nothing may be rewritten)")
        rerun = _new_run(database, seeded, days)
        again = _side("engine", _engine_options(database, seeded, rerun, batch_size))
        refacts = _table_facts(database, rerun)
        if again["status"] != "succeeded" or refacts["by_run"] or refacts["rows"] != points:
            raise RuntimeError(f"the re-sync rewrote unchanged rows or failed: {again} {refacts}")
        say(f"  re-sync: {points / again['seconds']:,.0f} rows/s, rows rewritten: {refacts['by_run']}")
        outcomes.append(Outcome("ingest", "re-sync, unchanged rows/s", f"{points / again['seconds']:,.0f}", "", None))

        say(f"for comparison, the engine with batch_size={other_batch}, into the emptied table")
        database.execute("TRUNCATE metric_points")
        database.execute("CHECKPOINT")
        other_run = _new_run(database, seeded, days)
        other = _side("engine", _engine_options(database, seeded, other_run, other_batch))
        _compare(_table_facts(database, other_run), expected, other["status"], "the engine")
        rate = points / other["seconds"]
        say(f"  engine (batch {other_batch}): {rate:,.0f} rows/s, {rate / copy_rate:.3f} x COPY")
        outcomes.append(Outcome("ingest", f"engine / COPY at batch {other_batch}", f"{rate / copy_rate:.3f}", "", None))

        small_days = days // 10
        small = small_days * connector.METRIC_COUNT
        say(f"for comparison, the row-by-row upsert (fast path off): {small:,} points into the emptied table")
        database.execute("TRUNCATE metric_points")
        slow_run = _new_run(database, seeded, small_days)
        slow = _side("engine", {**_engine_options(database, seeded, slow_run, batch_size), "fast_path": False})
        say(f"  row-by-row: status {slow['status']}, {small / slow['seconds']:,.0f} rows/s")
        outcomes.append(Outcome("ingest", "row-by-row upsert rows/s", f"{small / slow['seconds']:,.0f}", "", None))
        return outcomes
    finally:
        common.drop_database(database)


def main() -> None:
    kind, options = sys.argv[1], json.loads(sys.argv[2])
    os.environ.setdefault("RESONANCE_LOG_LEVEL", "WARNING")
    if kind == "engine":
        result = asyncio.run(_engine_side(options))
    elif kind == "copy":
        result = _copy_side(options)
    else:
        raise SystemExit(f"unknown side {kind!r}")
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
