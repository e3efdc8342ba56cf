"""sentiment provenance and aspects

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 18:20:00

Every mention's sentiment says which analyser gave it (`sentiment_analyzer`, `sentiment_version`), so that an
upgraded analyser never rewrites history silently: only an explicit re-analysis does. Mentions labelled before
this migration have neither (the analyser that labelled them was not recorded). `aspects` holds the topics a
mention speaks of (price, service, delivery, hiring, …), found when it is analysed; existing mentions start with
none until they are re-analysed (the server default, an empty list, also serves rows inserted without
the column).
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sentiment_analyzer', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('sentiment_version', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(
            sa.Column(
                'aspects',
                sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'),
                nullable=False,
                server_default=sa.text("'[]'"),
            )
        )


def downgrade() -> None:
    with op.batch_alter_table('mentions', schema=None) as batch_op:
        batch_op.drop_column('aspects')
        batch_op.drop_column('sentiment_version')
        batch_op.drop_column('sentiment_analyzer')
