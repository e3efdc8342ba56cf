"""Benchmark — fan-out: `resonance worker` processes syncing thousands of accounts against a 50 ms network.

A fake Mastodon instance (`tests.bench.fake_network`, uvicorn in its own process) answers every call after
50 ms; the real Mastodon connector is pointed at it with `RESONANCE_CONNECTOR_BASE_URLS`, so each sync makes
its two calls (profile lookup, one page of statuses) and stores a few metric points and one post. Accounts
are spread over a few agencies, created through the app role (row-level security on). For 1, 2 and 4 workers
in turn, one sync run per account is queued as the API queues it (a `SyncRun` row, then its `sync.run` job
deferred with the run as queueing key, as `BackgroundWork.defer_sync` does), then that many real `resonance
worker` subprocesses (imports done before the clock starts) run them. Throughput is the runs over the span
from the first claim to the last finish (`sync_runs.started_at`/`finished_at`); beside it the CPU each
process used (`/proc/<pid>/stat`) and the machine's, per sync.

Every round also proves the work was done once: every run ended `succeeded`, and the fake network saw
exactly one profile lookup per account. The queue's own cost is measured on the same engine
(`ProcrastinateEngine`) with a no-op job in a catalogue of its own: defers per second, and jobs per second
through one in-process worker at the same concurrency.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from tests.bench import common
from tests.bench.common import BenchDatabase, Outcome, say

PROFILE_ENV = "RESONANCE_BENCH_PROFILE"
"""A folder: when set, the single worker of the first round runs under `py-spy record` (collapsed stacks)."""
CONCURRENCY = 16
"""Jobs at once per worker. 16 × 100 ms of network per sync is 160 syncs/s of room per process, far above what
its CPU allows; more would only open more connections (a process's pool holds up to 20, and 4 workers beside
the benchmark must stay under PostgreSQL's default max_connections of 100)."""
TENANTS = 4
WORKER_COUNTS = (1, 2, 4)
WINDOW_DAYS = 7
RATE_TARGET = 1000.0
"""Account syncs per minute per worker process."""
SCALING_TARGET = 3.0
"""Throughput of 4 workers over 1."""
ROUND_TIMEOUT = 900.0
"""A round that has not finished after this long is reported broken (2,000 syncs at 150 a minute)."""
NETWORK = "mastodon"

PRELOAD = (
    "import os, sys; import api.cli, api.app; from plugins.registry import load_registry; load_registry(); "
    "print('ready', flush=True); sys.stdin.readline(); sys.argv = ['resonance', 'worker']; api.cli.main()"
)
"""`resonance worker`, its imports done before the go, so that the clock does not time Python starting."""


@dataclass(frozen=True)
class Sizes:
    accounts: int
    noop_jobs: int

    @classmethod
    def of(cls, quick: bool) -> Sizes:
        return cls(accounts=300, noop_jobs=1000) if quick else cls(accounts=2000, noop_jobs=5000)


@dataclass(frozen=True)
class Account:
    tenant_id: uuid.UUID
    account_id: uuid.UUID
    username: str


@dataclass
class Round:
    """One fan-out: `workers` processes running one sync per account."""

    workers: int
    runs: int
    seconds: float
    """From the first claim to the last finish."""
    wall_seconds: float
    """From the go to the last finish (the workers' start-up included)."""
    statuses: Counter[str]
    lookups_per_account: Counter[int]
    worker_cpu: float
    network_cpu: float
    machine_cpu: float
    database_cpu: float
    """CPU of the PostgreSQL backends serving the workers (opened by them during the round)."""
    defer_ms: float
    peak_connections: int
    errors: list[str] = field(default_factory=list)
    dispatch: tuple[float, int] | None = None
    """One periodic dispatch timed before the round: seconds, jobs it queued."""

    @property
    def per_minute(self) -> float:
        return self.runs / self.seconds * 60

    @property
    def per_minute_per_worker(self) -> float:
        return self.per_minute / self.workers

    @property
    def exactly_once(self) -> bool:
        return self.statuses == Counter({"succeeded": self.runs}) and self.lookups_per_account == Counter(
            {1: self.runs}
        )


# --------------------------------------------------------------------------------------------- set-up


async def seed_accounts(app_url: str, count: int, tenants: int = TENANTS) -> list[Account]:
    """`count` Mastodon accounts over `tenants` agencies, one client each, created the way the service does."""
    import api.models  # noqa: F401  - every table in the metadata, as in the service
    from api.accounts.models import SocialAccount
    from api.clients.models import Client
    from tenants.audit import Actor
    from tenants.database import Database
    from tenants.signup import create_tenant

    database = Database(app_url, pool_size=2)
    accounts: list[Account] = []
    try:
        for t in range(tenants):
            tenant, _key, _secret = await create_tenant(
                database, agency_name=f"Fan-out {t}", email=f"owner{t}@bench.example", actor=Actor(label="bench")
            )
            async with database.tenant_session(tenant.id) as session:
                client = Client(name=f"Fan-out client {t}")
                session.add(client)
                await session.flush()
                for i in range(t, count, tenants):
                    username = f"fan{i:05d}"
                    # Not scheduled: every run is one the benchmark queued.
                    account = SocialAccount(
                        client_id=client.id, network=NETWORK, handle=f"@{username}", sync_enabled=False
                    )
                    session.add(account)
                    accounts.append(Account(tenant.id, account.id, username))
    finally:
        await database.dispose()
    return accounts


def sync_engine_for(conninfo: str) -> Any:
    """A `ProcrastinateEngine` that knows the `sync.run` job by name (to defer it; it never runs it)."""
    from api.tasks.background import SYNC_RUN
    from api.tasks.engine import Catalogue, Job
    from api.tasks.postgres_engine import ProcrastinateEngine

    async def never(**_args: str) -> None:
        raise AssertionError("the benchmark process defers sync jobs; workers run them")

    return ProcrastinateEngine(Catalogue(jobs=(Job(SYNC_RUN, "sync", never, max_attempts=3),)), conninfo)


async def queue_runs(app_url: str, accounts: list[Account]) -> tuple[list[uuid.UUID], float]:
    """One `SyncRun` per account (one transaction per agency, as a batch of API requests would commit), then
    its job deferred as `BackgroundWork.defer_sync` defers it; returns the run ids and ms per deferral."""
    import api.models  # noqa: F401
    from api.sync.models import SyncRun
    from api.tasks.background import SYNC_RUN
    from tenants.database import Database
    from tenants.ids import utcnow

    database = Database(app_url, pool_size=2)
    today = utcnow().date()
    runs: list[tuple[uuid.UUID, uuid.UUID]] = []
    try:
        by_tenant: dict[uuid.UUID, list[Account]] = {}
        for account in accounts:
            by_tenant.setdefault(account.tenant_id, []).append(account)
        for tenant_id, members in by_tenant.items():
            async with database.tenant_session(tenant_id) as session:
                for account in members:
                    run = SyncRun(
                        account_id=account.account_id,
                        window_since=today - timedelta(days=WINDOW_DAYS - 1),
                        window_until=today,
                    )
                    session.add(run)
                    runs.append((tenant_id, run.id))
    finally:
        await database.dispose()
    engine = sync_engine_for(conninfo_of(app_url))
    try:
        started = time.perf_counter()
        for tenant_id, run_id in runs:
            args = {"tenant_id": str(tenant_id), "run_id": str(run_id)}
            await engine.defer(SYNC_RUN, args, key=f"sync_run:{run_id}")
        defer_ms = (time.perf_counter() - started) * 1000 / max(len(runs), 1)
    finally:
        await engine.close()
    return [run_id for _tenant, run_id in runs], defer_ms


def conninfo_of(url: str) -> str:
    """The libpq URL the task engine is given, as `api.tasks.engines` derives it."""
    from tenants.database import driver_url

    return "postgresql://" + driver_url(url, asynchronous=True).partition("://")[2]


def worker_env(database: BenchDatabase, network_url: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {
        **os.environ,
        **common.resonance_env(database),
        "PYTHONPATH": str(common.ROOT),
        "RESONANCE_CONNECTOR_BASE_URLS": f"{NETWORK}={network_url}",
        "RESONANCE_SYNC_CONCURRENCY": str(CONCURRENCY),
        # Every account is on one network: its shared slots (16 by default, across all workers) would cap the
        # fan-out at 16 syncs at once whatever the number of workers. The engine is what is measured here.
        "RESONANCE_NETWORK_CONCURRENCY": "10000",
        "RESONANCE_TASK_ENGINE": "postgresql",
        **(extra or {}),
    }


def _py_spy(pid: int, path: Path) -> subprocess.Popen[bytes]:
    py_spy = shutil.which("py-spy") or str(Path(common.PYTHON).with_name("py-spy"))
    say(f"  (profiling worker {pid} with py-spy into {path})")
    command = [py_spy, "record", "--pid", str(pid), "--rate", "200", "--format", "raw", "-o", str(path)]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (all cores), from /proc/stat."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(value) for value in fields]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def backends_cpu(database: BenchDatabase) -> float:
    """CPU seconds used so far by the PostgreSQL backends of the app role on the benchmark's database: the
    workers' connections, since the benchmark's own app-role connections are closed before a round starts."""
    with database.owner() as connection:
        pids = connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND usename = %s",
            (common.APP_LOGIN_ROLE,),
        ).fetchall()
    total = 0.0
    for (pid,) in pids:
        with contextlib.suppress(FileNotFoundError, PermissionError):  # PostgreSQL on another host
            total += common.cpu_seconds(int(pid))
    return total


def lookups(network_url: str) -> Counter[str]:
    return Counter(httpx.get(f"{network_url}/_calls", timeout=10).json())


def _progress(database: BenchDatabase, run_ids: list[uuid.UUID]) -> tuple[Counter[str], int]:
    with database.owner() as connection:
        rows = connection.execute(
            "SELECT status, count(*) FROM sync_runs WHERE id = ANY(%s) GROUP BY status", (run_ids,)
        ).fetchall()
        (connections,) = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        ).fetchone() or (0,)
    return Counter({status: int(n) for status, n in rows}), int(connections)


def fan_out(
    database: BenchDatabase,
    network: common.Served,
    accounts: list[Account],
    count: int,
    log: Path,
    profile: Path | None = None,
    *,
    measure_dispatch: bool = False,
    extra_env: Mapping[str, str] | None = None,
) -> Round:
    """Queue one run per account, then let `count` workers run them all; the measured round. With
    `measure_dispatch`, one periodic dispatch is timed first, while every run's job waits; `extra_env` adds
    to the workers' environment (e.g. `RESONANCE_NETWORK_RATE`)."""
    say(f"{count} worker(s): queueing {len(accounts)} sync runs and deferring their jobs")
    run_ids, defer_ms = asyncio.run(queue_runs(database.app_url, accounts))
    say(f"  deferred {len(run_ids)} sync.run jobs ({defer_ms:.2f} ms per deferral); starting {count} worker(s)")
    dispatch: tuple[float, int] | None = None
    if measure_dispatch:
        dispatch = asyncio.run(dispatch_cost(database, network.base))
        say(f"  one dispatch tick with {len(run_ids)} jobs waiting: {dispatch[0] * 1000:.0f} ms, {dispatch[1]} queued")
    before = lookups(network.base)
    env = worker_env(database, network.base, extra_env)
    processes: list[subprocess.Popen[str]] = []
    peak = 0
    with workers_started(count, env, log, processes, profile):
        cpu_before = [common.cpu_seconds(p.pid) for p in processes]
        network_before = common.cpu_seconds(network.pid)
        machine_before = machine_busy_seconds()
        started = time.monotonic()
        for process in processes:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        shown = started
        while True:
            statuses, connections = _progress(database, run_ids)
            peak = max(peak, connections)
            done = sum(n for status, n in statuses.items() if status not in ("queued", "running"))
            now = time.monotonic()
            if done >= len(run_ids):
                break
            if now - shown >= 5:
                say(f"  {done}/{len(run_ids)} finished after {now - started:.0f} s ({connections} connections)")
                shown = now
            if now - started > ROUND_TIMEOUT:
                raise RuntimeError(f"{count} worker(s) finished {done} of {len(run_ids)} runs in {ROUND_TIMEOUT:.0f} s")
            dead = [p.returncode for p in processes if p.poll() is not None]
            if dead:
                raise RuntimeError(f"a worker exited with status {dead[0]} during the round; see {log}")
            time.sleep(0.1)
        wall = time.monotonic() - started
        worker_cpu = sum(common.cpu_seconds(p.pid) - cpu for p, cpu in zip(processes, cpu_before, strict=True))
        network_cpu = common.cpu_seconds(network.pid) - network_before
        machine_cpu = machine_busy_seconds() - machine_before
        database_cpu = backends_cpu(database)
    with database.owner() as connection:
        first, last = connection.execute(
            "SELECT min(started_at), max(finished_at) FROM sync_runs WHERE id = ANY(%s)", (run_ids,)
        ).fetchone() or (None, None)
        errors = [
            str(error)
            for (error,) in connection.execute(
                "SELECT DISTINCT error FROM sync_runs WHERE id = ANY(%s) AND error IS NOT NULL LIMIT 3", (run_ids,)
            ).fetchall()
        ]
    seconds = (last - first).total_seconds() if first and last else wall
    after = lookups(network.base)
    per_account = Counter(after[a.username] - before[a.username] for a in accounts)
    result = Round(
        workers=count,
        runs=len(run_ids),
        seconds=seconds,
        wall_seconds=wall,
        statuses=statuses,
        lookups_per_account=per_account,
        worker_cpu=worker_cpu,
        network_cpu=network_cpu,
        machine_cpu=machine_cpu,
        database_cpu=database_cpu,
        defer_ms=defer_ms,
        peak_connections=peak,
        errors=errors,
        dispatch=dispatch,
    )
    say(
        f"  {result.runs} runs in {seconds:.1f} s ({wall:.1f} s from the go): {result.per_minute:,.0f} syncs/min, "
        f"{result.per_minute_per_worker:,.0f} per worker; "
        f"CPU per sync: workers {worker_cpu / result.runs * 1000:.1f} ms, "
        f"their PostgreSQL backends {database_cpu / result.runs * 1000:.1f} ms, "
        f"fake network {network_cpu / result.runs * 1000:.1f} ms, machine {machine_cpu / result.runs * 1000:.1f} ms; "
        f"statuses {dict(statuses)}; lookups per account {dict(per_account)}; peak {peak} connections"
    )
    for error in errors:
        say(f"  a run's error: {error}")
    return result


@contextmanager
def workers_started(
    count: int, env: dict[str, str], log: Path, processes: list[subprocess.Popen[str]], profile: Path | None
) -> Iterator[None]:
    """`count` loaded `resonance worker` processes appended to `processes`; SIGTERM and wait afterwards."""
    spy: subprocess.Popen[bytes] | None = None
    try:
        for _ in range(count):
            with log.open("a") as output:
                command = [common.PYTHON, "-c", PRELOAD]
                pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": output}
                processes.append(subprocess.Popen(command, cwd=common.ROOT, env=env, text=True, **pipes))
        for process in processes:
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError(f"a worker did not start (exit status {process.poll()}); see {log}")
        if profile is not None:
            spy = _py_spy(processes[0].pid, profile)
        yield
    finally:
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            try:
                spy.wait(timeout=60)
            except subprocess.TimeoutExpired:
                spy.kill()
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# --------------------------------------------------------------------------------------------- the queue alone


@dataclass(frozen=True)
class QueueCost:
    jobs: int
    defer_ms: float
    jobs_per_second: float

    @property
    def ms_per_job(self) -> float:
        return 1000 / self.jobs_per_second


async def queue_cost(app_url: str, jobs: int, concurrency: int = CONCURRENCY) -> QueueCost:
    """A no-op job on `ProcrastinateEngine`: `jobs` deferred one by one, then run by one in-process worker."""
    from api.tasks.engine import Catalogue, Job
    from api.tasks.postgres_engine import ProcrastinateEngine

    done = 0
    finished = asyncio.Event()

    async def noop(index: str) -> None:
        nonlocal done
        done += 1
        if done >= jobs:
            finished.set()

    engine = ProcrastinateEngine(
        Catalogue(jobs=(Job("bench.noop", "bench", noop, max_attempts=1),)), conninfo_of(app_url)
    )
    try:
        started = time.perf_counter()
        for index in range(jobs):
            await engine.defer("bench.noop", {"index": str(index)})
        defer_ms = (time.perf_counter() - started) * 1000 / jobs
        stop = asyncio.Event()
        started = time.perf_counter()
        running = asyncio.create_task(engine.run(stop, queues=["bench"], concurrency=concurrency, periodic=False))
        await asyncio.wait_for(finished.wait(), ROUND_TIMEOUT)
        seconds = time.perf_counter() - started
        stop.set()
        await running
    finally:
        await engine.close()
    return QueueCost(jobs=jobs, defer_ms=defer_ms, jobs_per_second=jobs / seconds)


async def dispatch_cost(database: BenchDatabase, network_url: str) -> tuple[float, int]:
    """One `BackgroundWork.dispatch` (the periodic tick) while every run's job already waits: seconds, queued."""
    from api.app import build_services
    from api.cli.output import release
    from tenants.settings import Settings

    env = worker_env(database, network_url)
    settings = Settings(
        environment="production",
        database_url=database.app_url,
        secret_key=common.SECRET_KEY,
        connector_base_urls=env["RESONANCE_CONNECTOR_BASE_URLS"],
        task_engine="postgresql",
        log_level="WARNING",
    )
    services = build_services(settings)
    try:
        started = time.perf_counter()
        queued = await services.background.dispatch()
        return time.perf_counter() - started, queued
    finally:
        await release(services)


# --------------------------------------------------------------------------------------------- the benchmark


def run(quick: bool) -> list[Outcome]:
    sizes = Sizes.of(quick)
    say(
        f"fan-out: {sizes.accounts} Mastodon accounts over {TENANTS} agencies against a fake network answering in "
        f"50 ms; {', '.join(map(str, WORKER_COUNTS))} `resonance worker` processes at concurrency {CONCURRENCY}"
    )
    database = common.create_database("resonance_bench_fanout")
    log = Path(os.environ.get("TMPDIR", "/tmp")) / "resonance_bench_fanout_workers.log"
    log.write_text("")
    profile_dir = os.environ.get(PROFILE_ENV)
    try:
        with common.uvicorn_process("tests.bench.fake_network:create_app", {}, label="fake network") as network:
            accounts = asyncio.run(seed_accounts(database.app_url, sizes.accounts))
            say(f"seeded {len(accounts)} accounts")
            rounds: list[Round] = []
            for count in WORKER_COUNTS:
                profile = Path(profile_dir) / "fanout-worker.txt" if profile_dir and count == 1 else None
                first = count == WORKER_COUNTS[0]
                rounds.append(fan_out(database, network, accounts, count, log, profile, measure_dispatch=first))
            say(f"the queue alone: {sizes.noop_jobs} no-op jobs on the same engine, concurrency {CONCURRENCY}")
            cost = asyncio.run(queue_cost(database.app_url, sizes.noop_jobs))
            say(
                f"  defer {cost.defer_ms:.2f} ms per job; run {cost.jobs_per_second:,.0f} jobs/s "
                f"({cost.ms_per_job:.2f} ms per job)"
            )
    finally:
        common.drop_database(database)
    return outcomes(rounds, cost)


def outcomes(rounds: list[Round], cost: QueueCost) -> list[Outcome]:
    by_count = {r.workers: r for r in rounds}
    one, four = by_count[1], by_count[4]
    result = [
        Outcome(
            "fanout",
            f"syncs/min per worker at {r.workers} worker(s)",
            f"{r.per_minute_per_worker:,.0f} ({r.per_minute:,.0f} in all, {r.runs} runs in {r.seconds:.1f} s)",
            f"≥ {RATE_TARGET:,.0f}",
            r.per_minute_per_worker >= RATE_TARGET,
        )
        for r in rounds
    ]
    ratio = four.per_minute / one.per_minute
    result.append(
        Outcome(
            "fanout", "scaling, 4 workers / 1", f"{ratio:.2f}×", f"≥ {SCALING_TARGET:.0f}×", ratio >= SCALING_TARGET
        )
    )
    for r in rounds:
        result.append(
            Outcome(
                "fanout",
                f"CPU per sync at {r.workers} worker(s): workers / their PostgreSQL backends / machine",
                f"{r.worker_cpu / r.runs * 1000:.1f} / {r.database_cpu / r.runs * 1000:.1f} / "
                f"{r.machine_cpu / r.runs * 1000:.1f} ms",
                "",
                None,
            )
        )
    result.append(
        Outcome(
            "fanout",
            "every run succeeded, each account looked up once",
            ", ".join(f"{r.workers}w: {'yes' if r.exactly_once else 'NO'}" for r in rounds),
            "all",
            all(r.exactly_once for r in rounds),
        )
    )
    result.append(
        Outcome(
            "fanout",
            "no-op job: jobs/s, ms per job (defer ms per job)",
            f"{cost.jobs_per_second:,.0f}, {cost.ms_per_job:.2f} ms ({cost.defer_ms:.2f} ms)",
            "",
            None,
        )
    )
    result.append(
        Outcome(
            "fanout",
            "sync job: ms per job at 1 worker (defer ms per job)",
            f"{one.seconds * 1000 / one.runs:.2f} ms ({one.defer_ms:.2f} ms)",
            "",
            None,
        )
    )
    if one.dispatch is not None:
        seconds, queued = one.dispatch
        result.append(
            Outcome(
                "fanout",
                f"one dispatch tick with {one.runs} jobs waiting",
                f"{seconds * 1000:.0f} ms, {queued} queued",
                "",
                None,
            )
        )
    return result
