"""household memberships

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 19:15:00.000000

Households get dated memberships like work groups and classes. Every existing resident
gets one open membership of their current household from their birth date: the
earliest date the records can vouch for. The indexes are built after the backfill.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('household_membership',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('end_date', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_household_membership_household_id_household')),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_household_membership_resident_id_resident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_household_membership'))
    )
    op.execute(
        "INSERT INTO household_membership (household_id, resident_id, start_date, end_date) "
        "SELECT household_id, id, birth_date, NULL FROM resident ORDER BY id"
    )
    with op.batch_alter_table('household_membership', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_household_membership_household_id'), ['household_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_household_membership_resident_id'), ['resident_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('household_membership', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_household_membership_resident_id'))
        batch_op.drop_index(batch_op.f('ix_household_membership_household_id'))

    op.drop_table('household_membership')
