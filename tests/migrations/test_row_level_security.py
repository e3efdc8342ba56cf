"""PostgreSQL's row-level security: the second wall, checked with raw SQL as the service's own role.

Only PostgreSQL has it, so this module holds no test at all unless RESONANCE_TEST_POSTGRES_URL is
set (a skipped placeholder would read as if something were missing).
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

import api.models  # noqa: F401 - registers every table on the metadata
from api.accounts.models import SocialAccount
from api.clients.models import Client
from api.sync.models import SyncRun
from tenants import system
from tenants.audit import SYSTEM
from tenants.database import Database, sync_engine
from tenants.signup import create_tenant
from tests.conftest import BACKENDS, TestDatabase

POSTGRES_BACKENDS = [backend for backend in BACKENDS if backend == "postgres"]

__test__ = bool(POSTGRES_BACKENDS)  # pytest collects nothing from this module without PostgreSQL
pytestmark = pytest.mark.parametrize("database", POSTGRES_BACKENDS, indirect=True)

TENANT_TABLES_WITH_ROWS_AFTER_SIGNUP = ("api_keys", "audit_log", "members", "clients")


@dataclass
class Agency:
    tenant_id: uuid.UUID
    key_hash: str
    client_ids: list[uuid.UUID]


@dataclass
class Seeded:
    a: Agency
    b: Agency
    a_account_id: uuid.UUID
    a_run_id: uuid.UUID


@pytest.fixture
def app_engine(database: TestDatabase) -> Iterator[Engine]:
    """Raw connections as the service's login role, which row-level security binds."""
    engine = sync_engine(database.url)
    yield engine
    engine.dispose()


@pytest.fixture
def owner_engine(database: TestDatabase) -> Iterator[Engine]:
    """Raw connections as the owner of the tables (a superuser in the tests)."""
    engine = sync_engine(database.owner_url)
    yield engine
    engine.dispose()


async def _agency(db: Database, name: str, clients: list[str]) -> Agency:
    tenant, key, _secret = await create_tenant(
        db, agency_name=name, email=f"owner@{name.lower()}.example", actor=SYSTEM
    )
    rows = [Client(name=client) for client in clients]
    async with db.tenant_session(tenant.id) as session:
        session.add_all(rows)
    return Agency(tenant_id=tenant.id, key_hash=key.key_hash, client_ids=[row.id for row in rows])


@pytest.fixture
async def seeded(database: TestDatabase) -> AsyncIterator[Seeded]:
    """Agency A (two clients, one due account, one queued sync) and agency B (three clients)."""
    db = Database(database.url)
    try:
        a = await _agency(db, "Alpha", ["A one", "A two"])
        b = await _agency(db, "Beta", ["B one", "B two", "B three"])
        async with db.tenant_session(a.tenant_id) as session:
            account = SocialAccount(client_id=a.client_ids[0], network="demo", handle="alpha")
            session.add(account)
            await session.flush()
            run = SyncRun(account_id=account.id)
            session.add(run)
        yield Seeded(a=a, b=b, a_account_id=account.id, a_run_id=run.id)
    finally:
        await db.dispose()


def _set_tenant(connection: Connection, tenant_id: uuid.UUID) -> None:
    connection.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)})


def _insert_client(engine: Engine, *, name: str, owner: uuid.UUID, acting_as: uuid.UUID | None) -> None:
    """Insert a client row for `owner` with raw SQL, in a transaction whose tenant is `acting_as`."""
    with engine.begin() as connection:
        if acting_as is not None:
            _set_tenant(connection, acting_as)
        connection.execute(
            text(
                "INSERT INTO clients (tenant_id, id, name, currency, timezone, language, created_at, updated_at) "
                "VALUES (:tenant, :id, :name, 'EUR', 'UTC', 'en', now(), now())"
            ),
            {"tenant": str(owner), "id": str(uuid.uuid4()), "name": name},
        )


def _tenants_in(connection: Connection, table: str) -> list[uuid.UUID]:
    return list(connection.execute(text(f"SELECT tenant_id FROM {table}")).scalars())  # noqa: S608 - fixed names


# --- the catalogue ---------------------------------------------------------------------------------------


def test_every_table_with_a_tenant_id_forces_row_level_security_with_a_policy(owner_engine: Engine) -> None:
    with owner_engine.connect() as connection:
        rows = connection.execute(
            text(
                """
                SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,
                       (SELECT count(*) FROM pg_policies p
                        WHERE p.schemaname = n.nspname AND p.tablename = c.relname
                          AND p.qual LIKE '%app.tenant_id%' AND p.with_check LIKE '%app.tenant_id%')
                FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
                  AND EXISTS (SELECT 1 FROM pg_attribute a
                              WHERE a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
                ORDER BY c.relname
                """
            )
        ).all()

    unprotected = [row.relname for row in rows if not (row[1] and row[2] and row[3] >= 1)]
    assert unprotected == []
    tenant_owned = {table.name for table in SQLModel.metadata.tables.values() if "tenant_id" in table.columns}
    assert {row.relname for row in rows} == tenant_owned


def test_the_tenants_table_itself_is_protected_by_its_id(owner_engine: Engine) -> None:
    with owner_engine.connect() as connection:
        flags = connection.execute(
            text("SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = 'tenants'")
        ).one()
        policies = connection.execute(
            text("SELECT qual, with_check FROM pg_policies WHERE schemaname = 'public' AND tablename = 'tenants'")
        ).all()

    assert tuple(flags) == (True, True)
    assert len(policies) == 1
    assert "app.tenant_id" in policies[0].qual
    assert "app.tenant_id" in policies[0].with_check


def test_the_app_role_owns_no_table_and_cannot_bypass_row_level_security(app_engine: Engine) -> None:
    with app_engine.connect() as connection:
        owned = connection.execute(
            text(
                """
                SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
                  AND pg_has_role(current_user, c.relowner, 'MEMBER')
                """
            )
        ).all()
        role = connection.execute(
            text("SELECT rolname, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        ).one()

    assert owned == []
    assert role.rolname != "postgres"
    assert (role.rolsuper, role.rolbypassrls) == (False, False)


# --- reading ---------------------------------------------------------------------------------------------


def test_with_tenant_a_set_raw_sql_sees_only_a_rows(app_engine: Engine, owner_engine: Engine, seeded: Seeded) -> None:
    a, b = seeded.a.tenant_id, seeded.b.tenant_id
    with owner_engine.connect() as connection:
        assert sorted(set(_tenants_in(connection, "clients"))) == sorted([a, b])  # both tenants have rows

    with app_engine.begin() as connection:
        _set_tenant(connection, a)
        assert len(_tenants_in(connection, "clients")) == 2
        for table in TENANT_TABLES_WITH_ROWS_AFTER_SIGNUP:
            assert set(_tenants_in(connection, table)) == {a}, table
        assert list(connection.execute(text("SELECT id FROM tenants")).scalars()) == [a]
        hidden = connection.execute(text("SELECT count(*) FROM clients WHERE tenant_id = :b"), {"b": str(b)})
        assert hidden.scalar() == 0


def test_with_no_tenant_set_raw_sql_sees_no_tenant_rows(app_engine: Engine, seeded: Seeded) -> None:
    with app_engine.begin() as connection:
        for table in TENANT_TABLES_WITH_ROWS_AFTER_SIGNUP:
            assert _tenants_in(connection, table) == [], table
        assert connection.execute(text("SELECT count(*) FROM tenants")).scalar() == 0


def test_the_tenant_set_for_one_transaction_does_not_leak_into_the_next(app_engine: Engine, seeded: Seeded) -> None:
    """A pooled connection reused by the next request must not keep the previous tenant."""
    with app_engine.connect() as connection:
        with connection.begin():
            _set_tenant(connection, seeded.a.tenant_id)
            assert len(_tenants_in(connection, "clients")) == 2
        with connection.begin():
            assert connection.execute(text("SELECT current_setting('app.tenant_id', true)")).scalar() == ""
            assert _tenants_in(connection, "clients") == []


# --- writing ---------------------------------------------------------------------------------------------


def test_inserting_a_row_for_tenant_b_while_a_is_set_is_refused(
    app_engine: Engine, owner_engine: Engine, seeded: Seeded
) -> None:
    with pytest.raises(DBAPIError, match="row-level security"):
        _insert_client(app_engine, name="Smuggled", owner=seeded.b.tenant_id, acting_as=seeded.a.tenant_id)
    _insert_client(app_engine, name="Legit", owner=seeded.a.tenant_id, acting_as=seeded.a.tenant_id)

    with owner_engine.connect() as connection:
        names = connection.execute(text("SELECT name, tenant_id FROM clients WHERE name IN ('Smuggled', 'Legit')"))
        assert [tuple(row) for row in names] == [("Legit", seeded.a.tenant_id)]


def test_moving_a_row_to_tenant_b_while_a_is_set_is_refused(
    app_engine: Engine, owner_engine: Engine, seeded: Seeded
) -> None:
    def move_members() -> None:
        with app_engine.begin() as connection:
            _set_tenant(connection, seeded.a.tenant_id)
            connection.execute(
                text("UPDATE members SET tenant_id = :b WHERE tenant_id = :a"),
                {"a": str(seeded.a.tenant_id), "b": str(seeded.b.tenant_id)},
            )

    with pytest.raises(DBAPIError, match="row-level security"):
        move_members()

    with owner_engine.connect() as connection:
        members = connection.execute(text("SELECT tenant_id FROM members")).scalars().all()
    assert sorted(members) == sorted([seeded.a.tenant_id, seeded.b.tenant_id])


def test_without_a_tenant_nothing_can_be_inserted(app_engine: Engine, seeded: Seeded) -> None:
    with pytest.raises(DBAPIError, match="row-level security"):
        _insert_client(app_engine, name="Orphan", owner=seeded.a.tenant_id, acting_as=None)


# --- the system functions --------------------------------------------------------------------------------


def test_the_system_functions_are_callable_by_the_app_role_with_no_tenant_set(
    app_engine: Engine, seeded: Seeded
) -> None:
    now = datetime.now(UTC)
    with app_engine.begin() as connection:
        found = connection.execute(
            text("SELECT tenant_id, id FROM resonance_find_api_key(:h)"), {"h": seeded.b.key_hash}
        ).all()
        due = connection.execute(text("SELECT tenant_id, id FROM resonance_due_accounts(:now, 10)"), {"now": now}).all()
        claimable = connection.execute(
            text("SELECT tenant_id, id FROM resonance_claimable_sync_runs(:now, 10)"), {"now": now}
        ).all()
        assert _tenants_in(connection, "api_keys") == []  # the functions are the only door

    assert [row.tenant_id for row in found] == [seeded.b.tenant_id]
    assert [tuple(row) for row in due] == [(seeded.a.tenant_id, seeded.a_account_id)]
    assert [tuple(row) for row in claimable] == [(seeded.a.tenant_id, seeded.a_run_id)]


async def test_the_system_reads_work_through_a_system_session(database: TestDatabase, seeded: Seeded) -> None:
    db = Database(database.url)
    try:
        async with db.system_session() as session:
            key = await system.find_api_key(session, seeded.a.key_hash)
            missing = await system.find_api_key(session, "0" * 64)
            due = await system.due_accounts(session, datetime.now(UTC), 10)
    finally:
        await db.dispose()

    assert key is not None
    assert key[0] == seeded.a.tenant_id
    assert missing is None
    assert due == [(seeded.a.tenant_id, seeded.a_account_id)]


def test_the_system_functions_cannot_be_called_by_public(owner_engine: Engine) -> None:
    with owner_engine.connect() as connection:
        rows = connection.execute(
            text(
                """
                SELECT p.proname, p.prosecdef,
                       has_function_privilege('public', p.oid, 'EXECUTE') AS public_can,
                       has_function_privilege('resonance_app', p.oid, 'EXECUTE') AS app_can
                FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'public' AND p.proname LIKE 'resonance\\_%' ESCAPE '\\'
                ORDER BY p.proname
                """
            )
        ).all()

    assert [row.proname for row in rows] == [
        "resonance_claimable_reports",
        "resonance_claimable_sync_runs",
        "resonance_drop_unverified_claims",
        "resonance_due_accounts",
        "resonance_due_webhook_deliveries",
        "resonance_find_api_key",
        "resonance_find_member_session",
        "resonance_find_member_token",
        "resonance_find_members_by_email",
        "resonance_find_oauth_state",
        "resonance_find_stripe_customer",
        "resonance_find_tenant_by_host",
        "resonance_stripe_customers",
        "resonance_usage_to_report",
    ]
    for row in rows:
        assert (row.prosecdef, row.public_can, row.app_can) == (True, False, True), row.proname
