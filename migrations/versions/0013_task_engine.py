"""task engine

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 16:00:00

Background jobs run on procrastinate when the database is PostgreSQL (api/tasks/postgres_engine.py): its tables,
types and functions (`procrastinate_*`) are created here from the schema the pinned procrastinate release ships,
as `procrastinate schema --apply` would. Jobs name their tenant in their arguments and are read only by workers,
so these tables hold no tenant column and no policy; the app role may read and write them like its own tables.
A procrastinate release that changes its schema comes with a migration of ours applying its migration scripts.
Nothing on SQLite, where jobs run in the process.
"""
from collections.abc import Sequence

from alembic import op

from migrations import rls

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if not rls.is_postgres():
        return
    from procrastinate.schema import SchemaManager

    # Straight to the driver's cursor, without parameters: the schema is several statements, with colons and
    # percent signs of its own that neither SQLAlchemy nor psycopg must take for placeholders.
    cursor = op.get_bind().connection.cursor()
    try:
        cursor.execute(SchemaManager.get_schema())
    finally:
        cursor.close()
    rls.grant_app_role()


def downgrade() -> None:
    if not rls.is_postgres():
        return
    op.execute(
        """
        DO $$ DECLARE item record; BEGIN
            DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
                procrastinate_workers CASCADE;
            FOR item IN SELECT p.oid::regprocedure AS signature FROM pg_proc p
                JOIN pg_namespace n ON n.oid = p.pronamespace
                WHERE n.nspname = 'public' AND p.proname LIKE 'procrastinate\\_%' LOOP
                EXECUTE 'DROP FUNCTION ' || item.signature || ' CASCADE';
            END LOOP;
            DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
                procrastinate_job_status CASCADE;
        END $$;
        """
    )
