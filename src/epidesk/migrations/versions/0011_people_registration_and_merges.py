"""people registration and merges

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 11:00:00.000000

People the register does not know (travellers, migrant workers, newborns): the identity
document becomes a type and an optional, non-unique number, and a registered person
records how, by whom and when. Two records of one person are merged: the merged one
points at the survivor, and each merge is recorded with its reason and outcome.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_type', sa.String(length=16),
                                      server_default='id_card', nullable=False))
        batch_op.add_column(sa.Column('registration_kind', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('registration_source', sa.String(length=64),
                                      nullable=True))
        batch_op.add_column(sa.Column('registered_by', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('registered_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint('uq_resident_id_number', type_='unique')
        batch_op.alter_column('id_number', existing_type=sa.String(length=18),
                              type_=sa.String(length=32), nullable=True)
        batch_op.create_index(batch_op.f('ix_resident_id_number'), ['id_number'], unique=False)
        batch_op.create_index(batch_op.f('ix_resident_merged_into_id'), ['merged_into_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_resident_merged_into_id_resident'),
                                    'resident', ['merged_into_id'], ['id'])
    op.create_table('person_merge',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survivor_id', sa.Integer(), nullable=False),
    sa.Column('merged_id', sa.Integer(), nullable=False),
    sa.Column('merged_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('merged_by', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['merged_id'], ['resident.id'],
                            name=op.f('fk_person_merge_merged_id_resident')),
    sa.ForeignKeyConstraint(['survivor_id'], ['resident.id'],
                            name=op.f('fk_person_merge_survivor_id_resident')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_person_merge')),
    sa.UniqueConstraint('merged_id', name=op.f('uq_person_merge_merged_id'))
    )
    with op.batch_alter_table('person_merge', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_person_merge_survivor_id'), ['survivor_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('person_merge', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_person_merge_survivor_id'))
    op.drop_table('person_merge')
    with op.batch_alter_table('resident', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_resident_merged_into_id_resident'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_resident_merged_into_id'))
        batch_op.drop_index(batch_op.f('ix_resident_id_number'))
        batch_op.alter_column('id_number', existing_type=sa.String(length=32),
                              type_=sa.String(length=18), nullable=False)
        batch_op.create_unique_constraint('uq_resident_id_number', ['id_number'])
        batch_op.drop_column('merged_into_id')
        batch_op.drop_column('registered_at')
        batch_op.drop_column('registered_by')
        batch_op.drop_column('registration_source')
        batch_op.drop_column('registration_kind')
        batch_op.drop_column('id_type')
