"""alerts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 07:40:00

Crisis detection: alert rules per client (kind, params, sensitivity, cooldown) and the alerts they open,
one per rule and day at most, with their evidence and lifecycle (open, acknowledged, resolved), each table
under the tenant isolation policy on PostgreSQL.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

from migrations import rls

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')


def upgrade() -> None:
    op.create_table('alert_rules',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('params', JSON, nullable=False),
    sa.Column('sensitivity', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('cooldown_hours', sa.Integer(), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'client_id'], ['clients.tenant_id', 'clients.id'], name='fk_alert_rules_client', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )
    with op.batch_alter_table('alert_rules', schema=None) as batch_op:
        batch_op.create_index('ix_alert_rules_client', ['tenant_id', 'client_id'], unique=False)

    op.create_table('alerts',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('rule_id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('bucket', sa.Date(), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('evidence', JSON, nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'client_id'], ['clients.tenant_id', 'clients.id'], name='fk_alerts_client', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'rule_id'], ['alert_rules.tenant_id', 'alert_rules.id'], name='fk_alerts_rule', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id'),
    sa.UniqueConstraint('tenant_id', 'rule_id', 'bucket', name='uq_alerts_rule_bucket')
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index('ix_alerts_client_opened', ['tenant_id', 'client_id', 'opened_at'], unique=False)

    rls.enable_tenant_rls("alert_rules")
    rls.enable_tenant_rls("alerts")
    rls.grant_app_role()


def downgrade() -> None:
    rls.disable_tenant_rls("alerts")
    rls.disable_tenant_rls("alert_rules")
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_client_opened')
    op.drop_table('alerts')
    with op.batch_alter_table('alert_rules', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_rules_client')
    op.drop_table('alert_rules')
