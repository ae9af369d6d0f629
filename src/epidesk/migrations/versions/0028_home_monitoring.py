"""home monitoring

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 20:04:11.084939

Dispatch details of transfer manifests (a note, and a log of every change of vehicle,
seats, driver, route and times), and the daily checks of home health monitoring.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('transfer_manifest_change',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('manifest_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=16), nullable=False),
    sa.Column('old_value', sa.Text(), nullable=False),
    sa.Column('new_value', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['manifest_id'], ['transfer_manifest.id'], name=op.f('fk_transfer_manifest_change_manifest_id_transfer_manifest')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_transfer_manifest_change'))
    )
    with op.batch_alter_table('transfer_manifest_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_transfer_manifest_change_manifest_id'), ['manifest_id'], unique=False)

    op.create_table('home_check',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('checked_on', sa.Date(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('by', sa.String(length=64), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('reached', sa.Boolean(), nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('temperature', sa.Float(), nullable=True),
    sa.Column('symptoms', sa.String(length=80), server_default='', nullable=False),
    sa.Column('other_symptom', sa.Text(), server_default='', nullable=False),
    sa.Column('flagged', sa.Boolean(), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cleared_by', sa.String(length=64), nullable=True),
    sa.Column('cleared_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['quarantine_order.id'], name=op.f('fk_home_check_order_id_quarantine_order')),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name=op.f('fk_home_check_resident_id_resident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_home_check'))
    )
    with op.batch_alter_table('home_check', schema=None) as batch_op:
        batch_op.create_index('ix_home_check_order_day', ['order_id', 'checked_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_home_check_resident_id'), ['resident_id'], unique=False)

    with op.batch_alter_table('transfer_manifest', schema=None) as batch_op:
        batch_op.add_column(sa.Column('note', sa.Text(), server_default='', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('transfer_manifest', schema=None) as batch_op:
        batch_op.drop_column('note')

    with op.batch_alter_table('home_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_home_check_resident_id'))
        batch_op.drop_index('ix_home_check_order_day')
    op.drop_table('home_check')
    with op.batch_alter_table('transfer_manifest_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_transfer_manifest_change_manifest_id'))

    op.drop_table('transfer_manifest_change')
