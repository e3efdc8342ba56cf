"""oauth states

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 04:59:56.731847

Pending OAuth authorizations (the state kept only as a SHA-256 hash, the PKCE verifier encrypted),
with the tenant isolation policy on PostgreSQL, and the system function through which the OAuth
callback, which carries no API key, finds the tenant of the state it brings back.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from migrations import rls

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIND_OAUTH_STATE = ("resonance_find_oauth_state", "p_hash text")


def upgrade() -> None:
    op.create_table('oauth_states',
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('client_id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=True),
    sa.Column('network', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('handle', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('state_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('code_verifier_encrypted', sa.Text(), nullable=True),
    sa.Column('redirect_after', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
    sa.Column('api_key_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['tenant_id', 'account_id'], ['accounts.tenant_id', 'accounts.id'], name='fk_oauth_states_account', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id', 'client_id'], ['clients.tenant_id', 'clients.id'], name='fk_oauth_states_client', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id'),
    sa.UniqueConstraint('tenant_id', 'state_hash', name='uq_oauth_states_tenant_hash')
    )
    with op.batch_alter_table('oauth_states', schema=None) as batch_op:
        batch_op.create_index('ix_oauth_states_state_hash', ['state_hash'], unique=False)

    rls.enable_tenant_rls("oauth_states")
    rls.create_system_function(
        *FIND_OAUTH_STATE,
        "TABLE(tenant_id uuid, id uuid)",
        "SELECT tenant_id, id FROM oauth_states WHERE state_hash = p_hash",
    )
    rls.grant_app_role()


def downgrade() -> None:
    rls.drop_system_function(*FIND_OAUTH_STATE)
    rls.disable_tenant_rls("oauth_states")
    with op.batch_alter_table('oauth_states', schema=None) as batch_op:
        batch_op.drop_index('ix_oauth_states_state_hash')

    op.drop_table('oauth_states')
