"""risk zoning

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 11:30:00.000000

Risk zones per preset, the cases that drew them, their history (for replay) and the
testing rounds of each zone by city day.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op



revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('zone',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('preset', sa.String(length=64), nullable=False),
    sa.Column('area_key', sa.String(length=40), nullable=False),
    sa.Column('area_kind', sa.String(length=16), nullable=False),
    sa.Column('drawn_key', sa.String(length=40), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('subdistrict_id', sa.Integer(), nullable=True),
    sa.Column('community_id', sa.Integer(), nullable=True),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=8), nullable=False),
    sa.Column('formerly', sa.String(length=8), nullable=True),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('origin', sa.String(length=8), nullable=False),
    sa.Column('residents', sa.Integer(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('opened_on', sa.Date(), nullable=False),
    sa.Column('level_since', sa.Date(), nullable=False),
    sa.Column('last_infection_on', sa.Date(), nullable=True),
    sa.Column('planned_end', sa.Date(), nullable=True),
    sa.Column('lifted_on', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_zone_building_id_building')),
    sa.ForeignKeyConstraint(['community_id'], ['community.id'], name=op.f('fk_zone_community_id_community')),
    sa.ForeignKeyConstraint(['district_id'], ['district.id'], name=op.f('fk_zone_district_id_district')),
    sa.ForeignKeyConstraint(['subdistrict_id'], ['subdistrict.id'], name=op.f('fk_zone_subdistrict_id_subdistrict')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zone'))
    )
    with op.batch_alter_table('zone', schema=None) as batch_op:
        batch_op.create_index('ix_zone_building_id', ['building_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_zone_district_id'), ['district_id'], unique=False)
        batch_op.create_index('ix_zone_preset_area_key', ['preset', 'area_key'], unique=False)
        batch_op.create_index('ix_zone_preset_drawn_key', ['preset', 'drawn_key'], unique=False)
        batch_op.create_index('ix_zone_preset_status', ['preset', 'status'], unique=False)

    op.create_table('zone_trigger',
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('link', sa.String(length=12), nullable=False),
    sa.Column('sampling_date', sa.Date(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['case_episode.id'], name=op.f('fk_zone_trigger_case_id_case_episode')),
    sa.ForeignKeyConstraint(['zone_id'], ['zone.id'], name=op.f('fk_zone_trigger_zone_id_zone')),
    sa.PrimaryKeyConstraint('zone_id', 'case_id', name=op.f('pk_zone_trigger'))
    )
    op.create_table('zone_change',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('on_day', sa.Date(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('from_level', sa.String(length=8), nullable=True),
    sa.Column('to_level', sa.String(length=8), nullable=False),
    sa.Column('area_key', sa.String(length=40), nullable=False),
    sa.Column('residents', sa.Integer(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('rule', sa.String(length=64), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('override', sa.Boolean(), nullable=False),
    sa.Column('reason_category', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['zone_id'], ['zone.id'], name=op.f('fk_zone_change_zone_id_zone')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_zone_change'))
    )
    with op.batch_alter_table('zone_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_zone_change_on_day'), ['on_day'], unique=False)
        batch_op.create_index('ix_zone_change_zone_id_on_day', ['zone_id', 'on_day'], unique=False)

    op.create_table('zone_tally',
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('sampled', sa.Integer(), nullable=False),
    sa.Column('positive', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['zone_id'], ['zone.id'], name=op.f('fk_zone_tally_zone_id_zone')),
    sa.PrimaryKeyConstraint('zone_id', 'day', name=op.f('pk_zone_tally'))
    )
    op.create_table('zone_sample',
    sa.Column('zone_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('resident_id', sa.Integer(), nullable=False),
    sa.Column('positive', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['zone_id'], ['zone.id'], name=op.f('fk_zone_sample_zone_id_zone')),
    sa.PrimaryKeyConstraint('zone_id', 'day', 'resident_id', name=op.f('pk_zone_sample'))
    )


def downgrade() -> None:
    op.drop_table('zone_sample')
    op.drop_table('zone_tally')
    op.drop_table('zone_change')
    with op.batch_alter_table('zone', schema=None) as batch_op:
        batch_op.drop_index('ix_zone_preset_status')
        batch_op.drop_index('ix_zone_preset_drawn_key')
        batch_op.drop_index('ix_zone_preset_area_key')
        batch_op.drop_index(batch_op.f('ix_zone_district_id'))
        batch_op.drop_index('ix_zone_building_id')
    op.drop_table('zone_trigger')
    op.drop_table('zone')
