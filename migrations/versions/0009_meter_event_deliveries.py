"""meter event deliveries

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-27 09:00:00

What became of each usage ledger row at Stripe (the outbox beside the append-only ledger), and the
system functions with which the reporter finds agencies with usage to send and reconcile finds the
agencies with a Stripe customer.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from migrations import rls

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

USAGE_TO_REPORT = ("resonance_usage_to_report", "p_now timestamptz, p_limit integer")
STRIPE_CUSTOMERS = ("resonance_stripe_customers", "p_limit integer")


def upgrade() -> None:
    op.create_table('meter_event_deliveries',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('usage_event_id', sa.Uuid(), nullable=False),
    sa.Column('identifier', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.Column('reported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id', 'usage_event_id'], ['usage_events.tenant_id', 'usage_events.id'],
                            name='fk_meter_event_deliveries_usage_event', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'usage_event_id')
    )
    with op.batch_alter_table('meter_event_deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_meter_event_deliveries_due', ['status', 'next_attempt_at'], unique=False)

    rls.enable_tenant_rls("meter_event_deliveries")
    rls.create_system_function(
        *USAGE_TO_REPORT,
        "TABLE(tenant_id uuid, id uuid)",
        """
        SELECT s.tenant_id, s.tenant_id FROM subscriptions s
        WHERE s.stripe_customer_id IS NOT NULL AND (
            EXISTS (SELECT 1 FROM usage_events u WHERE u.tenant_id = s.tenant_id AND NOT EXISTS (
                SELECT 1 FROM meter_event_deliveries d WHERE d.tenant_id = u.tenant_id AND d.usage_event_id = u.id))
            OR EXISTS (SELECT 1 FROM meter_event_deliveries d WHERE d.tenant_id = s.tenant_id
                       AND d.status = 'retrying' AND d.next_attempt_at <= p_now))
        ORDER BY s.tenant_id LIMIT p_limit
        """,
    )
    rls.create_system_function(
        *STRIPE_CUSTOMERS,
        "TABLE(tenant_id uuid, id uuid)",
        "SELECT tenant_id, tenant_id FROM subscriptions WHERE stripe_customer_id IS NOT NULL "
        "ORDER BY tenant_id LIMIT p_limit",
    )
    rls.grant_app_role()


def downgrade() -> None:
    rls.drop_system_function(*STRIPE_CUSTOMERS)
    rls.drop_system_function(*USAGE_TO_REPORT)
    rls.disable_tenant_rls("meter_event_deliveries")
    with op.batch_alter_table('meter_event_deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_meter_event_deliveries_due')

    op.drop_table('meter_event_deliveries')
