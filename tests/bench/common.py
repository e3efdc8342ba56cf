"""What every benchmark shares: its own PostgreSQL database, the app login role, seeding, servers, output.

Each benchmark creates a database of its own (`resonance_bench_<name>`), migrates it with
`tenants.migrate.upgrade` as the superuser (the owner of the tables), and connects the application
through a non-owner login role that is a member of `resonance_app`, exactly as tests/conftest.py
does, so row-level security applies to everything the application does.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
ADMIN_URL_ENV = "RESONANCE_BENCH_POSTGRES_URL"
DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1/postgres"
APP_LOGIN_ROLE = "resonance_bench_app"
SECRET_KEY = "bench-secret-key-" + "b" * 40
PROFILE_ENV = "RESONANCE_BENCH_PROFILE"
"""A folder: when set, each side run by `run_side` runs under `py-spy record` (collapsed stacks, for speedscope
or flamegraph)."""

METRICS: tuple[str, ...] = (
    "followers",
    "impressions",
    "reach",
    "engagements",
    "reactions",
    "comments",
    "shares",
    "saves",
    "clicks",
    "video_views",
)
"""The ten canonical metrics the read benchmarks ask for."""
FIRST_DAY = "2025-07-01"
"""The first day of the points the read benchmark seeds (730 days of them)."""


def say(message: str) -> None:
    """Print a progress line at once (the benchmarks run for minutes)."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def admin_url() -> str:
    """The superuser URL: RESONANCE_BENCH_POSTGRES_URL, else RESONANCE_TEST_POSTGRES_URL, else local trust."""
    return os.environ.get(ADMIN_URL_ENV) or os.environ.get("RESONANCE_TEST_POSTGRES_URL") or DEFAULT_ADMIN_URL


def libpq_url(url: str) -> str:
    """A URL psycopg understands (no SQLAlchemy driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass(frozen=True)
class BenchDatabase:
    """A migrated database: `owner_url` owns the tables (superuser), `app_url` is the RLS-bound app role."""

    name: str
    owner_url: str
    app_url: str

    def owner(self, *, autocommit: bool = True) -> psycopg.Connection[Any]:
        """A psycopg connection as the owner (superuser: bypasses row-level security)."""
        return psycopg.connect(libpq_url(self.owner_url), autocommit=autocommit)

    def app(self, *, autocommit: bool = False) -> psycopg.Connection[Any]:
        """A psycopg connection as the application role (row-level security applies)."""
        return psycopg.connect(libpq_url(self.app_url), autocommit=autocommit)

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        """Run one statement as the owner and return its rows (if any)."""
        with self.owner() as connection, connection.cursor() as cursor:
            cursor.execute(sql, params)  # type: ignore[arg-type]
            return cursor.fetchall() if cursor.description else []


def create_database(name: str) -> BenchDatabase:
    """Drop and re-create `name`, migrate it as the owner, and make sure the app login role exists."""
    admin = make_url(admin_url())
    say(f"creating database {name} on {admin.host}:{admin.port or 5432} and migrating it as {admin.username}")
    with psycopg.connect(libpq_url(admin.render_as_string(hide_password=False)), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    owner_url = admin.set(database=name).render_as_string(hide_password=False)

    from tenants.migrate import upgrade

    upgrade(owner_url)
    database = BenchDatabase(
        name=name,
        owner_url=owner_url,
        app_url=make_url(owner_url).set(username=APP_LOGIN_ROLE, password=None).render_as_string(hide_password=False),
    )
    with database.owner() as connection:
        exists = connection.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (APP_LOGIN_ROLE,)).fetchone()
        if not exists:
            connection.execute(f"CREATE ROLE {APP_LOGIN_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS")
        connection.execute(f"GRANT resonance_app TO {APP_LOGIN_ROLE}")
    return database


def drop_database(database: BenchDatabase) -> None:
    """Drop the benchmark's database (the login role stays, like the test suite's)."""
    say(f"dropping database {database.name}")
    with psycopg.connect(libpq_url(admin_url()), autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{database.name}" WITH (FORCE)')


@dataclass(frozen=True)
class Seeded:
    """A tenant with an API key, one client and one account."""

    tenant_id: uuid.UUID
    api_key: str
    client_id: uuid.UUID
    account_id: uuid.UUID


async def seed_tenant(app_url: str, *, agency: str, network: str = "demo", handle: str = "@bench") -> Seeded:
    """A tenant, its owner key, a client and an account, created the way the service creates them."""
    import api.models  # noqa: F401  - every table in the metadata, as in the service
    from api.accounts.models import SocialAccount
    from api.clients.models import Client
    from tenants.audit import Actor
    from tenants.database import Database
    from tenants.signup import create_tenant

    database = Database(app_url, pool_size=2)
    try:
        tenant, _key, secret = await create_tenant(
            database, agency_name=agency, email="owner@bench.example", actor=Actor(label="bench")
        )
        async with database.tenant_session(tenant.id) as session:
            client = Client(name=f"{agency} client")
            session.add(client)
            await session.flush()
            account = SocialAccount(client_id=client.id, network=network, handle=handle)
            session.add(account)
            await session.flush()
            ids = (client.id, account.id)
    finally:
        await database.dispose()
    return Seeded(tenant_id=tenant.id, api_key=secret, client_id=ids[0], account_id=ids[1])


def run_side(module: str, kind: str, options: dict[str, Any]) -> dict[str, Any]:
    """Run `python -m module kind options-as-JSON` in a fresh interpreter (so that its peak RSS is its own) and
    return the JSON object it prints last; under `py-spy record` when `PROFILE_ENV` names a folder."""
    command = [PYTHON, "-m", module, kind, json.dumps(options)]
    profile_dir = os.environ.get(PROFILE_ENV)
    if profile_dir:
        path = os.path.join(profile_dir, f"{module.rsplit('.', 1)[-1]}-{kind}-{time.strftime('%H%M%S')}.txt")
        say(f"  (profiling with py-spy into {path})")
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        command = [py_spy, "record", "--idle", "--rate", "250", "--format", "raw", "-o", path, "--", *command]
    output = subprocess.run(command, cwd=ROOT, check=False, capture_output=True, text=True)
    if output.returncode != 0:
        raise RuntimeError(f"the {kind} side failed:\n{output.stderr[-4000:]}")
    result = [line for line in output.stdout.splitlines() if line.startswith("{")]  # py-spy prints too
    return dict(json.loads(result[-1]))


async def new_sync_run(app_url: str, tenant_id: uuid.UUID, account_id: uuid.UUID, since: date, days: int) -> uuid.UUID:
    """A running sync run of the account over `days` days from `since`, as a worker holds it once claimed."""
    from api.sync.models import SyncRun
    from tenants.database import Database
    from tenants.ids import utcnow

    database = Database(app_url, pool_size=1)
    try:
        async with database.tenant_session(tenant_id) as session:
            run = SyncRun(
                account_id=account_id,
                status="running",
                trigger="api",
                window_since=since,
                window_until=since + timedelta(days=days - 1),
                started_at=utcnow(),
            )
            session.add(run)
            await session.flush()
            return run.id
    finally:
        await database.dispose()


def insert_points(
    database: BenchDatabase, tenant_id: uuid.UUID, account_id: uuid.UUID, *, first_day: str, days: int
) -> int:
    """Bulk insert (as the owner) one point per metric of `METRICS` and day, from `first_day` on."""
    with database.owner() as connection:
        cursor = connection.execute(
            """
            INSERT INTO metric_points
                (tenant_id, account_id, metric, day, value, native_metric, quality, fetched_at, sync_run_id)
            SELECT %(tenant)s, %(account)s, m.metric, %(first)s::date + d,
                   ((d * 37 + m.n * 101) %% 10007)::float8, 'bench_' || m.metric, 'exact', now(), NULL
            FROM unnest(%(metrics)s::text[]) WITH ORDINALITY AS m(metric, n), generate_series(0, %(last)s) AS d
            """,
            {
                "tenant": tenant_id,
                "account": account_id,
                "first": first_day,
                "last": days - 1,
                "metrics": list(METRICS),
            },
        )
        return cursor.rowcount


def vacuum_analyze(database: BenchDatabase, table: str = "metric_points") -> None:
    """VACUUM ANALYZE so that neither planner statistics nor autovacuum differ between measurements."""
    say(f"VACUUM ANALYZE {table}")
    database.execute(f"VACUUM (ANALYZE) {table}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


UVICORN_OPTIONS = (
    "--workers",
    "1",
    "--no-access-log",
    "--log-level",
    "warning",
    "--loop",
    "uvloop",
    "--http",
    "httptools",
    "--backlog",
    "2048",
)
"""The one uvicorn configuration both servers of a comparison run with."""


def pinned(command: list[str], cpu: int | None) -> list[str]:
    """`command` bound to one CPU with `taskset` (when asked and available), so that a server and its load
    generator stop trading cores with each other, which moves a throughput figure by tens of percent."""
    taskset = shutil.which("taskset")
    if cpu is None or taskset is None or (os.cpu_count() or 1) < 2:
        return command
    return [taskset, "-c", str(cpu), *command]


@dataclass(frozen=True)
class Served:
    """A server started by `uvicorn_process`: its base URL and its process id."""

    base: str
    pid: int


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from `/proc/<pid>/stat` (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def uvicorn_process(factory: str, env: dict[str, str], *, label: str, cpu: int | None = None) -> Iterator[Served]:
    """Run `uvicorn --factory <factory>` in its own process (on `cpu` when given: `taskset` execs it, so the pid is
    uvicorn's); yields its URL and pid, stops it afterwards."""
    port = free_port()
    command = [PYTHON, "-m", "uvicorn", "--factory", factory, "--host", "127.0.0.1", "--port", str(port)]
    command += list(UVICORN_OPTIONS)
    where = "" if cpu is None else f", CPU {cpu}"
    say(f"starting {label}: uvicorn --factory {factory} {' '.join(UVICORN_OPTIONS)} (port {port}{where})")
    process = subprocess.Popen(pinned(command, cpu), cwd=ROOT, env={**os.environ, **env})
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"{label} exited with status {process.returncode} before answering")
            try:
                httpx.get(f"{base}/health", timeout=1.0)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{label} did not answer within 60 s") from None
                time.sleep(0.2)
        yield Served(base, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def uvicorn_server(factory: str, env: dict[str, str], *, label: str, cpu: int | None = None) -> Iterator[str]:
    """`uvicorn_process`, yielding only its base URL."""
    with uvicorn_process(factory, env, label=label, cpu=cpu) as served:
        yield served.base


BENCH_PLANS = '{"bench": {"name": "Bench", "quotas": {"api_requests_per_minute": 1000000000}}}'
"""One plan allowing a billion requests a minute, so that the rate limiter never refuses a benchmark request."""


def resonance_env(database: BenchDatabase) -> dict[str, str]:
    """The production configuration of a Resonance API process on the benchmark database."""
    return {
        "RESONANCE_ENV": "production",
        "RESONANCE_DATABASE_URL": database.app_url,
        "RESONANCE_SECRET_KEY": SECRET_KEY,
        "RESONANCE_SCHEDULER": "false",
        "RESONANCE_LOG_LEVEL": "WARNING",
        # Billing on, as in production, with a plan whose request limit is far above what a benchmark sends:
        # the figures measure checking and counting every request, never refusals.
        "RESONANCE_BILLING": "true",
        "RESONANCE_PLANS": BENCH_PLANS,
        "RESONANCE_DEFAULT_PLAN": "bench",
    }


def metrics_path(account_id: uuid.UUID, *, date_from: str, date_to: str) -> str:
    """The benchmarked request: one account, ten metrics, a window of days."""
    metrics = "&".join(f"metric={metric}" for metric in METRICS)
    return f"/v1/metrics?account_id={account_id}&{metrics}&from={date_from}&to={date_to}"


def machine_note() -> str:
    """Cores and load average, printed so a noisy run can be recognised."""
    load = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


@dataclass
class Outcome:
    """One line of the final summary."""

    benchmark: str
    figure: str
    value: str
    target: str
    passed: bool | None

    @property
    def verdict(self) -> str:
        return "info" if self.passed is None else ("PASS" if self.passed else "FAIL")


def summary(outcomes: Sequence[Outcome]) -> str:
    """The final table: figure, measured value, target, PASS/FAIL."""
    headers = ("benchmark", "figure", "measured", "target", "result")
    rows = [(o.benchmark, o.figure, o.value, o.target, o.verdict) for o in outcomes]
    widths = [max(len(str(row[i])) for row in (headers, *rows)) for i in range(len(headers))]
    line = "+".join("-" * (w + 2) for w in widths)
    out = [" | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)), line]
    out += [" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(out)
