"""event cursors

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 09:00:00.000000

The kit's table of followers' positions: how far each domain has pulled the events of
a domain below it (see epidesk.kit.events).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('event_cursor',
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('position', sa.BigInteger(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_event_cursor'))
    )


def downgrade() -> None:
    op.drop_table('event_cursor')
