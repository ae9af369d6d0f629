"""late evidence and sealed secrets

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 11:30:00.000000

Retrace requests: a traced case to classify again because a visit log or a recorded
exposure about its window arrived later; each tracing run records the newest request it
followed. One-time code secrets are encrypted under the secret key (EPIDESK_SECRET_KEY or
its key file, see epidesk.kit.sealing): the column widens and every stored secret is
encrypted; downgrading decrypts them again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from epidesk.kit.sealing import open_sealed, seal

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_users = sa.table('auth_user', sa.column('id', sa.Integer()),
                  sa.column('totp_secret', sa.String()))


def _rewrite_secrets(change: Callable[[str], str]) -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(_users.c.id, _users.c.totp_secret)
                              .where(_users.c.totp_secret.is_not(None))).all()
    for user_id, secret in rows:
        connection.execute(sa.update(_users).where(_users.c.id == user_id)
                           .values(totp_secret=change(secret)))


def upgrade() -> None:
    op.create_table('retrace_request',
    sa.Column('id', sa.Integer(), sa.Identity(always=False), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('source_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retrace_request'))
    )
    with op.batch_alter_table('retrace_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retrace_request_case_id'), ['case_id'], unique=False)
    with op.batch_alter_table('tracing_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retrace_cursor', sa.Integer(), nullable=False,
                                      server_default='0'))
    with op.batch_alter_table('auth_user', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=64),
                              type_=sa.String(length=255), existing_nullable=True)
    _rewrite_secrets(seal)


def downgrade() -> None:
    _rewrite_secrets(open_sealed)
    with op.batch_alter_table('auth_user', schema=None) as batch_op:
        batch_op.alter_column('totp_secret', existing_type=sa.String(length=255),
                              type_=sa.String(length=64), existing_nullable=True)
    with op.batch_alter_table('tracing_run', schema=None) as batch_op:
        batch_op.drop_column('retrace_cursor')
    with op.batch_alter_table('retrace_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retrace_request_case_id'))
    op.drop_table('retrace_request')
