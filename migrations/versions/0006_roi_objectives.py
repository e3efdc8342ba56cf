"""roi ledger and objectives

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 07:10:24

The ROI ledger of each client (costs, values) with its earned-media-value rates, and the clients'
objectives, each with the tenant isolation policy on PostgreSQL. Money is exact: NUMERIC on
PostgreSQL, fixed-point text on SQLite (which has no decimal type; see tenants.types.ExactDecimal).
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations import rls

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("roi_costs", "roi_values", "roi_emv_rates", "objectives")


def _decimal(precision: int, scale: int) -> sa.types.TypeEngine:
    return sa.Numeric(precision, scale).with_variant(sa.String(precision + 2), "sqlite")


def upgrade() -> None:
    op.create_table('roi_costs',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('network', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('campaign', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('amount', _decimal(20, 6), nullable=False),
    sa.Column('hours', _decimal(16, 2), nullable=True),
    sa.Column('hourly_rate', _decimal(20, 6), nullable=True),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('exchange_rate', _decimal(24, 10), nullable=True),
    sa.Column('base_currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'client_id'], ['clients.tenant_id', 'clients.id'], name='fk_roi_costs_client', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )
    with op.batch_alter_table('roi_costs', schema=None) as batch_op:
        batch_op.create_index('ix_roi_costs_client_day', ['tenant_id', 'client_id', 'day'], unique=False)

    op.create_table('roi_emv_rates',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('cpm', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('default_cpm', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('action_values', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'client_id'], ['clients.tenant_id', 'clients.id'], name='fk_roi_emv_rates_client', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'client_id')
    )
    op.create_table('roi_values',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('network', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('campaign', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.Column('unit_value', _decimal(20, 6), nullable=True),
    sa.Column('amount', _decimal(20, 6), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('exchange_rate', _decimal(24, 10), nullable=True),
    sa.Column('base_currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'client_id'], ['clients.tenant_id', 'clients.id'], name='fk_roi_values_client', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )
    with op.batch_alter_table('roi_values', schema=None) as batch_op:
        batch_op.create_index('ix_roi_values_client_day', ['tenant_id', 'client_id', 'day'], unique=False)

    op.create_table('objectives',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('metric', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('target', _decimal(24, 6), nullable=False),
    sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=True),
    sa.Column('network', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'account_id'], ['accounts.tenant_id', 'accounts.id'], name='fk_objectives_account', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'client_id'], ['clients.tenant_id', 'clients.id'], name='fk_objectives_client', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )
    for table in TABLES:
        rls.enable_tenant_rls(table)
    rls.grant_app_role()



def downgrade() -> None:
    for table in TABLES:
        rls.disable_tenant_rls(table)
    op.drop_table('objectives')
    with op.batch_alter_table('roi_values', schema=None) as batch_op:
        batch_op.drop_index('ix_roi_values_client_day')
    op.drop_table('roi_values')
    op.drop_table('roi_emv_rates')
    with op.batch_alter_table('roi_costs', schema=None) as batch_op:
        batch_op.drop_index('ix_roi_costs_client_day')
    op.drop_table('roi_costs')
