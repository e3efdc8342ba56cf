"""The PostgreSQL fast path of `api.sync.store.upsert_metric_points` (COPY into a staging table, then
INSERT ... SELECT) stores exactly what the row-by-row upsert stores, rewrites no unchanged row and
stays inside the tenant. The threshold is lowered so a handful of rows take it; on SQLite the same
test runs the row-by-row path, which is what it is compared with."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError, StatementError

import api.models  # noqa: F401  - every table in the metadata
from api.accounts.models import SocialAccount
from api.clients.models import Client
from api.sync import store
from tenants.audit import Actor
from tenants.database import Database
from tenants.signup import create_tenant

if TYPE_CHECKING:
    from tests.conftest import TestDatabase

T1 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
T2 = datetime(2026, 1, 2, 12, 0, tzinfo=UTC)
RUN1, RUN2 = uuid.uuid4(), uuid.uuid4()
DAY = date(2025, 6, 1)


@pytest.fixture
async def db(database: TestDatabase) -> AsyncIterator[Database]:
    db = Database(database.url, pool_size=2)
    yield db
    await db.dispose()


async def _account(db: Database, name: str) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A new tenant with one client and two accounts: (tenant_id, [account ids])."""
    tenant, _key, _secret = await create_tenant(
        db, agency_name=name, email=f"o@{name}.example", actor=Actor(label="test")
    )
    async with db.tenant_session(tenant.id) as session:
        client = Client(name=f"{name} client")
        session.add(client)
        await session.flush()
        accounts = [SocialAccount(client_id=client.id, network="demo", handle=f"@{name}{i}") for i in range(2)]
        session.add_all(accounts)
        await session.flush()
        return tenant.id, [account.id for account in accounts]


def _row(tenant: uuid.UUID, account: uuid.UUID, metric: str, day: int, value: float, **extra: Any) -> dict[str, Any]:
    row = {
        "tenant_id": tenant,
        "account_id": account,
        "metric": metric,
        "day": DAY + timedelta(days=day),
        "value": value,
        "native_metric": f"native_{metric}",
        "quality": "exact",
        "fetched_at": T1,
        "sync_run_id": RUN1,
    }
    row.update(extra)
    return row


def _first_batch(tenant: uuid.UUID, account: uuid.UUID) -> list[dict[str, Any]]:
    rows = [_row(tenant, account, metric, day, float(day)) for metric in ("reach", "followers") for day in range(4)]
    # A key twice in one batch: the last one wins (and the fast path must fall back to the upsert).
    rows.append(_row(tenant, account, "reach", 0, 99.0))
    return rows


def _second_batch(tenant: uuid.UUID, account: uuid.UUID) -> list[dict[str, Any]]:
    later = {"fetched_at": T2, "sync_run_id": RUN2}
    return [
        _row(tenant, account, "reach", 0, 99.0, **later),  # unchanged content: must not be rewritten
        _row(tenant, account, "reach", 1, 1.0, **later),  # unchanged
        _row(tenant, account, "reach", 2, 20.0, **later),  # new value
        _row(tenant, account, "reach", 3, 3.0, quality="estimated", **later),  # new quality
        _row(tenant, account, "followers", 0, 0.0, native_metric="page_fans_v2", **later),  # new native metric
        _row(tenant, account, "followers", 9, 9.0, **later),  # a new day
    ]


async def _stored(
    db: Database, tenant: uuid.UUID, account: uuid.UUID, *, filter_tenant: bool = True
) -> list[tuple[Any, ...]]:
    """The account's points as `tenant`'s session reads them (a Core query: no ORM tenant filter)."""
    table = store.METRIC_TABLE
    statement = select(
        table.c.metric,
        table.c.day,
        table.c.value,
        table.c.native_metric,
        table.c.quality,
        table.c.fetched_at,
        table.c.sync_run_id,
    ).where(table.c.account_id == account)
    if filter_tenant:
        statement = statement.where(table.c.tenant_id == tenant)
    async with db.tenant_session(tenant) as session:
        result = await session.execute(statement.order_by(table.c.metric, table.c.day))
        return [tuple(row) for row in result.all()]


async def test_fast_path_stores_what_the_row_by_row_upsert_stores(
    db: Database, database: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    tenant, (fast_account, plain_account) = await _account(db, "fastpath")
    copies = 0
    copy_upsert = store._copy_upsert_metric_points

    async def counted(session: Any, rows: list[dict[str, Any]]) -> None:
        nonlocal copies
        copies += 1
        await copy_upsert(session, rows)

    monkeypatch.setattr(store, "_copy_upsert_metric_points", counted)

    for batch in (_first_batch, _second_batch):
        monkeypatch.setattr(store, "FAST_PATH_MIN_ROWS", 1)
        async with db.tenant_session(tenant) as session:
            await store.upsert_metric_points(session, batch(tenant, fast_account))
        monkeypatch.setattr(store, "FAST_PATH_MIN_ROWS", 10**9)
        async with db.tenant_session(tenant) as session:
            await store.upsert_metric_points(session, batch(tenant, plain_account))

    assert copies == (2 if database.backend == "postgres" else 0)
    fast, plain = await _stored(db, tenant, fast_account), await _stored(db, tenant, plain_account)
    assert fast == plain
    by_key = {(row[0], row[1]): row for row in fast}
    assert len(fast) == 9
    # The duplicate key: the last row of the batch won, and re-sending it unchanged rewrote nothing.
    assert by_key[("reach", DAY)][2:] == (99.0, "native_reach", "exact", T1, RUN1)
    assert by_key[("reach", DAY + timedelta(days=1))][5:] == (T1, RUN1)
    # Changed content is rewritten with the new provenance.
    assert by_key[("reach", DAY + timedelta(days=2))][2:] == (20.0, "native_reach", "exact", T2, RUN2)
    assert by_key[("reach", DAY + timedelta(days=3))][4:] == ("estimated", T2, RUN2)
    assert by_key[("followers", DAY)][3:] == ("page_fans_v2", "exact", T2, RUN2)
    assert by_key[("followers", DAY + timedelta(days=9))][5:] == (T2, RUN2)
    # Untouched rows of the first batch are as they were.
    assert by_key[("followers", DAY + timedelta(days=1))][5:] == (T1, RUN1)


async def test_fast_path_twice_in_one_transaction(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "FAST_PATH_MIN_ROWS", 1)
    tenant, (account, _other) = await _account(db, "twice")
    rows = _first_batch(tenant, account)
    async with db.tenant_session(tenant) as session:
        await store.upsert_metric_points(session, rows[:4])
        await store.upsert_metric_points(session, rows[4:])
    assert len(await _stored(db, tenant, account)) == 8


async def test_fast_path_refuses_naive_timestamps(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(store, "FAST_PATH_MIN_ROWS", 1)
    tenant, (account, _other) = await _account(db, "naive")
    rows = [_row(tenant, account, "reach", 0, 1.0, fetched_at=datetime(2026, 1, 1, 12, 0))]
    with pytest.raises((ValueError, StatementError)):
        async with db.tenant_session(tenant) as session:
            await store.upsert_metric_points(session, rows)
    assert await _stored(db, tenant, account) == []


async def test_fast_path_stays_inside_the_tenant(
    db: Database, database: TestDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "FAST_PATH_MIN_ROWS", 1)
    alpha, (alpha_account, _a) = await _account(db, "alpha")
    beta, (beta_account, _b) = await _account(db, "beta")
    async with db.tenant_session(alpha) as session:
        await store.upsert_metric_points(session, _first_batch(alpha, alpha_account))
    # Beta's own rows on the same metrics and days are its own: Alpha's rows neither block nor change.
    async with db.tenant_session(beta) as session:
        await store.upsert_metric_points(session, _second_batch(beta, beta_account))
    assert len(await _stored(db, beta, beta_account)) == 6
    assert len(await _stored(db, alpha, alpha_account)) == 8
    if database.backend == "postgres":
        # Row-level security: Beta's session cannot see Alpha's rows, even unfiltered.
        assert await _stored(db, beta, alpha_account, filter_tenant=False) == []
        # Writing rows stamped with another tenant is refused by the row-level security policy.
        with pytest.raises(DBAPIError, match="row-level security"):
            async with db.tenant_session(beta) as session:
                await store.upsert_metric_points(session, _second_batch(alpha, alpha_account))
        stored = await _stored(db, alpha, alpha_account)
        assert [row[5:] for row in stored] == [(T1, RUN1)] * 8


async def test_a_role_without_the_temporary_privilege_keeps_the_row_by_row_upsert(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "FAST_PATH_MIN_ROWS", 1)
    url = db.engine.url.render_as_string(hide_password=True)
    monkeypatch.setattr(store, "_may_create_temporary_tables", {url: False})

    async def refused(_session: Any, _rows: list[dict[str, Any]]) -> None:
        raise AssertionError("the fast path needs CREATE TEMPORARY TABLE")

    monkeypatch.setattr(store, "_copy_upsert_metric_points", refused)
    tenant, (account, _other) = await _account(db, "notemp")
    async with db.tenant_session(tenant) as session:
        await store.upsert_metric_points(session, _first_batch(tenant, account))
    assert len(await _stored(db, tenant, account)) == 8
