"""hotline

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 14:11:47.071554

Outbound messages' routing, retries and delivery; hotline tickets with their targets and history, the public forms' rate limit, the
daily public figures.
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
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('community_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('handled_by', sa.String(length=64), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('delivered_at', sa.DateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_outbound_message_community_id'), ['community_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_outbound_message_community_id_community'),
                                    'community', ['community_id'], ['id'])
    op.create_table('hotline_daily_stat',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('responded', sa.Integer(), nullable=False),
    sa.Column('responded_in_time', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Integer(), nullable=False),
    sa.Column('resolved_in_time', sa.Integer(), nullable=False),
    sa.Column('median_response_minutes', sa.Float(), nullable=True),
    sa.Column('median_resolution_minutes', sa.Float(), nullable=True),
    sa.Column('refreshed_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('day', 'category', name=op.f('pk_hotline_daily_stat'))
    )
    op.create_table('hotline_public_hit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hotline_public_hit'))
    )
    with op.batch_alter_table('hotline_public_hit', schema=None) as batch_op:
        batch_op.create_index('ix_hotline_public_hit_key_at', ['key', 'at'], unique=False)

    op.create_table('hotline_target',
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('first_response_minutes', sa.Integer(), nullable=False),
    sa.Column('resolution_minutes', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('category', name=op.f('pk_hotline_target'))
    )
    op.create_table('hotline_ticket',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=16), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('contact_name', sa.String(length=64), server_default='', nullable=False),
    sa.Column('contact_phone', sa.String(length=32), server_default='', nullable=False),
    sa.Column('address_text', sa.String(length=200), server_default='', nullable=False),
    sa.Column('lat', sa.Float(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=True),
    sa.Column('language', sa.String(length=8), server_default='zh', nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=12), server_default='open', nullable=False),
    sa.Column('first_response_minutes', sa.Integer(), nullable=False),
    sa.Column('resolution_minutes', sa.Integer(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_response_due', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolution_due', sa.DateTime(timezone=True), nullable=False),
    sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('breach', sa.String(length=16), server_default='none', nullable=False),
    sa.Column('escalation', sa.Integer(), server_default='0', nullable=False),
    sa.Column('assigned_to', sa.String(length=64), server_default='', nullable=False),
    sa.Column('outcome', sa.String(length=12), server_default='', nullable=False),
    sa.Column('resolution_note', sa.Text(), server_default='', nullable=False),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_hotline_ticket_community_id_community')),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_hotline_ticket_resident_id_resident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hotline_ticket')),
    sa.UniqueConstraint('reference', name=op.f('uq_hotline_ticket_reference'))
    )
    with op.batch_alter_table('hotline_ticket', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hotline_ticket_community_id'), ['community_id'], unique=False)
        batch_op.create_index('ix_hotline_ticket_received_at', ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_hotline_ticket_resident_id'), ['resident_id'], unique=False)
        batch_op.create_index('ix_hotline_ticket_status_due', ['status', 'resolution_due'], unique=False)
        batch_op.create_index('ix_hotline_ticket_updated_at', ['updated_at'], unique=False)

    op.create_table('hotline_ticket_update',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('public', sa.Boolean(), nullable=False),
    sa.Column('note', sa.Text(), server_default='', nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['ticket_id'], ['hotline_ticket.id'], name=op.f('fk_hotline_ticket_update_ticket_id_hotline_ticket')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hotline_ticket_update'))
    )
    with op.batch_alter_table('hotline_ticket_update', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_hotline_ticket_update_ticket_id'), ['ticket_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('hotline_ticket_update', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_hotline_ticket_update_ticket_id'))

    op.drop_table('hotline_ticket_update')
    with op.batch_alter_table('hotline_ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_hotline_ticket_updated_at')
        batch_op.drop_index('ix_hotline_ticket_status_due')
        batch_op.drop_index(batch_op.f('ix_hotline_ticket_resident_id'))
        batch_op.drop_index('ix_hotline_ticket_received_at')
        batch_op.drop_index(batch_op.f('ix_hotline_ticket_community_id'))

    op.drop_table('hotline_ticket')
    op.drop_table('hotline_target')
    with op.batch_alter_table('hotline_public_hit', schema=None) as batch_op:
        batch_op.drop_index('ix_hotline_public_hit_key_at')

    op.drop_table('hotline_public_hit')
    op.drop_table('hotline_daily_stat')
    with op.batch_alter_table('outbound_message', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbound_message_community_id_community'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbound_message_community_id'))
        for column in ('delivered_at', 'sent_at', 'handled_by', 'next_attempt_at',
                       'community_id'):
            batch_op.drop_column(column)
