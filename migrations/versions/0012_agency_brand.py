"""agency brand

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 09:00:00

White-label: `tenant_brands` (the agency's colours and display name), `tenant_logos` (its logo, PNG re-encoded by
Pillow) and `tenant_domains` (host names of its own, mapped once a DNS TXT record proves the agency controls them), all under the tenant policy on PostgreSQL. A system function
finds the agency of a request's verified Host before any tenant is known; another drops the other agencies'
unverified claims to a host once one agency verifies it.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from migrations import rls

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIND_HOST = ("resonance_find_tenant_by_host", "p_host text")
DROP_CLAIMS = ("resonance_drop_unverified_claims", "p_host text, p_tenant uuid")


def upgrade() -> None:
    op.create_table('tenant_brands',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('primary_color', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('accent_color', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=False),
    sa.Column('display_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id'),
    sa.UniqueConstraint('tenant_id', name='uq_tenant_brands_tenant')
    )
    op.create_table('tenant_logos',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('content_type', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id'),
    sa.UniqueConstraint('tenant_id', name='uq_tenant_logos_tenant')
    )
    op.create_table('tenant_domains',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('host', sqlmodel.sql.sqltypes.AutoString(length=253), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('verification_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id'),
    sa.UniqueConstraint('tenant_id', 'host', name='uq_tenant_domains_tenant_host')
    )
    with op.batch_alter_table('tenant_domains', schema=None) as batch_op:
        batch_op.create_index('ix_tenant_domains_host', ['host'], unique=False)
    for name in ('tenant_brands', 'tenant_logos', 'tenant_domains'):
        rls.enable_tenant_rls(name)
    rls.create_system_function(
        *FIND_HOST, "TABLE(tenant_id uuid, id uuid)",
        "SELECT tenant_id, id FROM tenant_domains WHERE host = p_host AND verified_at IS NOT NULL "
        "ORDER BY verified_at, tenant_id LIMIT 1",
    )
    # The agency that just proved it controls the host's DNS removes the other agencies' unproven claims to it.
    rls.create_system_function(
        *DROP_CLAIMS, "TABLE(tenant_id uuid, id uuid)",
        "DELETE FROM tenant_domains WHERE host = p_host AND tenant_id <> p_tenant AND verified_at IS NULL "
        "RETURNING tenant_id, id",
        volatility="VOLATILE",
    )
    rls.grant_app_role()


def downgrade() -> None:
    rls.drop_system_function(*DROP_CLAIMS)
    rls.drop_system_function(*FIND_HOST)
    for name in ('tenant_domains', 'tenant_logos', 'tenant_brands'):
        rls.disable_tenant_rls(name)
    with op.batch_alter_table('tenant_domains', schema=None) as batch_op:
        batch_op.drop_index('ix_tenant_domains_host')
    op.drop_table('tenant_domains')
    op.drop_table('tenant_logos')
    op.drop_table('tenant_brands')
