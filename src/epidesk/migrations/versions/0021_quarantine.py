"""quarantine

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 14:10:00.000000

Facility lists, facilities, rooms, inspections and complaints; quarantine and isolation
orders with their changes, deliveries and events; who occupies which room.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('facility_list',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('facilities', sa.Integer(), nullable=False),
    sa.Column('rooms', sa.Integer(), nullable=False),
    sa.Column('added', sa.Integer(), server_default='0', nullable=False),
    sa.Column('changed', sa.Integer(), server_default='0', nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_by', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('problems', sa.Text(), nullable=True),
    sa.Column('problem_counts', sa.Text(), nullable=True),
    sa.Column('problem_count', sa.Integer(), nullable=False),
    sa.Column('seconds', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_list')),
    sa.UniqueConstraint('digest', name=op.f('uq_facility_list_digest'))
    )
    op.create_index(op.f('ix_facility_list_received_at'), 'facility_list', ['received_at'], unique=False)

    op.create_table('quarantine_order_event',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantine_order_event'))
    )
    op.create_index(op.f('ix_quarantine_order_event_order_id'), 'quarantine_order_event', ['order_id'], unique=False)
    op.create_index(op.f('ix_quarantine_order_event_resident_id'), 'quarantine_order_event', ['resident_id'], unique=False)

    op.create_table('facility',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('city_id', sa.Integer(), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('use', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('medical_staff', sa.Integer(), nullable=False),
    sa.Column('separate_areas', sa.Boolean(), nullable=False),
    sa.Column('manager_name', sa.String(length=64), nullable=False),
    sa.Column('manager_phone', sa.String(length=20), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('closed_on', sa.Date(), nullable=True),
    sa.Column('list_id', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['city_id'], ['city.id'], name=op.f('fk_facility_city_id_city')),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_facility_district_id_district')),
    sa.ForeignKeyConstraint(['list_id'], ['facility_list.id'], name=op.f('fk_facility_list_id_facility_list')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility')),
    sa.UniqueConstraint('code', name=op.f('uq_facility_code'))
    )
    op.create_index(op.f('ix_facility_city_id'), 'facility', ['city_id'], unique=False)
    op.create_index(op.f('ix_facility_district_id'), 'facility', ['district_id'], unique=False)
    op.create_index(op.f('ix_facility_list_id'), 'facility', ['list_id'], unique=False)

    op.create_table('facility_complaint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('topic', sa.String(length=32), nullable=True),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_facility_complaint_facility_id_facility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_facility_complaint')),
    sa.UniqueConstraint('source', 'reference', name=op.f('uq_facility_complaint_source_reference'))
    )
    op.create_index(op.f('ix_facility_complaint_facility_id'), 'facility_complaint', ['facility_id'], unique=False)

    op.create_table('inspection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('inspected_on', sa.Date(), nullable=False),
    sa.Column('inspector', sa.String(length=64), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_inspection_facility_id_facility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection'))
    )
    op.create_index('ix_inspection_facility_id_inspected_on', 'inspection', ['facility_id', 'inspected_on'], unique=False)

    op.create_table('room',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('facility_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('room_type', sa.String(length=16), nullable=False),
    sa.Column('beds', sa.Integer(), nullable=False),
    sa.Column('own_bathroom', sa.Boolean(), nullable=False),
    sa.Column('accessible', sa.Boolean(), nullable=False),
    sa.Column('infant_suitable', sa.Boolean(), nullable=False),
    sa.Column('carer_suitable', sa.Boolean(), nullable=False),
    sa.Column('in_service', sa.Boolean(), server_default=sa.true(), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['facility.id'], name=op.f('fk_room_facility_id_facility')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room')),
    sa.UniqueConstraint('facility_id', 'number', name=op.f('uq_room_facility_id_number'))
    )
    op.create_index(op.f('ix_room_facility_id'), 'room', ['facility_id'], unique=False)

    op.create_table('inspection_item',
    sa.Column('inspection_id', sa.Integer(), nullable=False),
    sa.Column('item', sa.String(length=32), nullable=False),
    sa.Column('passed', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['inspection_id'], ['inspection.id'], name=op.f('fk_inspection_item_inspection_id_inspection')),
    sa.PrimaryKeyConstraint('inspection_id', 'item', name=op.f('pk_inspection_item'))
    )
    op.create_table('quarantine_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('basis', sa.String(length=12), nullable=False),
    sa.Column('basis_id', sa.Integer(), nullable=False),
    sa.Column('form', sa.String(length=16), nullable=False),
    sa.Column('preset', sa.String(length=64), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('rule_values', sa.Text(), nullable=False),
    sa.Column('counted_from', sa.Date(), nullable=False),
    sa.Column('start_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=False),
    sa.Column('monitoring_until', sa.Date(), nullable=True),
    sa.Column('test_days', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('released_on', sa.Date(), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_by', sa.String(length=64), nullable=True),
    sa.Column('release_rule', sa.String(length=64), nullable=True),
    sa.Column('release_evidence', sa.Text(), nullable=True),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawal_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_quarantine_order_household_id_household')),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_quarantine_order_resident_id_resident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantine_order'))
    )
    op.create_index(op.f('ix_quarantine_order_household_id'), 'quarantine_order', ['household_id'], unique=False)
    op.create_index('ix_quarantine_order_resident_id_state', 'quarantine_order', ['resident_id', 'state'], unique=False)
    op.create_index('ix_quarantine_order_state_end_on', 'quarantine_order', ['state', 'end_on'], unique=False)

    op.create_table('quarantine_order_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('previous_end_on', sa.Date(), nullable=False),
    sa.Column('end_on', sa.Date(), nullable=False),
    sa.Column('previous_form', sa.String(length=16), nullable=True),
    sa.Column('form', sa.String(length=16), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['quarantine_order.id'], name=op.f('fk_quarantine_order_change_order_id_quarantine_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantine_order_change'))
    )
    op.create_index(op.f('ix_quarantine_order_change_order_id'), 'quarantine_order_change', ['order_id'], unique=False)

    op.create_table('quarantine_order_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('received_by', sa.String(length=64), nullable=True),
    sa.Column('relation', sa.String(length=32), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['quarantine_order.id'], name=op.f('fk_quarantine_order_delivery_order_id_quarantine_order')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quarantine_order_delivery'))
    )
    op.create_index(op.f('ix_quarantine_order_delivery_order_id'), 'quarantine_order_delivery', ['order_id'], unique=False)

    op.create_table('room_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('room_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=8), nullable=False),
    sa.Column('from_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('to_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('placement_run_id', sa.Integer(), nullable=True),
    sa.Column('assigned_by', sa.String(length=64), nullable=False),
    sa.Column('ended_reason', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['quarantine_order.id'], name=op.f('fk_room_assignment_order_id_quarantine_order')),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_room_assignment_resident_id_resident')),
    sa.ForeignKeyConstraint(['room_id'], ['room.id'], name=op.f('fk_room_assignment_room_id_room')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_room_assignment'))
    )
    op.create_index(op.f('ix_room_assignment_order_id'), 'room_assignment', ['order_id'], unique=False)
    op.create_index('ix_room_assignment_resident_id_to_at', 'room_assignment', ['resident_id', 'to_at'], unique=False)
    op.create_index('ix_room_assignment_room_id_to_at', 'room_assignment', ['room_id', 'to_at'], unique=False)



def downgrade() -> None:
    op.drop_table('room_assignment')
    op.drop_table('quarantine_order_delivery')
    op.drop_table('quarantine_order_change')
    op.drop_table('quarantine_order')
    op.drop_table('inspection_item')
    op.drop_table('room')
    op.drop_table('inspection')
    op.drop_table('facility_complaint')
    op.drop_table('facility')
    op.drop_table('quarantine_order_event')
    op.drop_table('facility_list')
