"""The ORM's tenant wall: a tenant session reads and writes only its own tenant's rows, on both backends."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import delete, func, select, update

from api.clients.models import Client
from tenants.audit import SYSTEM
from tenants.database import Database
from tenants.models import Tenant
from tenants.scoping import CrossTenantWriteError
from tenants.signup import create_tenant
from tests.conftest import TestDatabase


@pytest.fixture
async def db(database: TestDatabase) -> AsyncIterator[Database]:
    """The service's own connection (the app role on PostgreSQL)."""
    connection = Database(database.url)
    yield connection
    await connection.dispose()


async def _tenant(db: Database, name: str, clients: list[str]) -> uuid.UUID:
    tenant, _key, _secret = await create_tenant(
        db, agency_name=name, email=f"owner@{name.lower()}.example", actor=SYSTEM
    )
    async with db.tenant_session(tenant.id) as session:
        session.add_all([Client(name=client) for client in clients])
    return tenant.id


@pytest.fixture
async def tenants(db: Database) -> tuple[uuid.UUID, uuid.UUID]:
    """Agency A with two clients, agency B with three."""
    a = await _tenant(db, "Alpha", ["A one", "A two"])
    b = await _tenant(db, "Beta", ["B one", "B two", "B three"])
    return a, b


async def _client_names(db: Database, tenant_id: uuid.UUID) -> set[str]:
    async with db.tenant_session(tenant_id) as session:
        return set((await session.scalars(select(Client.name))).all())


async def test_a_select_without_where_returns_only_the_sessions_tenant_rows(
    db: Database, tenants: tuple[uuid.UUID, uuid.UUID]
) -> None:
    a, b = tenants

    async with db.tenant_session(a) as session:
        clients = (await session.scalars(select(Client))).all()
        counted = await session.scalar(select(func.count()).select_from(Client))
        counted_in_subquery = await session.scalar(select(func.count()).select_from(select(Client.id).subquery()))

    assert sorted(client.name for client in clients) == ["A one", "A two"]
    assert {client.tenant_id for client in clients} == {a}
    assert counted == 2
    assert counted_in_subquery == 2
    assert await _client_names(db, b) == {"B one", "B two", "B three"}


async def test_another_tenants_row_cannot_be_read_by_its_primary_key(
    db: Database, tenants: tuple[uuid.UUID, uuid.UUID]
) -> None:
    a, b = tenants
    async with db.tenant_session(b) as session:
        b_client = (await session.scalars(select(Client).where(Client.name == "B one"))).one()

    async with db.tenant_session(a) as session:
        assert await session.get(Client, (b, b_client.id)) is None
        assert (await session.scalars(select(Client).where(Client.id == b_client.id))).all() == []


async def test_adding_a_row_with_another_tenants_id_is_refused_and_nothing_is_written(
    db: Database, tenants: tuple[uuid.UUID, uuid.UUID]
) -> None:
    a, b = tenants

    async def smuggle() -> None:
        async with db.tenant_session(a) as session:
            session.add(Client(name="Smuggled in A"))
            session.add(Client(tenant_id=b, name="Smuggled into B"))

    with pytest.raises(CrossTenantWriteError, match="Client"):
        await smuggle()

    assert await _client_names(db, a) == {"A one", "A two"}
    assert await _client_names(db, b) == {"B one", "B two", "B three"}


async def test_moving_a_row_to_another_tenant_is_refused(db: Database, tenants: tuple[uuid.UUID, uuid.UUID]) -> None:
    a, b = tenants

    async def move() -> None:
        async with db.tenant_session(a) as session:
            client = (await session.scalars(select(Client).where(Client.name == "A one"))).one()
            client.tenant_id = b

    with pytest.raises(CrossTenantWriteError):
        await move()

    assert await _client_names(db, a) == {"A one", "A two"}
    assert await _client_names(db, b) == {"B one", "B two", "B three"}


async def test_a_new_row_without_tenant_id_is_stamped_with_the_sessions_tenant(
    db: Database, tenants: tuple[uuid.UUID, uuid.UUID]
) -> None:
    a, b = tenants

    async with db.tenant_session(a) as session:
        client = Client(name="A three")
        session.add(client)
        await session.flush()
        assert client.tenant_id == a

    assert "A three" in await _client_names(db, a)
    assert "A three" not in await _client_names(db, b)


async def test_bulk_update_and_delete_touch_only_the_sessions_tenant(
    db: Database, tenants: tuple[uuid.UUID, uuid.UUID]
) -> None:
    a, b = tenants

    async with db.tenant_session(a) as session:
        await session.execute(update(Client).values(industry="bakery"))
    async with db.tenant_session(a) as session:
        await session.execute(delete(Client).where(Client.name.in_(["A two", "B two"])))  # type: ignore[attr-defined]

    async with db.tenant_session(a) as session:
        assert set(map(tuple, (await session.execute(select(Client.name, Client.industry))).all())) == {
            ("A one", "bakery")
        }
    async with db.tenant_session(b) as session:
        rows = set(map(tuple, (await session.execute(select(Client.name, Client.industry))).all()))
    assert rows == {("B one", None), ("B two", None), ("B three", None)}


async def test_each_tenant_sees_only_its_own_tenant_row(db: Database, tenants: tuple[uuid.UUID, uuid.UUID]) -> None:
    a, _b = tenants

    async with db.tenant_session(a) as session:
        own = await session.get(Tenant, a)
        assert own is not None
        assert own.name == "Alpha"
    if db.is_postgres:  # the tenants table is not TenantScoped: only row-level security hides B there
        async with db.tenant_session(a) as session:
            assert (await session.scalars(select(Tenant.id))).all() == [a]
