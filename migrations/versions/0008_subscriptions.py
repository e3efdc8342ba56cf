"""subscriptions and applied Stripe events

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 10:20:00

One subscription row per agency (plan, Stripe customer and subscription, status), the Stripe webhook
events already applied (deduplicated on their id), and the system function with which the webhook finds
the agency of a Stripe customer.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from migrations import rls

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIND_CUSTOMER = ("resonance_find_stripe_customer", "p_customer text")


def upgrade() -> None:
    op.create_table('subscriptions',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('plan', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
    sa.Column('stripe_customer_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('stripe_subscription_id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('current_period_end', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancel_at_period_end', sa.Boolean(), nullable=False),
    sa.Column('past_due_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('stripe_state_at', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id'),
    sa.UniqueConstraint('tenant_id', name='uq_subscriptions_tenant')
    )
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.create_index('ix_subscriptions_customer', ['stripe_customer_id'], unique=False)

    op.create_table('stripe_events',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id')
    )
    rls.enable_tenant_rls("subscriptions")
    rls.enable_tenant_rls("stripe_events")
    rls.create_system_function(
        *FIND_CUSTOMER,
        "TABLE(tenant_id uuid, id uuid)",
        "SELECT tenant_id, tenant_id FROM subscriptions WHERE stripe_customer_id = p_customer",
    )
    rls.grant_app_role()


def downgrade() -> None:
    rls.drop_system_function(*FIND_CUSTOMER)
    rls.disable_tenant_rls("stripe_events")
    rls.disable_tenant_rls("subscriptions")
    op.drop_table('stripe_events')
    with op.batch_alter_table('subscriptions', schema=None) as batch_op:
        batch_op.drop_index('ix_subscriptions_customer')

    op.drop_table('subscriptions')
