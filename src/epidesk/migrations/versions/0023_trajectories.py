"""public trajectories

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 14:40:00.000000

The places and time windows published as anonymised trajectories, per publication day.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'trajectory_entry',
        sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
        sa.Column('published_on', sa.Date(), nullable=False),
        sa.Column('place_kind', sa.String(length=16), nullable=False),
        sa.Column('place_id', sa.Integer(), nullable=False),
        sa.Column('district_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('name_local', sa.String(length=200), nullable=False),
        sa.Column('lat', sa.Float(), nullable=False),
        sa.Column('lon', sa.Float(), nullable=False),
        sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('last_day', sa.Date(), nullable=False),
        sa.Column('expires_on', sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(['district_id'], ['district.id'],
                                name=op.f('fk_trajectory_entry_district_id_district')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_trajectory_entry')),
    )
    op.create_index('ix_trajectory_entry_published_on_place', 'trajectory_entry',
                    ['published_on', 'place_kind', 'place_id'], unique=False)
    op.create_index('ix_trajectory_entry_expires_on', 'trajectory_entry', ['expires_on'],
                    unique=False)


def downgrade() -> None:
    op.drop_table('trajectory_entry')
