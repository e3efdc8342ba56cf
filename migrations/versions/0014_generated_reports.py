"""generated reports

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 16:30:00

`generated_reports`: reports asked for through the API and rendered by the `reports.generate` job, their file kept
in the row until fetched, under the tenant policy on PostgreSQL. A system function finds, across agencies, the
reports still to render (queued, or running on a worker that stopped long ago) for the task engine's dispatch.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from migrations import rls

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CLAIMABLE = ("resonance_claimable_reports", "p_stale_before timestamptz, p_limit integer")


def upgrade() -> None:
    op.create_table('generated_reports',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('format', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('media_type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('filename', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=True),
    sa.Column('content', sa.LargeBinary(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'client_id'], ['clients.tenant_id', 'clients.id'], name='fk_generated_reports_client', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )
    with op.batch_alter_table('generated_reports', schema=None) as batch_op:
        batch_op.create_index('ix_generated_reports_client', ['tenant_id', 'client_id', 'requested_at'], unique=False)
        batch_op.create_index('ix_generated_reports_status', ['status', 'requested_at'], unique=False)
    rls.enable_tenant_rls('generated_reports')
    rls.create_system_function(
        *CLAIMABLE,
        "TABLE(tenant_id uuid, id uuid)",
        "SELECT tenant_id, id FROM generated_reports "
        "WHERE status = 'queued' OR (status = 'running' AND started_at < p_stale_before) "
        "ORDER BY requested_at LIMIT p_limit",
    )
    rls.grant_app_role()


def downgrade() -> None:
    rls.drop_system_function(*CLAIMABLE)
    rls.disable_tenant_rls('generated_reports')
    with op.batch_alter_table('generated_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_generated_reports_status')
        batch_op.drop_index('ix_generated_reports_client')
    op.drop_table('generated_reports')
