"""zone samples written in bulk

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 23:15:00

The residents of a zone sampled on a day are written for every accepted lab batch, in
one COPY; a foreign key on their zone made the database look the zone up again for each
row (half the cost of the write). The zone ids come from the zones in force, read in the
same transaction, and zones are never deleted (they are lifted), so the key is dropped,
as the samples themselves carry none.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def upgrade() -> None:
    with op.batch_alter_table('zone_sample', schema=None,
                              naming_convention=_NAMES) as batch_op:
        batch_op.drop_constraint('fk_zone_sample_zone_id_zone', type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('zone_sample', schema=None,
                              naming_convention=_NAMES) as batch_op:
        batch_op.create_foreign_key(batch_op.f('fk_zone_sample_zone_id_zone'), 'zone',
                                    ['zone_id'], ['id'])
