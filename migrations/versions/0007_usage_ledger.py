"""usage ledger

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-26 08:45:00

The append-only usage ledger: one row per billable fact, its producer-derived key unique per tenant,
with the tenant isolation policy on PostgreSQL.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from migrations import rls

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('usage_events',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('meter', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=True),
    sa.Column('idempotency_key', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id'),
    sa.UniqueConstraint('tenant_id', 'idempotency_key', name='uq_usage_events_key')
    )
    with op.batch_alter_table('usage_events', schema=None) as batch_op:
        batch_op.create_index('ix_usage_events_tenant_time', ['tenant_id', 'occurred_at'], unique=False)

    rls.enable_tenant_rls("usage_events")
    rls.grant_app_role()


def downgrade() -> None:
    rls.disable_tenant_rls("usage_events")
    with op.batch_alter_table('usage_events', schema=None) as batch_op:
        batch_op.drop_index('ix_usage_events_tenant_time')

    op.drop_table('usage_events')
