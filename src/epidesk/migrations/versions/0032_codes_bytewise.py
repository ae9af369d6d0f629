"""tube and sample codes compared byte by byte

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07 05:30:00

A tube's or a sample's code is a lab's barcode. On PostgreSQL the codes now use the C
collation, so that each comparison in their unique indexes is a comparison of bytes
rather than a call into the database's language collation: it is made for every tube and
sample a lab batch writes. Equality, and the order of codes made of ASCII letters and
digits, are unchanged. SQLite compares bytes already.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0032'
down_revision: str | None = '0031'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = (("tube", "code"), ("sample", "code"))


def _collate(collation: str) -> None:
    if op.get_context().dialect.name != "postgresql":
        return
    for table, column in _COLUMNS:
        op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} '
                   f'TYPE varchar(32) COLLATE "{collation}"')


def upgrade() -> None:
    _collate("C")


def downgrade() -> None:
    _collate("default")
