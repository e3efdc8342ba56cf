"""Shared fixtures: a migrated database per test on SQLite, and on PostgreSQL when configured.

Set RESONANCE_TEST_POSTGRES_URL (a superuser URL, e.g. postgresql://postgres@127.0.0.1/postgres) to run
every database test a second time on PostgreSQL, connected as a non-owner role so that row-level
security is enforced exactly as in production.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from api.app import create_app
from tenants.migrate import upgrade
from tenants.settings import Settings

POSTGRES_ENV = "RESONANCE_TEST_POSTGRES_URL"
REDIS_ENV = "RESONANCE_TEST_REDIS_URL"
DEFAULT_TEST_REDIS_URL = "redis://127.0.0.1:6379/15"
APP_LOGIN_ROLE = "resonance_test_app"
ROLE_SETUP_LOCK = 0x7265736F  # "reso": the advisory lock key of the test databases' set-up

BACKENDS = ["sqlite"] + (["postgres"] if os.environ.get(POSTGRES_ENV) else [])


def _database_name() -> str:
    """Unique per test run and worker, so two runs on one machine never share a database."""
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", uuid.uuid4().hex)[:10]
    return f"resonance_test_{run}_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


@dataclass
class TestDatabase:
    """A migrated database: `url` is what the service uses, `owner_url` what migrations use."""

    __test__ = False  # a fixture value, not a test class

    backend: str
    url: str
    owner_url: str
    reset: Callable[[], None] = field(repr=False)
    drop: Callable[[], None] = field(repr=False, default=lambda: None)


def _postgres_database(tmp_root: Path) -> TestDatabase:
    admin_url = make_url(os.environ[POSTGRES_ENV])
    name = _database_name()
    admin = create_engine(admin_url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    owner_url = admin_url.set(database=name).render_as_string(hide_password=False)
    owner = create_engine(make_url(owner_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    # Roles belong to the whole server, not to a database: the app role the migrations create and the login role
    # below are created or granted by every worker of every run on this server, so that part is done under one
    # server-wide lock (an advisory lock taken in the admin database, which every run connects to), lest two
    # workers both find a role missing and both create it.
    with admin.connect() as serial:
        serial.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ROLE_SETUP_LOCK})
        serial.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        serial.execute(text(f'CREATE DATABASE "{name}"'))
        upgrade(owner_url)
        with owner.connect() as connection:
            exists = connection.execute(
                text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": APP_LOGIN_ROLE}
            ).first()
            if not exists:
                connection.execute(text(f"CREATE ROLE {APP_LOGIN_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS"))
            connection.execute(text(f"GRANT resonance_app TO {APP_LOGIN_ROLE}"))
        serial.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ROLE_SETUP_LOCK})
    with owner.connect() as connection:
        tables = [
            row[0]
            for row in connection.execute(
                text("SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'")
            )
        ]

    def reset() -> None:
        with owner.connect() as connection:
            connection.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))

    app_url = make_url(owner_url).set(username=APP_LOGIN_ROLE, password=None).render_as_string(hide_password=False)

    def drop() -> None:
        owner.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return TestDatabase(backend="postgres", url=app_url, owner_url=owner_url, reset=reset, drop=drop)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An SQLite file migrated to head once per session; each test gets a copy."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    """One PostgreSQL database per test worker, migrated to head once, dropped at the end."""
    postgres = _postgres_database(tmp_path_factory.mktemp("pg"))
    yield postgres
    postgres.drop()


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[TestDatabase]:
    """An empty, migrated database for one test, on each configured backend."""
    if request.param == "sqlite":
        path = tmp_path / "resonance.db"
        shutil.copy(sqlite_template, path)
        url = f"sqlite:///{path}"
        yield TestDatabase(backend="sqlite", url=url, owner_url=url, reset=lambda: None)
        return
    postgres: TestDatabase = request.getfixturevalue("postgres_database")
    postgres.reset()
    yield postgres


def make_settings(database: TestDatabase, **overrides: Any) -> Settings:
    """Settings for a test app: no background scheduler, the test database."""
    values: dict[str, Any] = {
        "environment": "test",
        "database_url": database.url,
        "scheduler_enabled": False,
        "metrics_port": 0,  # no metrics endpoint: tests never take the operator's port 9100
        "secret_key": "test-secret-key-" + "x" * 32,
        "sync_timeout_seconds": 30,
        # Suites build more clients, accounts and webhooks than the default starter plan allows; the quota
        # tests ask for a small plan themselves (default_plan="starter", or RESONANCE_PLANS-style plans_config).
        "default_plan": "scale",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def app(database: TestDatabase) -> Litestar:
    return create_app(make_settings(database))


@pytest.fixture
def client(app: Litestar) -> Iterator[TestClient[Litestar]]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass
class Agency:
    """A signed-up tenant as a test sees it."""

    tenant_id: str
    key: str
    key_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


def sign_up(client: TestClient[Litestar], name: str | None = None) -> Agency:
    """Sign an agency up through the API."""
    name = name or f"Agency {uuid.uuid4().hex[:6]}"
    response = client.post("/v1/signup", json={"agency_name": name, "email": f"owner@{name.split()[-1]}.example"})
    assert response.status_code == 201, response.text
    body = response.json()
    return Agency(tenant_id=body["tenant"]["id"], key=body["api_key"]["secret"], key_id=body["api_key"]["id"])


@pytest.fixture
def agency(client: TestClient[Litestar]) -> Agency:
    return sign_up(client, "Agency Alpha")


@pytest.fixture
def other_agency(client: TestClient[Litestar]) -> Agency:
    return sign_up(client, "Agency Beta")


def run_syncs(client: TestClient[Litestar]) -> int:
    """Run every queued sync to completion in the app's own worker; returns how many ran."""
    worker = client.app.state.services.sync_worker
    with client.portal() as portal:
        return int(portal.call(worker.run_pending, False))


@dataclass(frozen=True)
class TestRedis:
    """A Redis for one test: its URL and a key prefix no other test uses (its keys are deleted afterwards)."""

    __test__ = False

    url: str
    prefix: str


@pytest.fixture
def redis_server() -> Iterator[TestRedis]:
    """The Redis of RESONANCE_TEST_REDIS_URL (default redis://127.0.0.1:6379/15); fails, never skips, without it."""
    import redis

    url = os.environ.get(REDIS_ENV) or DEFAULT_TEST_REDIS_URL
    connection = redis.Redis.from_url(url)
    try:
        connection.ping()
    except redis.RedisError as error:
        pytest.fail(
            f"Redis does not answer at {url} ({type(error).__name__}): start it (`redis-server --daemonize yes`) "
            f"or set {REDIS_ENV} to a Redis these tests may write to."
        )
    prefix = f"resonance-test:{uuid.uuid4().hex}:"
    try:
        yield TestRedis(url=url, prefix=prefix)
    finally:
        keys = list(connection.scan_iter(match=prefix + "*", count=1000))
        if keys:
            connection.delete(*keys)
        connection.close()
