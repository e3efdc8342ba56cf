"""The migrations: one head, reversible, identical to the models, and keyed by tenant first."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import ForeignKeyConstraint, Table, UniqueConstraint, create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel
from sqlmodel.main import default_registry

import api.models  # noqa: F401 - registers every table on the metadata
from migrations.objects import ours
from tenants.database import sync_engine
from tenants.migrate import alembic_config, downgrade, upgrade
from tenants.scoping import TenantScoped
from tests.conftest import BACKENDS, POSTGRES_ENV

TASK_ENGINE_TABLES = {
    "procrastinate_jobs",
    "procrastinate_events",
    "procrastinate_periodic_defers",
    "procrastinate_workers",
}
"""procrastinate's tables (migration 0013), on PostgreSQL only."""

PACING_TABLES = {"network_request_pacing"}
"""The networks' request pace shared by workers (migration 0016), on PostgreSQL only and without a model."""

SYSTEM_FUNCTIONS = {
    "resonance_find_api_key",
    "resonance_claimable_sync_runs",
    "resonance_due_accounts",
    "resonance_find_oauth_state",
    "resonance_due_webhook_deliveries",
    "resonance_find_stripe_customer",
    "resonance_find_members_by_email",
    "resonance_find_member_session",
    "resonance_find_member_token",
    "resonance_usage_to_report",
    "resonance_stripe_customers",
    "resonance_find_tenant_by_host",
    "resonance_claimable_reports",
    "resonance_drop_unverified_claims",
}


@pytest.fixture(params=BACKENDS)
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of a brand-new, empty database: an SQLite file, or a uniquely named PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    admin_url = make_url(os.environ[POSTGRES_ENV]).set(drivername="postgresql+psycopg")
    name = f"resonance_migrations_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(os.environ[POSTGRES_ENV]).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _schema(url: str) -> tuple[set[str], set[str]]:
    """(tables, system functions) present in the database."""
    engine = sync_engine(url)
    try:
        with engine.connect() as connection:
            tables = set(inspect(connection).get_table_names())
            functions: set[str] = set()
            if connection.dialect.name == "postgresql":
                functions = set(
                    connection.execute(
                        text("SELECT proname FROM pg_proc WHERE proname LIKE 'resonance\\_%' ESCAPE '\\'")
                    ).scalars()
                )
    finally:
        engine.dispose()
    return tables, functions


def _model_tables() -> set[str]:
    return set(SQLModel.metadata.tables)


def _tenant_owned_tables() -> list[Table]:
    return [table for table in SQLModel.metadata.sorted_tables if "tenant_id" in table.columns]


# --- the revision graph --------------------------------------------------------------------------------


def test_there_is_a_single_head() -> None:
    script = ScriptDirectory.from_config(alembic_config("sqlite:///unused.db"))

    assert len(script.get_heads()) == 1
    assert len(script.get_bases()) == 1


# --- applying them -------------------------------------------------------------------------------------


def test_upgrade_downgrade_and_upgrade_again_from_an_empty_database(empty_database: str) -> None:
    postgres = empty_database.startswith("postgresql")
    expected_functions = SYSTEM_FUNCTIONS if postgres else set()
    expected_tables = (
        _model_tables() | {"alembic_version"} | (TASK_ENGINE_TABLES | PACING_TABLES if postgres else set())
    )

    upgrade(empty_database)
    assert _schema(empty_database) == (expected_tables, expected_functions)

    downgrade(empty_database, "base")
    assert _schema(empty_database) == ({"alembic_version"}, set())

    upgrade(empty_database)
    assert _schema(empty_database) == (expected_tables, expected_functions)
    head = ScriptDirectory.from_config(alembic_config(empty_database)).get_current_head()
    engine = sync_engine(empty_database)
    with engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_revision() == head
    engine.dispose()


def test_upgrading_twice_is_a_no_op(empty_database: str) -> None:
    upgrade(empty_database)
    before = _schema(empty_database)

    upgrade(empty_database)

    assert _schema(empty_database) == before


def test_the_migrated_schema_matches_the_models(empty_database: str) -> None:
    upgrade(empty_database)

    engine = sync_engine(empty_database)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "include_name": ours})
            differences = compare_metadata(context, SQLModel.metadata)
    finally:
        engine.dispose()

    assert differences == []


# --- tenant-first keys ---------------------------------------------------------------------------------


def test_the_tenant_owned_tables_are_exactly_the_tenant_scoped_models() -> None:
    scoped = {
        mapper.class_.__table__.name for mapper in default_registry.mappers if issubclass(mapper.class_, TenantScoped)
    }

    assert {table.name for table in _tenant_owned_tables()} == scoped
    assert {"clients", "accounts", "api_keys", "metric_points"} <= scoped
    assert "tenants" not in scoped


def test_every_tenant_owned_table_has_tenant_id_first_in_its_primary_key() -> None:
    for table in _tenant_owned_tables():
        key = [column.name for column in table.primary_key.columns]
        assert key[0] == "tenant_id", (table.name, key)
        assert len(key) >= 2, (table.name, key)


def test_every_foreign_key_to_a_tenant_owned_table_includes_tenant_id_first() -> None:
    tenant_owned = {table.name for table in _tenant_owned_tables()}
    checked = 0
    for table in SQLModel.metadata.sorted_tables:
        for constraint in table.constraints:
            if not isinstance(constraint, ForeignKeyConstraint) or constraint.referred_table.name not in tenant_owned:
                continue
            pairs = [(element.parent.name, element.column.name) for element in constraint.elements]
            assert pairs[0] == ("tenant_id", "tenant_id"), (table.name, constraint.name, pairs)
            checked += 1
    assert checked >= 7  # accounts, members, mentions (two), metric_points, posts, sync_runs


def test_every_foreign_key_of_a_tenant_owned_table_to_a_tenant_owned_table_stays_in_the_tenant() -> None:
    """A column referencing another tenant-owned row must do so only through a composite key with tenant_id."""
    tenant_owned = {table.name for table in _tenant_owned_tables()}
    for table in _tenant_owned_tables():
        for column in table.columns:
            for foreign_key in column.foreign_keys:
                if foreign_key.column.table.name in tenant_owned:
                    columns = [c.name for c in foreign_key.constraint.columns]
                    assert "tenant_id" in columns, (table.name, column.name)


def test_every_unique_key_of_a_tenant_owned_table_starts_with_tenant_id() -> None:
    for table in _tenant_owned_tables():
        uniques = [c for c in table.constraints if isinstance(c, UniqueConstraint)]
        uniques += [index for index in table.indexes if index.unique]
        for unique in uniques:
            columns = [column.name for column in unique.columns]
            assert columns[0] == "tenant_id", (table.name, unique.name, columns)
