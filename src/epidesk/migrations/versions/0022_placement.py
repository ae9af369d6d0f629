"""placement and transfers

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 14:40:00.000000

Placement runs (proposed for review, committed or discarded) and their lines; transfer
manifests and their lines (check-out, check-in, alerts resolved with a reason).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0022'
down_revision: str | None = '0021'
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
    op.create_table('transfer_manifest',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('vehicle', sa.String(length=32), nullable=False),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('route', sa.Text(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('departs_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expected_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('driver_name', sa.String(length=64), nullable=False),
    sa.Column('driver_phone', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_transfer_manifest_facility_id_facility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_manifest'))
    )
    op.create_index(op.f('ix_transfer_manifest_expected_at'), 'transfer_manifest', ['expected_at'], unique=False)
    op.create_index(op.f('ix_transfer_manifest_facility_id'), 'transfer_manifest', ['facility_id'], unique=False)
    op.create_table('transfer_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('manifest_id', sa.Integer(), nullable=False),
    sa.Column('line_no', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('room_id', sa.Integer(), nullable=True),
    sa.Column('checked_out_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_out_by', sa.String(length=64), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_in_by', sa.String(length=64), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=64), nullable=True),
    sa.Column('resolution', sa.String(length=24), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['manifest_id'], ['transfer_manifest.id'], name=op.f('fk_transfer_line_manifest_id_transfer_manifest')),
    sa.ForeignKeyConstraint(['order_id'], ['quarantine_order.id'], name=op.f('fk_transfer_line_order_id_quarantine_order')),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_transfer_line_resident_id_resident')),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_transfer_line_room_id_room')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_line')),
    sa.UniqueConstraint('manifest_id', 'line_no', name=op.f('uq_transfer_line_manifest_id_line_no')),
    sa.UniqueConstraint('manifest_id', 'resident_id', name=op.f('uq_transfer_line_manifest_id_resident_id'))
    )
    op.create_index(op.f('ix_transfer_line_resident_id'), 'transfer_line', ['resident_id'], unique=False)


def downgrade() -> None:
    op.drop_table('transfer_line')
    op.drop_table('transfer_manifest')
    op.drop_table('placement_line')
    op.drop_table('placement_run')
