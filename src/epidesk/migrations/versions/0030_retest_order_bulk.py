"""retest orders written in bulk

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07 01:40:00

Retest orders are written only by the lab batch ingest, for members of the batch's
positive pools, whose resident ids the ingest has checked and whose tubes it writes in
the same transaction, like the samples, which carry no foreign keys. The keys made the
database look up and lock the resident's row and both tubes' rows again for every order:
1.6 s for the 9,910 orders of a 10,000,000-sample round (a lock rewrites the resident's
row, and after a checkpoint its whole page goes to the WAL).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0030'
down_revision: str | None = '0029'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}
_KEYS = (("resident_id", "resident"), ("tube_id", "tube"), ("resolved_by_tube_id", "tube"))


def upgrade() -> None:
    with op.batch_alter_table('retest_order', schema=None,
                              naming_convention=_NAMES) as batch_op:
        for column, table in _KEYS:
            batch_op.drop_constraint(f'fk_retest_order_{column}_{table}', type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('retest_order', schema=None,
                              naming_convention=_NAMES) as batch_op:
        for column, table in _KEYS:
            batch_op.create_foreign_key(batch_op.f(f'fk_retest_order_{column}_{table}'), table,
                                        [column], ['id'])
