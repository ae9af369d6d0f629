"""placement

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 14:40:00.000000

Placement runs (proposed for review, committed or discarded) and their lines.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('placement_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('placed_people', sa.Integer(), nullable=False),
    sa.Column('unplaced_people', sa.Integer(), nullable=False),
    sa.Column('carers', sa.Integer(), nullable=False),
    sa.Column('rooms_free', sa.Integer(), nullable=False),
    sa.Column('cost', sa.Float(), nullable=False),
    sa.Column('lower_bound', sa.Float(), nullable=False),
    sa.Column('gap', sa.Float(), nullable=False),
    sa.Column('greedy_cost', sa.Float(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.Column('check', sa.Text(), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=64), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_run'))
    )
    op.create_index(op.f('ix_placement_run_state'), 'placement_run', ['state'], unique=False)
    op.create_table('placement_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('travel_minutes', sa.Float(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['quarantine_order.id'], name=op.f('fk_placement_line_order_id_quarantine_order')),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_placement_line_resident_id_resident')),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_placement_line_room_id_room')),
    sa.ForeignKeyConstraint(['run_id'], ['placement_run.id'], name=op.f('fk_placement_line_run_id_placement_run')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_placement_line'))
    )
    op.create_index(op.f('ix_placement_line_resident_id'), 'placement_line', ['resident_id'], unique=False)
    op.create_index(op.f('ix_placement_line_run_id'), 'placement_line', ['run_id'], unique=False)


def downgrade() -> None:
    op.drop_table('placement_line')
    op.drop_table('placement_run')
