"""resident language

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 11:00:00.000000

The language of the letters a resident receives (Simplified Chinese unless set).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite allows it with a constant default): no copy of the table.
    op.add_column('resident', sa.Column('language', sa.String(length=8), server_default='zh', nullable=False))


def downgrade() -> None:
    op.drop_column('resident', 'language')
