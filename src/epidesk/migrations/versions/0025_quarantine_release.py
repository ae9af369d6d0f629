"""quarantine release home

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 17:20:00.000000

Transfer manifests have a purpose: to a facility, or home from one at release (with the
home building); and the moment the vehicle left.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('transfer_manifest', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=12),
                                      server_default='to_facility', nullable=False))
        batch_op.add_column(sa.Column('building_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('departed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('departed_by', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_transfer_manifest_building_id'), ['building_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_transfer_manifest_building_id_building'),
                                    'building', ['building_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('transfer_manifest', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_transfer_manifest_building_id_building'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_transfer_manifest_building_id'))
        batch_op.drop_column('departed_by')
        batch_op.drop_column('departed_at')
        batch_op.drop_column('building_id')
        batch_op.drop_column('purpose')
