"""Engines and sessions: one code path for SQLite (embedded) and PostgreSQL (scaled, row-level security).

Every session that touches tenant data is opened with `Database.tenant_session(tenant_id)`: the
ORM then filters every query by that tenant (see `tenants.scoping`) and, on PostgreSQL, the tenant
is set for each transaction with `set_config('app.tenant_id', …, true)` so the row-level security
policies enforce it a second time.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine, create_engine
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine
from sqlalchemy.orm import Session, SessionTransaction

from tenants import scoping

TENANT_INFO_KEY = "tenant_id"


def driver_url(url: str, *, asynchronous: bool) -> str:
    """Turn `sqlite:///path` or `postgresql://user@host/db` into a URL naming the driver we use."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise ValueError(f"database URL {url!r} has no scheme; use sqlite:///path or postgresql://user@host/db")
    base = scheme.split("+", 1)[0]
    if base == "sqlite":
        return f"sqlite+aiosqlite://{rest}" if asynchronous else f"sqlite://{rest}"
    if base in {"postgresql", "postgres"}:
        return f"postgresql+psycopg://{rest}"
    raise ValueError(f"unsupported database {base!r}; use sqlite:///path or postgresql://user@host/db")


def is_postgres_url(url: str) -> bool:
    """True when the URL points at PostgreSQL."""
    return url.split(":", 1)[0].split("+", 1)[0] in {"postgresql", "postgres"}


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.close()


def sync_engine(url: str, **kwargs: Any) -> Engine:
    """A synchronous engine (migrations, CLI helpers)."""
    engine = create_engine(driver_url(url, asynchronous=False), **kwargs)
    if not is_postgres_url(url):
        event.listen(engine, "connect", _tune_sqlite)
    return engine


class Database:
    """The application's connection to its database."""

    def __init__(self, url: str, *, pool_size: int = 10, echo: bool = False) -> None:
        self.url = url
        self.is_postgres = is_postgres_url(url)
        options: dict[str, Any] = {"echo": echo}
        if self.is_postgres:
            options.update(pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(driver_url(url, asynchronous=True), **options)
        if not self.is_postgres:
            event.listen(self.engine.sync_engine, "connect", _tune_sqlite)
        self._sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)

    @asynccontextmanager
    async def tenant_session(self, tenant_id: uuid.UUID) -> AsyncIterator[AsyncSession]:
        """A session, in one transaction, that can only see and write `tenant_id`'s rows."""
        async with self._sessions() as session:
            session.info[TENANT_INFO_KEY] = tenant_id
            async with session.begin():
                yield session

    @asynccontextmanager
    async def system_session(self) -> AsyncIterator[AsyncSession]:
        """A session with no tenant: on PostgreSQL it sees no tenant rows, only system functions."""
        async with self._sessions() as session, session.begin():
            yield session

    async def ping(self) -> None:
        """Raise when the database cannot answer a trivial query."""
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        """Close every pooled connection."""
        await self.engine.dispose()


@event.listens_for(Session, "after_begin")
def _set_tenant_for_transaction(session: Session, _transaction: SessionTransaction, connection: Connection) -> None:
    tenant_id = session.info.get(TENANT_INFO_KEY)
    if tenant_id is not None and connection.dialect.name == "postgresql":
        connection.execute(text("SELECT set_config('app.tenant_id', :tenant, true)"), {"tenant": str(tenant_id)})


scoping.install(TENANT_INFO_KEY)
