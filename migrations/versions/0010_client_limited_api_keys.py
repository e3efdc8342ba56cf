"""client-limited api keys

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 09:00:00

An API key may be limited to one client of its agency: `client_id`, referenced with the tenant first like every
reference between tenant-owned rows, so a key can never be limited to another agency's client. The key is deleted
with its client.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('client_id', sa.Uuid(), nullable=True))
        batch_op.create_foreign_key(
            'fk_api_keys_client', 'clients', ['tenant_id', 'client_id'], ['tenant_id', 'id'], ondelete='CASCADE'
        )


def downgrade() -> None:
    with op.batch_alter_table('api_keys', schema=None) as batch_op:
        batch_op.drop_constraint('fk_api_keys_client', type_='foreignkey')
        batch_op.drop_column('client_id')
