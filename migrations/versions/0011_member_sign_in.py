"""member sign-in

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 20:00:00

Members sign in to the portal: an Argon2id password hash and a language on `members`; `member_sessions` (the
cookie's token kept only as a SHA-256 hash) and `member_tokens` (one-time links by e-mail), both deleted with
their member, under the tenant policy on PostgreSQL. Three system functions let the sign-in, which carries no
tenant yet, find the members of an e-mail address, a session by its token and a link by its token.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from migrations import rls

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FIND_MEMBERS = ("resonance_find_members_by_email", "p_email text")
FIND_SESSION = ("resonance_find_member_session", "p_hash text")
FIND_TOKEN = ("resonance_find_member_token", "p_hash text")


def _token_table(name: str, *columns: sa.Column) -> None:
    op.create_table(name,
    sa.Column('tenant_id', sa.Uuid(), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('member_id', sa.Uuid(), nullable=False),
    sa.Column('token_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    *columns,
    sa.ForeignKeyConstraint(['tenant_id', 'member_id'], ['members.tenant_id', 'members.id'], name=f'fk_{name}_member', ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['tenants.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('tenant_id', 'id'),
    sa.UniqueConstraint('tenant_id', 'token_hash', name=f'uq_{name}_tenant_hash')
    )
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(f'ix_{name}_token_hash', ['token_hash'], unique=False)
    rls.enable_tenant_rls(name)


def upgrade() -> None:
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_hash', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('locale', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True))
        batch_op.create_index('ix_members_email', ['email'], unique=False)
    _token_table(
        'member_sessions',
        sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    )
    _token_table(
        'member_tokens',
        sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    )
    rls.create_system_function(
        *FIND_MEMBERS, "TABLE(tenant_id uuid, id uuid)",
        "SELECT tenant_id, id FROM members WHERE email = p_email ORDER BY created_at, tenant_id",
    )
    rls.create_system_function(
        *FIND_SESSION, "TABLE(tenant_id uuid, id uuid)",
        "SELECT tenant_id, id FROM member_sessions WHERE token_hash = p_hash AND revoked_at IS NULL",
    )
    rls.create_system_function(
        *FIND_TOKEN, "TABLE(tenant_id uuid, id uuid)",
        "SELECT tenant_id, id FROM member_tokens WHERE token_hash = p_hash AND used_at IS NULL",
    )
    rls.grant_app_role()


def downgrade() -> None:
    for function in (FIND_TOKEN, FIND_SESSION, FIND_MEMBERS):
        rls.drop_system_function(*function)
    for name in ('member_tokens', 'member_sessions'):
        rls.disable_tenant_rls(name)
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(f'ix_{name}_token_hash')
        op.drop_table(name)
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index('ix_members_email')
        batch_op.drop_column('locale')
        batch_op.drop_column('password_hash')
