"""contact decisions

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 17:30:00.000000

An investigator's decisions on a resident's classification (confirmed, changed,
withdrawn, with a reason), and the end of quarantine decided for a contact.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'contact_decision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('resident_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('previous_tier', sa.String(length=16), nullable=False),
        sa.Column('previous_status', sa.String(length=16), nullable=False),
        sa.Column('previous_end_on', sa.Date(), nullable=True),
        sa.Column('tier', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('end_on', sa.Date(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('source', sa.String(length=64), server_default='', nullable=False),
        sa.Column('last_exposure_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by', sa.String(length=64), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['resident_id'], ['resident.id'],
                                name=op.f('fk_contact_decision_resident_id_resident')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_decision')),
    )
    op.create_index(op.f('ix_contact_decision_resident_id'), 'contact_decision',
                    ['resident_id'], unique=False)
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decided_end_on', sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('contact', schema=None) as batch_op:
        batch_op.drop_column('decided_end_on')
    op.drop_index(op.f('ix_contact_decision_resident_id'), table_name='contact_decision')
    op.drop_table('contact_decision')
