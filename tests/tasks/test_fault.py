"""The fault test: workers SIGKILLed during a fan-out of syncs, and PostgreSQL (the broker) restarted once.

The broker of the PostgreSQL task engine is the database itself (procrastinate's jobs are rows), so this test
starts its own throwaway cluster (initdb into a temporary directory, a free port, fsync off, trust auth), which
it may restart without harming anyone else. The database is migrated as its owner and the workers connect as
a login role in `resonance_app`, as in production, so row-level security applies.

FAULT_SYNCS sync runs (200 in CI; the issue's size is 2,000) are queued over accounts of two agencies on the
demo network, each account hanging a little before yielding so that kills land mid-sync. The periodic dispatch
(every second here) finds them; three `resonance worker` processes (`fault_worker.py`: the real CLI, with
stale sync heartbeats taken over after a few seconds instead of five minutes) run them. While they do, a random
worker is SIGKILLed FAULT_KILLS times (20) at random points of the fan-out, preferably while it runs a sync,
and replaced by a spare already loaded; halfway through, the cluster is restarted (`pg_ctl restart -m fast`)
under the running workers, which must reconnect and carry on. Nothing is aged by hand: a killed worker's runs
come back through the dispatch once their heartbeat is stale, its procrastinate jobs through the stalled-job
retry.

The proof, from the stored facts once every worker stopped on SIGTERM: every run ended exactly once
(succeeded or partial; none queued, running or failed); the ledger holds exactly one `syncs` fact per run,
keyed `sync_run:<id>`, and no other; and the executions the workers logged are consistent with the kills:
every run was started at least once, no run was completed by two executions, and restarts of a run number
no more than the runs that were in flight when a worker died or the database went away.
"""

from __future__ import annotations

import asyncio
import glob
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from api.accounts.models import SocialAccount
from api.clients.models import Client
from api.sync.models import SyncRun
from tenants.audit import SYSTEM
from tenants.database import Database
from tenants.migrate import upgrade
from tenants.signup import create_tenant
from tests.conftest import APP_LOGIN_ROLE, POSTGRES_ENV

ROOT = Path(__file__).resolve().parents[2]
SYNCS = int(os.environ.get("FAULT_SYNCS", "200"))
KILLS = int(os.environ.get("FAULT_KILLS", "20"))
WORKERS = 3
CONCURRENCY = 4
STALE_SECONDS = 6
"""A killed worker's runs are taken over once their heartbeat is this old (beats come every fifth of it)."""
INITDB = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb")) or [shutil.which("initdb") or ""]
PG_BIN = Path(INITDB[-1]).parent if INITDB[-1] else None
TODAY = datetime.now(UTC).date()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    """A PostgreSQL cluster of this test's own, run by `postgres` when the test runs as root (initdb refuses
    root); `url(user)` connects to its `resonance` database."""

    bin: Path
    home: Path
    port: int = field(default_factory=_free_port)

    @property
    def data(self) -> Path:
        return self.home / "data"

    def url(self, user: str, database: str = "resonance") -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> None:
        owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        done = subprocess.run([*owner, *command], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"{' '.join(command)}: {done.stdout}{done.stderr}"

    def _ctl(self, *args: str) -> None:
        options = (
            f"-k {self.home} -c listen_addresses=127.0.0.1 -p {self.port} -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=300"
        )
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.home / "log"), "-w", "-o", options,
                  *args)  # fmt: skip

    def create(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.home, "postgres", "postgres")
        initdb = str(self.bin / "initdb")
        self._run(initdb, "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale", "-N")
        self.start()

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("-m", "fast", "restart")

    def stop(self) -> None:
        self._ctl("-m", "immediate", "stop")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    assert PG_BIN is not None
    # Under /tmp, not pytest's tmp_path: its parents are private to the test's user, and a socket path is short.
    made = Cluster(PG_BIN, Path(tempfile.mkdtemp(prefix="resonance-fault-")))
    try:
        made.create()
        admin = create_engine(made.url("postgres", "postgres").replace("://", "+psycopg://"), poolclass=NullPool,
                              isolation_level="AUTOCOMMIT")  # fmt: skip
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE resonance"))
        admin.dispose()
        upgrade(made.url("postgres"))
        owner = _owner(made)
        with owner.begin() as connection:
            connection.execute(text(f"CREATE ROLE {APP_LOGIN_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
            connection.execute(text(f"GRANT resonance_app TO {APP_LOGIN_ROLE}"))
        owner.dispose()
        yield made
    finally:
        if (made.data / "postmaster.pid").exists():
            made.stop()
        shutil.rmtree(made.home, ignore_errors=True)


def _owner(cluster: Cluster) -> Engine:
    """The database as its owner (across agencies); a new connection each time, so a restart breaks nothing."""
    return create_engine(cluster.url("postgres").replace("://", "+psycopg://"), poolclass=NullPool)


@dataclass
class Snapshot:
    runs: Counter[str]
    running_by_pid: Counter[int]

    @property
    def done(self) -> int:
        return self.runs["succeeded"] + self.runs["partial"]

    @property
    def ended(self) -> int:
        return self.done + self.runs["failed"]


def _snapshot(owner: Engine) -> Snapshot:
    """Runs by status, and the runs each worker process holds with a heartbeat not yet stale."""
    fresh = datetime.now(UTC) - timedelta(seconds=STALE_SECONDS)
    for attempt in range(100):
        try:
            with owner.connect() as connection:
                runs = Counter(
                    dict(connection.execute(text("SELECT status, count(*) FROM sync_runs GROUP BY 1")).all())
                )
                workers = connection.execute(
                    text("SELECT worker FROM sync_runs WHERE status = 'running' AND heartbeat_at > :fresh"),
                    {"fresh": fresh},
                ).scalars()
                return Snapshot(runs, Counter(int(worker.split(":")[-2]) for worker in workers if worker))
        except Exception:  # the database is restarting
            if attempt == 99:
                raise
            time.sleep(0.1)
    raise AssertionError("unreachable")


async def _seed(db: Database, rng: random.Random) -> list[uuid.UUID]:
    """Two agencies, one client each, accounts on the demo network (not scheduled: every run is one queued
    here), each hanging 50 to 250 ms before yielding; SYNCS runs over random short windows of those accounts."""
    per_agency = max(10, SYNCS // 20)
    accounts: list[tuple[uuid.UUID, uuid.UUID]] = []
    for name in ("Fault Alpha", "Fault Beta"):
        tenant, _key, _secret = await create_tenant(
            db, agency_name=name, email=f"owner@{name.lower().replace(' ', '')}.example", actor=SYSTEM
        )
        async with db.tenant_session(tenant.id) as session:
            client = Client(name=f"Client of {name}")
            session.add(client)
            await session.flush()
            for n in range(per_agency):
                account = SocialAccount(
                    client_id=client.id,
                    network="demo",
                    handle=f"fault_{n}",
                    sync_enabled=False,
                    sync_settings={"hang_seconds": round(rng.uniform(0.05, 0.25), 3)},
                )
                session.add(account)
                await session.flush()
                accounts.append((tenant.id, account.id))
    runs: list[uuid.UUID] = []
    by_tenant: dict[uuid.UUID, list[SyncRun]] = {}
    for _ in range(SYNCS):
        tenant_id, account_id = rng.choice(accounts)
        since = TODAY - timedelta(days=rng.randint(5, 60))
        run = SyncRun(account_id=account_id, window_since=since, window_until=since + timedelta(days=rng.randint(1, 3)))
        by_tenant.setdefault(tenant_id, []).append(run)
        runs.append(run.id)
    for tenant_id, batch in by_tenant.items():
        async with db.tenant_session(tenant_id) as session:
            session.add_all(batch)
    return runs


class Workers:
    """The worker processes: WORKERS running, and one spare loaded and waiting for its go."""

    def __init__(self, cluster: Cluster, home: Path) -> None:
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "RESONANCE_ENV": "test",
            "RESONANCE_DATABASE_URL": cluster.url(APP_LOGIN_ROLE),
            "RESONANCE_SECRET_KEY": "fault-test-secret-key-" + "x" * 32,
            "RESONANCE_DISPATCH_SECONDS": "1",
            "RESONANCE_SYNC_CONCURRENCY": str(CONCURRENCY),
            "RESONANCE_LOG_LEVEL": "WARNING",
            "FAULT_STALE_SECONDS": str(STALE_SECONDS),
            "FAULT_EXECUTIONS": str(home / "executions.log"),
        }
        self.log = home / "workers.log"
        self.executions = home / "executions.log"
        self.running: list[subprocess.Popen[bytes]] = []
        self.killed: set[int] = set()
        # Loaded while the test seeds its agencies: the first workers, and a spare for the first kill.
        self.ready = [self._spawn() for _ in range(WORKERS + 1)]

    def _spawn(self) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as output:
            return subprocess.Popen(
                [sys.executable, str(ROOT / "tests" / "tasks" / "fault_worker.py")], cwd=ROOT, env=self.env,
                stdin=subprocess.PIPE, stdout=output, stderr=subprocess.STDOUT,
            )  # fmt: skip

    def go(self) -> subprocess.Popen[bytes]:
        """A loaded worker starts working; when it was the spare, a new spare loads meanwhile."""
        worker = self.ready.pop(0)
        if not self.ready:
            self.ready.append(self._spawn())
        assert worker.stdin is not None
        worker.stdin.write(b"go\n")
        worker.stdin.flush()
        self.running.append(worker)
        return worker

    def kill(self, worker: subprocess.Popen[bytes]) -> None:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
        self.running.remove(worker)
        self.killed.add(worker.pid)

    def exited_by_themselves(self) -> list[tuple[int, int | None]]:
        return [(worker.pid, worker.returncode) for worker in self.running if worker.poll() is not None]

    def stop(self) -> list[int | None]:
        """SIGTERM to every running worker once it handles it (they finish their jobs and exit); the spare is
        killed."""
        deadline = time.monotonic() + 60
        while not all(f"ready {worker.pid}\n".encode() in self.executions.read_bytes() for worker in self.running):
            assert time.monotonic() < deadline, "a worker did not start"
            time.sleep(0.1)
        for worker in self.running:
            worker.send_signal(signal.SIGTERM)
        codes = []
        for worker in self.running:
            try:
                codes.append(worker.wait(timeout=30))
            except subprocess.TimeoutExpired:
                worker.kill()
                codes.append(None)
        for spare in self.ready:
            spare.kill()
            spare.wait(timeout=10)
        self.running = []
        return codes

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


if POSTGRES_ENV in os.environ and PG_BIN is not None:

    @pytest.mark.timeout(240 + SYNCS // 2)
    async def test_workers_killed_and_the_broker_restarted_during_a_fan_out_lose_and_double_count_nothing(
        cluster: Cluster, tmp_path: Path
    ) -> None:
        started = time.monotonic()
        rng = random.Random()
        seed = rng.randrange(1 << 30)
        rng.seed(seed)
        print(f"\nfault test: {SYNCS} syncs, {KILLS} kills, {WORKERS} workers, one restart; seed {seed}", flush=True)
        db = Database(cluster.url(APP_LOGIN_ROLE))
        owner = _owner(cluster)
        workers = Workers(cluster, tmp_path)
        try:
            run_ids = await _seed(db, rng)
            await db.dispose()
            # Kills at random points of the fan-out (by runs done), the restart halfway between two of them.
            kill_at = sorted(int(rng.uniform(0.03, 0.85) * SYNCS) for _ in range(KILLS))
            restart_at = SYNCS // 2
            for _ in range(WORKERS):
                workers.go()
            kills, mid_sync = 0, 0
            restarted_at: int | None = None  # where the executions' log stood
            survivors: set[int] = set()
            while kills < KILLS or restarted_at is None:
                state = _snapshot(owner)
                assert not workers.exited_by_themselves(), (workers.exited_by_themselves(), workers.tail())
                if restarted_at is None and state.done >= restart_at:
                    took = time.monotonic()
                    survivors = {worker.pid for worker in workers.running}
                    restarted_at = workers.executions.stat().st_size
                    cluster.restart()
                    print(
                        f"restarted PostgreSQL at {state.done} runs done in {time.monotonic() - took:.1f} s", flush=True
                    )
                    continue
                if kills < KILLS and state.done >= kill_at[kills]:
                    # Preferably one running a sync, at a random moment of it.
                    busy = [worker for worker in workers.running if state.running_by_pid[worker.pid]]
                    victim = rng.choice(busy or workers.running)
                    await asyncio.sleep(rng.uniform(0.0, 0.2))
                    workers.kill(victim)
                    kills += 1
                    mid_sync += bool(state.running_by_pid[victim.pid])
                    workers.go()
                    print(
                        f"kill {kills:2d} at {time.monotonic() - started:5.1f} s: pid {victim.pid} holding "
                        f"{state.running_by_pid[victim.pid]} run(s); runs {state.done} done, "
                        f"{state.runs['running']} running, {state.runs['queued']} queued, "
                        f"{state.runs['failed']} failed",
                        flush=True,
                    )
                    continue
                if state.ended == SYNCS:
                    break  # the fan-out ended before its kills: the checks below say so
                await asyncio.sleep(0.05)

            print(f"{kills} kills and the restart after {time.monotonic() - started:.1f} s; finishing", flush=True)
            deadline = time.monotonic() + 60 + SYNCS / 10
            while (state := _snapshot(owner)).ended < SYNCS:
                assert not workers.exited_by_themselves(), (workers.exited_by_themselves(), workers.tail())
                assert time.monotonic() < deadline, f"the fan-out did not finish: {state.runs}\n{workers.tail()}"
                await asyncio.sleep(0.1)
            finished = time.monotonic()
            codes = workers.stop()
            print(f"{SYNCS} runs ended after {finished - started:.1f} s: {dict(state.runs)}", flush=True)

            assert kills == KILLS, "the fan-out ended before the kills were done"
            assert restarted_at is not None, "the fan-out ended before the restart"
            assert codes == [0] * WORKERS, (codes, workers.tail())
            assert mid_sync >= KILLS // 2, f"only {mid_sync} of {KILLS} kills landed during a sync"
            _assert_exactly_once(owner, run_ids)
            _assert_executions(workers, run_ids, restarted_at, survivors)
        finally:
            for worker in [*workers.running, *workers.ready]:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait(timeout=10)
            owner.dispose()
            await db.dispose()


def _assert_exactly_once(owner: Engine, run_ids: list[uuid.UUID]) -> None:
    """Every run ended once in the ledger: one final status, one `syncs` fact, nothing else counted."""
    with owner.connect() as connection:
        statuses = dict(connection.execute(text("SELECT id, status FROM sync_runs")).all())
        took = connection.execute(text("SELECT avg(duration_ms), max(duration_ms) FROM sync_runs")).one()
        facts = connection.execute(
            text("SELECT idempotency_key, quantity FROM usage_events WHERE meter = 'syncs'")
        ).all()
    print(f"a run's last execution took {took[0]:.0f} ms on average, {took[1]} ms at most", flush=True)
    assert set(statuses) == set(run_ids)
    assert set(statuses.values()) <= {"succeeded", "partial"}, f"runs not ended well: {Counter(statuses.values())}"
    keys = Counter(key for key, _quantity in facts)
    assert not [key for key, n in keys.items() if n > 1], "a sync counted twice"
    assert set(keys) == {f"sync_run:{run_id}" for run_id in run_ids}, "a sync lost from, or foreign to, the ledger"
    assert sum(quantity for _key, quantity in facts) == len(run_ids)


def _assert_executions(workers: Workers, run_ids: list[uuid.UUID], restarted_at: int, survivors: set[int]) -> None:
    """What the workers did agrees with the faults: a run restarts only when its execution was cut short, and
    the workers that lived through the restart went on working after it (they reconnected)."""
    starts: Counter[str] = Counter()
    completions: Counter[str] = Counter()
    log = workers.executions.read_bytes()
    after_restart = {
        int(line.split()[1]) for line in log[restarted_at:].decode().splitlines() if line.startswith("end")
    }
    assert survivors & after_restart, "no worker completed a sync after the database restarted"
    for line in log.decode().splitlines():
        event, _pid, *rest = line.split()
        if event == "start":
            starts[rest[0]] += 1
        elif event == "end" and rest[1] in ("succeeded", "partial"):
            completions[rest[0]] += 1
    ids = {str(run_id) for run_id in run_ids}
    print(
        f"executions: {sum(starts.values())} started, {sum(completions.values())} completed, "
        f"{sum(n - 1 for n in starts.values())} restarted, {len(ids - set(completions))} killed before logging",
        flush=True,
    )
    assert set(starts) == ids, "a run never started"
    assert not [run for run, n in completions.items() if n > 1], "a run completed by two executions"
    # A kill between a run's commit and its log line leaves it completed without a line: at most one per kill.
    unlogged = len(ids - set(completions))
    assert unlogged <= KILLS, f"{unlogged} runs completed by no execution"
    # A run is started again only after its worker died, or after the restart cut it short: at most the
    # runs then in flight.
    assert sum(n - 1 for n in starts.values()) <= (KILLS + WORKERS) * CONCURRENCY
