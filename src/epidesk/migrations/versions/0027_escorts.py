"""escorted medical trips

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 17:07:24.330152

Escorted medical trips for residents under restriction (trips and treatment plans), and
transfer manifests that go to a hospital rather than a facility (a longer purpose,
`medical_escort`, and a destination in words).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('escort_plan',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('facility', sa.String(length=200), nullable=False),
    sa.Column('weekdays', sa.String(length=16), server_default='', nullable=False),
    sa.Column('dates', sa.Text(), server_default='', nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('departs', sa.String(length=5), nullable=False),
    sa.Column('arrives', sa.String(length=5), nullable=False),
    sa.Column('back', sa.String(length=5), nullable=False),
    sa.Column('contact_phone', sa.String(length=32), server_default='', nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_escort_plan_community_id_community')),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_escort_plan_resident_id_resident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escort_plan'))
    )
    with op.batch_alter_table('escort_plan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escort_plan_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_escort_plan_resident_id'), ['resident_id'], unique=False)

    op.create_table('escort_trip',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('household_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sa.Integer(), nullable=True),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('session_on', sa.Date(), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('restriction', sa.String(length=12), nullable=False),
    sa.Column('destination', sa.String(length=200), nullable=False),
    sa.Column('departs_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('arrives_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('back_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('out_manifest_id', sa.Integer(), nullable=True),
    sa.Column('back_manifest_id', sa.Integer(), nullable=True),
    sa.Column('escort_name', sa.String(length=64), server_default='', nullable=False),
    sa.Column('escort_phone', sa.String(length=32), server_default='', nullable=False),
    sa.Column('handed_off_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('handed_off_to', sa.String(length=120), server_default='', nullable=False),
    sa.Column('handed_off_by', sa.String(length=64), server_default='', nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=64), server_default='', nullable=False),
    sa.Column('outcome_note', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['back_manifest_id'], ['transfer_manifest.id'], name=op.f('fk_escort_trip_back_manifest_id_transfer_manifest')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_escort_trip_community_id_community')),
    sa.ForeignKeyConstraint(['household_id'], ['household.id'], name=op.f('fk_escort_trip_household_id_household')),
    sa.ForeignKeyConstraint(['out_manifest_id'], ['transfer_manifest.id'], name=op.f('fk_escort_trip_out_manifest_id_transfer_manifest')),
    sa.ForeignKeyConstraint(['plan_id'], ['escort_plan.id'], name=op.f('fk_escort_trip_plan_id_escort_plan')),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_escort_trip_resident_id_resident')),
    sa.ForeignKeyConstraint(['ticket_id'], ['hotline_ticket.id'], name=op.f('fk_escort_trip_ticket_id_hotline_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escort_trip')),
    sa.UniqueConstraint('plan_id', 'session_on', name=op.f('uq_escort_trip_plan_id_session_on'))
    )
    with op.batch_alter_table('escort_trip', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escort_trip_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_escort_trip_departs_at', ['departs_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_escort_trip_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_escort_trip_ticket_id'), ['ticket_id'], unique=False)

    with op.batch_alter_table('transfer_manifest', schema=None) as batch_op:
        batch_op.alter_column('purpose', existing_type=sa.String(length=12),
               type_=sa.String(length=24), existing_nullable=False,
               existing_server_default='to_facility')
        batch_op.add_column(sa.Column('destination', sa.String(length=200), server_default='', nullable=False))
        batch_op.alter_column('facility_id',
               existing_type=sa.INTEGER(),
               nullable=True)



def downgrade() -> None:
    with op.batch_alter_table('transfer_manifest', schema=None) as batch_op:
        batch_op.alter_column('facility_id',
               existing_type=sa.INTEGER(),
               nullable=False)
        batch_op.drop_column('destination')
        batch_op.alter_column('purpose', existing_type=sa.String(length=24),
               type_=sa.String(length=12), existing_nullable=False,
               existing_server_default='to_facility')

    with op.batch_alter_table('escort_trip', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escort_trip_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_escort_trip_resident_id'))
        batch_op.drop_index('ix_escort_trip_departs_at')
        batch_op.drop_index(batch_op.f('ix_escort_trip_community_id'))

    op.drop_table('escort_trip')
    with op.batch_alter_table('escort_plan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escort_plan_resident_id'))
        batch_op.drop_index(batch_op.f('ix_escort_plan_community_id'))

    op.drop_table('escort_plan')
