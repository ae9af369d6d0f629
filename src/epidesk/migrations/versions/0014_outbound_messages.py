"""outbound messages

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 14:10:00.000000

One queue of messages to residents and households (SMS, calls, printed notices).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'outbound_message',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('topic', sa.String(length=48), nullable=False),
        sa.Column('reference', sa.String(length=96), nullable=False),
        sa.Column('resident_id', sa.Integer(), nullable=True),
        sa.Column('household_id', sa.Integer(), nullable=True),
        sa.Column('channel', sa.String(length=8), nullable=True),
        sa.Column('recipient', sa.String(length=64), server_default='', nullable=False),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('state', sa.String(length=12), server_default='queued', nullable=False),
        sa.Column('attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('last_error', sa.String(length=200), server_default='', nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_by', sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(['household_id'], ['household.id'],
                                name=op.f('fk_outbound_message_household_id_household')),
        sa.ForeignKeyConstraint(['resident_id'], ['resident.id'],
                                name=op.f('fk_outbound_message_resident_id_resident')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_message')),
    )
    op.create_index('ix_outbound_message_state_channel', 'outbound_message',
                    ['state', 'channel', 'id'], unique=False)
    op.create_index('uq_outbound_message_topic_reference', 'outbound_message',
                    ['topic', 'reference'], unique=True)
    op.create_index(op.f('ix_outbound_message_resident_id'), 'outbound_message',
                    ['resident_id'], unique=False)
    op.create_index(op.f('ix_outbound_message_household_id'), 'outbound_message',
                    ['household_id'], unique=False)


def downgrade() -> None:
    op.drop_table('outbound_message')
