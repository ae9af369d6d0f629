"""exposure places

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 14:50:00.000000

A recorded exposure may name its venue or building, so that zones and public
trajectories can be drawn from it (the free-text place draws nothing).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('exposure', schema=None) as batch_op:
        batch_op.add_column(sa.Column('venue_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('building_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_exposure_venue_id'), ['venue_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_exposure_building_id'), ['building_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_exposure_venue_id_venue'), 'venue',
                                    ['venue_id'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_exposure_building_id_building'),
                                    'building', ['building_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('exposure', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_exposure_building_id_building'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_exposure_venue_id_venue'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_exposure_building_id'))
        batch_op.drop_index(batch_op.f('ix_exposure_venue_id'))
        batch_op.drop_column('building_id')
        batch_op.drop_column('venue_id')
