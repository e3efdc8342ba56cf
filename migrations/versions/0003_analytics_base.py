"""analytics base

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 07:20:00

Columns the analytics build on: each mention's sentiment (label and score, given when it is stored),
each account's target cadence (posts per week) for the presence score, and each client's branding
(colour and logo) for reports.
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sentiment_label', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch_op.add_column(sa.Column('sentiment_score', sa.Float(), nullable=True))
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('target_posts_per_week', sa.Float(), nullable=True))
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('brand_color', sqlmodel.sql.sqltypes.AutoString(length=7), nullable=True))
        batch_op.add_column(sa.Column('logo_url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('clients', schema=None) as batch_op:
        batch_op.drop_column('logo_url')
        batch_op.drop_column('brand_color')
    with op.batch_alter_table('accounts', schema=None) as batch_op:
        batch_op.drop_column('target_posts_per_week')
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_column('sentiment_score')
        batch_op.drop_column('sentiment_label')
