"""network request pacing

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 18:50:00

`network_request_pacing`: the next free send time of each rate-limited network's requests, shared by every worker
(api/sync/pacing.py). A network's quota belongs to the operator's application, not to an agency, so the table
has no tenant column and no policy, and no model (like procrastinate's tables): only workers write it, one row
per network the operator limits (`RESONANCE_NETWORK_RATE`). Nothing on SQLite, where the pace is kept in the
one process's memory.
"""
from collections.abc import Sequence

from alembic import op

from migrations import rls

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if not rls.is_postgres():
        return
    op.execute(
        "CREATE TABLE network_request_pacing ("
        "network text PRIMARY KEY, "
        "next_at timestamptz NOT NULL, "
        "wait_seconds double precision NOT NULL)"
    )
    rls.grant_app_role()


def downgrade() -> None:
    if not rls.is_postgres():
        return
    op.execute("DROP TABLE network_request_pacing")
