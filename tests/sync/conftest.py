"""Fixtures of the sync tests: the app's sync objects over the test database, plus the flaky connectors."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient
from sqlmodel import select

from api.accounts.models import SocialAccount
from api.app import create_app
from api.billing.backend import LocalBackend
from api.billing.usage_reporting import UsageReporter
from api.clients.models import Client
from api.content.models import StoredMention, StoredPost
from api.metrics.models import StoredMetricPoint
from api.reports.generation import ReportGenerator
from api.sync.engine import SyncEngine
from api.sync.models import SyncRun
from api.sync.worker import SyncWorker
from api.tasks.background import BackgroundWork
from api.tasks.engines import task_engine_factory
from api.webhooks.delivery import WebhookWorker
from api.webhooks.urls import AddressPolicy
from plugins.registry import Registry, load_registry
from tenants.audit import SYSTEM
from tenants.credentials import CredentialVault
from tenants.database import Database
from tenants.signup import create_tenant
from tests.conftest import TestDatabase, make_settings
from tests.plugins_fixtures import flaky_connectors

SECRET = "sync-test-secret-" + "y" * 32


@dataclass(frozen=True)
class Owner:
    """A tenant and one of its clients."""

    tenant_id: uuid.UUID
    client_id: uuid.UUID


@dataclass
class SyncHarness:
    """Builds tenants, accounts and runs straight in the database, and engines and workers over it."""

    database: Database
    registry: Registry
    vault: CredentialVault
    test_database: TestDatabase

    def engine(self, database: Database | None = None, **options: Any) -> SyncEngine:
        options.setdefault("timeout_seconds", 30)
        return SyncEngine(database or self.database, self.registry, self.vault, **options)

    def worker(self, engine: SyncEngine | None = None, **options: Any) -> SyncWorker:
        """A worker over the engine's database; it does not schedule unless told to."""
        engine = engine or self.engine()
        options.setdefault("schedule", False)
        return SyncWorker(engine.database, engine, **options)

    def background(self, worker: SyncWorker, **options: Any) -> BackgroundWork:
        """The service's jobs over `worker`, on the engine the service would pick for this database
        (procrastinate on PostgreSQL, in-process on SQLite)."""
        options.setdefault("schedule_syncs", worker.schedule)
        options.setdefault("dispatch_seconds", 1)
        return BackgroundWork(
            self.database,
            worker,
            WebhookWorker(self.database, self.vault, AddressPolicy(https_only=False, allow_private=True)),
            UsageReporter(self.database, LocalBackend()),
            ReportGenerator(self.database),
            task_engine_factory(make_settings(self.test_database)),
            **options,
        )

    async def owner(self, name: str | None = None) -> Owner:
        name = name or f"Agency {uuid.uuid4().hex[:6]}"
        tenant, _key, _secret = await create_tenant(
            self.database, agency_name=name, email=f"owner@{uuid.uuid4().hex[:6]}.example", actor=SYSTEM
        )
        async with self.database.tenant_session(tenant.id) as session:
            client = Client(tenant_id=tenant.id, name=f"Client of {name}")
            session.add(client)
        return Owner(tenant_id=tenant.id, client_id=client.id)

    async def account(
        self,
        owner: Owner,
        network: str,
        handle: str,
        *,
        settings: dict[str, Any] | None = None,
        credentials: dict[str, Any] | None = None,
        **fields: Any,
    ) -> uuid.UUID:
        async with self.database.tenant_session(owner.tenant_id) as session:
            account = SocialAccount(
                tenant_id=owner.tenant_id,
                client_id=owner.client_id,
                network=network,
                handle=handle,
                sync_settings=settings or {},
                credentials_encrypted=self.vault.encrypt(credentials) if credentials else None,
                **fields,
            )
            session.add(account)
        return account.id

    async def queue(
        self, owner: Owner, account_id: uuid.UUID, since: date | None = None, until: date | None = None, **fields: Any
    ) -> uuid.UUID:
        async with self.database.tenant_session(owner.tenant_id) as session:
            run = SyncRun(
                tenant_id=owner.tenant_id, account_id=account_id, window_since=since, window_until=until, **fields
            )
            session.add(run)
        return run.id

    async def claim_and_run(self, owner: Owner, run_id: uuid.UUID, engine: SyncEngine | None = None) -> SyncRun:
        """Claim the run as a worker would, execute it, and return it as stored."""
        worker = self.worker(engine)
        assert await worker._claim(owner.tenant_id, run_id)
        await worker.engine.execute(owner.tenant_id, run_id)
        return await self.run(owner, run_id)

    async def sync(
        self, owner: Owner, account_id: uuid.UUID, since: date | None = None, until: date | None = None
    ) -> SyncRun:
        """Queue a run of the account and run it to the end."""
        return await self.claim_and_run(owner, await self.queue(owner, account_id, since, until))

    async def run(self, owner: Owner, run_id: uuid.UUID) -> SyncRun:
        async with self.database.tenant_session(owner.tenant_id) as session:
            run = await session.get(SyncRun, (owner.tenant_id, run_id))
            assert run is not None
            return run

    async def runs(self, owner: Owner) -> list[SyncRun]:
        async with self.database.tenant_session(owner.tenant_id) as session:
            return list((await session.scalars(select(SyncRun).order_by(SyncRun.id))).all())  # type: ignore[arg-type]

    async def get_account(self, owner: Owner, account_id: uuid.UUID) -> SocialAccount:
        async with self.database.tenant_session(owner.tenant_id) as session:
            account = await session.get(SocialAccount, (owner.tenant_id, account_id))
            assert account is not None
            return account

    async def update_account(self, owner: Owner, account_id: uuid.UUID, **values: Any) -> None:
        async with self.database.tenant_session(owner.tenant_id) as session:
            account = await session.get(SocialAccount, (owner.tenant_id, account_id))
            assert account is not None
            for name, value in values.items():
                setattr(account, name, value)

    async def metric_points(self, owner: Owner, account_id: uuid.UUID) -> dict[tuple[str, date], StoredMetricPoint]:
        async with self.database.tenant_session(owner.tenant_id) as session:
            rows = await session.scalars(select(StoredMetricPoint).where(StoredMetricPoint.account_id == account_id))
            return {(row.metric, row.day): row for row in rows}

    async def posts(self, owner: Owner, account_id: uuid.UUID) -> dict[str, StoredPost]:
        async with self.database.tenant_session(owner.tenant_id) as session:
            rows = await session.scalars(select(StoredPost).where(StoredPost.account_id == account_id))
            return {row.external_id: row for row in rows}

    async def mentions(self, owner: Owner, account_id: uuid.UUID) -> dict[str, StoredMention]:
        async with self.database.tenant_session(owner.tenant_id) as session:
            rows = await session.scalars(select(StoredMention).where(StoredMention.account_id == account_id))
            return {row.external_id: row for row in rows}


def flaky_registry() -> Registry:
    """The installed plugins (the demo connector) plus the flaky connectors of the test fixtures."""
    registry = load_registry(extra_plugins=[flaky_connectors])
    missing = {connector.id for connector in flaky_connectors.CONNECTORS} - set(registry.connectors)
    assert not missing, f"flaky connectors not registered: {missing}; problems: {registry.problems}"
    assert "demo" in registry.connectors
    return registry


@pytest.fixture(autouse=True)
def _reset_flaky_state() -> Iterator[None]:
    flaky_connectors.reset()
    yield
    flaky_connectors.reset()


@pytest.fixture
async def harness(database: TestDatabase) -> AsyncIterator[SyncHarness]:
    db = Database(database.url)
    try:
        yield SyncHarness(
            database=db, registry=flaky_registry(), vault=CredentialVault([SECRET]), test_database=database
        )
    finally:
        await db.dispose()


@pytest.fixture
def flaky_client(database: TestDatabase) -> Iterator[TestClient[Litestar]]:
    """An API client whose app also knows the flaky connectors."""
    app = create_app(make_settings(database), registry=flaky_registry())
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client
