"""PostgreSQL row-level security for migrations: the app role, tenant policies and system functions.

On SQLite every function here does nothing: the ORM's tenant filter is the only wall there.
"""

from __future__ import annotations

from alembic import op

APP_ROLE = "resonance_app"
"""The role the service runs as: not the owner of any table, so the policies bind it."""

TENANT_SETTING = "NULLIF(current_setting('app.tenant_id', true), '')::uuid"


def is_postgres() -> bool:
    """True when migrating a PostgreSQL database."""
    return op.get_bind().dialect.name == "postgresql"


def create_app_role() -> None:
    """Create the group role the service's login role belongs to, and its default privileges."""
    if not is_postgres():
        return
    op.execute(
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                CREATE ROLE {APP_ROLE} NOLOGIN NOBYPASSRLS;
            END IF;
        END $$;
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}"
    )
    op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}")


def grant_app_role() -> None:
    """Grant the app role its privileges on every table that exists now."""
    if not is_postgres():
        return
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")


def enable_tenant_rls(table: str, column: str = "tenant_id") -> None:
    """Turn on and force row-level security on `table`, visible only to the transaction's tenant."""
    if not is_postgres():
        return
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(
        f"CREATE POLICY tenant_isolation ON {table} "
        f"USING ({column} = {TENANT_SETTING}) WITH CHECK ({column} = {TENANT_SETTING})"
    )


def disable_tenant_rls(table: str) -> None:
    """Undo `enable_tenant_rls`."""
    if not is_postgres():
        return
    op.execute(f"DROP POLICY IF EXISTS tenant_isolation ON {table}")
    op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY")


def create_system_function(name: str, signature: str, returns: str, body: str, *, volatility: str = "STABLE") -> None:
    """A SECURITY DEFINER SQL function: the one narrow door through which the service looks across tenants.

    It runs as the table owner (which must be a superuser or have BYPASSRLS), so keep each one to
    a single read the service cannot do otherwise: finding a key by its hash, finding due work. One that writes
    (`volatility="VOLATILE"`) keeps to one narrow change, stated in its migration.
    """
    if not is_postgres():
        return
    op.execute(
        f"CREATE OR REPLACE FUNCTION {name}({signature}) RETURNS {returns} "
        f"LANGUAGE sql {volatility} SECURITY DEFINER SET search_path = public, pg_temp AS $fn$ {body} $fn$"
    )
    op.execute(f"REVOKE ALL ON FUNCTION {name}({signature}) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {name}({signature}) TO {APP_ROLE}")


def drop_system_function(name: str, signature: str) -> None:
    """Undo `create_system_function`."""
    if is_postgres():
        op.execute(f"DROP FUNCTION IF EXISTS {name}({signature})")
