"""Alembic environment: one transaction per migration; on PostgreSQL an advisory lock and timeouts.

Several `resonance migrate` started at once (one per replica) wait for each other on the advisory
lock instead of racing; lock and statement timeouts keep a migration from hanging behind traffic.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import api.models  # noqa: F401  - registers every table on the metadata
from migrations.objects import ours
from tenants.database import sync_engine

MIGRATION_LOCK_ID = 0x5E50_4A4E  # any constant shared by every process migrating this database

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "the migration URL is set by tenants.migrate"
    engine = sync_engine(url)
    with engine.connect() as connection:
        postgres = connection.dialect.name == "postgresql"
        if postgres:
            connection.exec_driver_sql("SET lock_timeout = '15s'")
            connection.exec_driver_sql("SET statement_timeout = '10min'")
            connection.exec_driver_sql(f"SELECT pg_advisory_lock({MIGRATION_LOCK_ID})")
            connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                transaction_per_migration=True,
                render_as_batch=not postgres,
                compare_type=True,
                include_name=ours,
            )
            with context.begin_transaction():
                context.run_migrations()
        finally:
            if postgres:
                connection.exec_driver_sql(f"SELECT pg_advisory_unlock({MIGRATION_LOCK_ID})")
                connection.commit()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
