"""vaccination

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 14:30:00.000000

Vaccination sites with their hours, shifts and stock movements; imported site lists;
campaigns; slot pools by dose number; appointments, doses and adverse events;
contraindications and deferrals; reminder consent.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('vaccination_site_list',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('rows', sa.Integer(), server_default='0', nullable=False),
    sa.Column('created', sa.Integer(), server_default='0', nullable=False),
    sa.Column('updated', sa.Integer(), server_default='0', nullable=False),
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
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vaccination_site_list')),
    sa.UniqueConstraint('digest', name=op.f('uq_vaccination_site_list_digest'))
    )
    op.create_index(op.f('ix_vaccination_site_list_received_at'), 'vaccination_site_list', ['received_at'], unique=False)
    op.create_table('vaccination_campaign',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('first_day', sa.Date(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('target_doses', sa.Integer(), nullable=False),
    sa.Column('dose_number', sa.SmallInteger(), nullable=True),
    sa.Column('assessment', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_vaccination_campaign_district_id_district')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vaccination_campaign'))
    )
    op.create_index(op.f('ix_vaccination_campaign_district_id'), 'vaccination_campaign', ['district_id'], unique=False)
    op.create_table('vaccination_site',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=200), nullable=False),
    sa.Column('stations', sa.Integer(), nullable=False),
    sa.Column('doses_per_station_hour', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('list_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_vaccination_site_district_id_district')),
    sa.ForeignKeyConstraint(['list_id'], ['vaccination_site_list.id'], name=op.f('fk_vaccination_site_list_id_vaccination_site_list')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vaccination_site')),
    sa.UniqueConstraint('code', name=op.f('uq_vaccination_site_code'))
    )
    op.create_index(op.f('ix_vaccination_site_district_id'), 'vaccination_site', ['district_id'], unique=False)
    op.create_table('vaccination_shift',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('starts', sa.SmallInteger(), nullable=False),
    sa.Column('ends', sa.SmallInteger(), nullable=False),
    sa.Column('staff_name', sa.String(length=64), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['vaccination_site.id'], name=op.f('fk_vaccination_shift_site_id_vaccination_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vaccination_shift'))
    )
    op.create_index('ix_vaccination_shift_site_day', 'vaccination_shift', ['site_id', 'day'], unique=False)
    op.create_table('vaccination_site_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.SmallInteger(), nullable=False),
    sa.Column('opens', sa.SmallInteger(), nullable=False),
    sa.Column('closes', sa.SmallInteger(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['vaccination_site.id'], name=op.f('fk_vaccination_site_hours_site_id_vaccination_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vaccination_site_hours')),
    sa.UniqueConstraint('site_id', 'weekday', name=op.f('uq_vaccination_site_hours_site_id_weekday'))
    )
    op.create_table('vaccination_slot_pool',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('dose_number', sa.SmallInteger(), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('booked', sa.Integer(), server_default='0', nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['vaccination_site.id'], name=op.f('fk_vaccination_slot_pool_site_id_vaccination_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vaccination_slot_pool')),
    sa.UniqueConstraint('site_id', 'day', 'dose_number', name=op.f('uq_vaccination_slot_pool_site_id_day_dose_number'))
    )
    op.create_table('vaccination_stock_movement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('product', sa.String(length=32), nullable=False),
    sa.Column('lot', sa.String(length=32), nullable=False),
    sa.Column('expiry', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=200), server_default='', nullable=False),
    sa.Column('other_site_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['other_site_id'], ['vaccination_site.id'], name=op.f('fk_vaccination_stock_movement_other_site_id_vaccination_site')),
    sa.ForeignKeyConstraint(['site_id'], ['vaccination_site.id'], name=op.f('fk_vaccination_stock_movement_site_id_vaccination_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vaccination_stock_movement'))
    )
    op.create_index('ix_vaccination_stock_site_lot', 'vaccination_stock_movement', ['site_id', 'product', 'lot'], unique=False)
    op.create_table('vaccination_appointment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('dose_number', sa.SmallInteger(), nullable=False),
    sa.Column('status', sa.String(length=12), server_default='booked', nullable=False),
    sa.Column('channel', sa.String(length=12), nullable=False),
    sa.Column('booked_by', sa.String(length=64), nullable=False),
    sa.Column('booked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_vaccination_appointment_resident_id_resident')),
    sa.ForeignKeyConstraint(['site_id'], ['vaccination_site.id'], name=op.f('fk_vaccination_appointment_site_id_vaccination_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vaccination_appointment'))
    )
    op.create_index(op.f('ix_vaccination_appointment_resident_id'), 'vaccination_appointment', ['resident_id'], unique=False)
    op.create_index('ix_vaccination_appointment_site_day', 'vaccination_appointment', ['site_id', 'day'], unique=False)
    op.create_table('vaccination_hold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.Column('until', sa.Date(), nullable=True),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_vaccination_hold_resident_id_resident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vaccination_hold'))
    )
    op.create_index(op.f('ix_vaccination_hold_resident_id'), 'vaccination_hold', ['resident_id'], unique=False)
    op.create_table('vaccination_reminder_consent',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('opted_in', sa.Boolean(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_vaccination_reminder_consent_resident_id_resident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vaccination_reminder_consent')),
    sa.UniqueConstraint('resident_id', name=op.f('uq_vaccination_reminder_consent_resident_id'))
    )
    op.create_table('vaccination_dose',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('dose_number', sa.SmallInteger(), nullable=False),
    sa.Column('product', sa.String(length=32), nullable=False),
    sa.Column('lot', sa.String(length=32), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('vaccinator', sa.String(length=64), nullable=False),
    sa.Column('given_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=True),
    sa.Column('walk_in', sa.Boolean(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['appointment_id'], ['vaccination_appointment.id'], name=op.f('fk_vaccination_dose_appointment_id_vaccination_appointment')),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_vaccination_dose_resident_id_resident')),
    sa.ForeignKeyConstraint(['site_id'], ['vaccination_site.id'], name=op.f('fk_vaccination_dose_site_id_vaccination_site')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vaccination_dose')),
    sa.UniqueConstraint('resident_id', 'dose_number', name=op.f('uq_vaccination_dose_resident_id_dose_number'))
    )
    op.create_index(op.f('ix_vaccination_dose_day'), 'vaccination_dose', ['day'], unique=False)
    op.create_index(op.f('ix_vaccination_dose_resident_id'), 'vaccination_dose', ['resident_id'], unique=False)
    op.create_index(op.f('ix_vaccination_dose_site_id'), 'vaccination_dose', ['site_id'], unique=False)
    op.create_table('vaccination_adverse_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dose_id', sa.Integer(), nullable=False),
    sa.Column('onset_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('severity', sa.String(length=12), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('recorded_by', sa.String(length=64), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dose_id'], ['vaccination_dose.id'], name=op.f('fk_vaccination_adverse_event_dose_id_vaccination_dose')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_vaccination_adverse_event'))
    )
    op.create_index(op.f('ix_vaccination_adverse_event_dose_id'), 'vaccination_adverse_event', ['dose_id'], unique=False)


def downgrade() -> None:
    for table in ('vaccination_adverse_event', 'vaccination_dose', 'vaccination_reminder_consent',
                  'vaccination_hold', 'vaccination_appointment', 'vaccination_stock_movement',
                  'vaccination_slot_pool', 'vaccination_site_hours', 'vaccination_shift',
                  'vaccination_site', 'vaccination_campaign', 'vaccination_site_list'):
        op.drop_table(table)
