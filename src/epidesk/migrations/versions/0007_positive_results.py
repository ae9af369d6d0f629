"""positive results

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 12:00:00.000000

The testing domain's events: one row per positive single-tube result, which the case
registry follows (see epidesk.kit.events) instead of being called by the ingest.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('positive_result',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('tube_id', sa.Integer(), nullable=False),
    sa.Column('sample_code', sa.String(length=32), nullable=False),
    sa.Column('collected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('collected_offset', sa.Integer(), nullable=False),
    sa.Column('result_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('result_offset', sa.Integer(), nullable=False),
    sa.Column('onset_date', sa.Date(), nullable=True),
    sa.Column('imported', sa.Boolean(), nullable=False),
    sa.Column('isolated_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_positive_result'))
    )
    with op.batch_alter_table('positive_result', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_positive_result_batch_id'), ['batch_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('positive_result', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_positive_result_batch_id'))
    op.drop_table('positive_result')
