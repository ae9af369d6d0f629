"""audit people

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 10:00:00.000000

Every resident a read or change returned, one row per person of an audit entry (a list
records all its residents in one entry). Append-only like the audit entries: the
database refuses UPDATE, DELETE (and on PostgreSQL TRUNCATE).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY_MESSAGE = "the audit log is append-only"


def upgrade() -> None:
    op.create_table('audit_person',
    sa.Column('entry_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('entry_id', 'person_id', name=op.f('pk_audit_person'))
    )
    with op.batch_alter_table('audit_person', schema=None) as batch_op:
        batch_op.create_index('ix_audit_person_person_id', ['person_id'], unique=False)
    _make_append_only()


def _make_append_only() -> None:
    """Refuse UPDATE, DELETE (and on PostgreSQL TRUNCATE) of audit people in the database."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"""
            CREATE FUNCTION audit_person_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END $$""")
        op.execute("""
            CREATE TRIGGER audit_person_no_change BEFORE UPDATE OR DELETE ON audit_person
            FOR EACH ROW EXECUTE FUNCTION audit_person_append_only()""")
        op.execute("""
            CREATE TRIGGER audit_person_no_truncate BEFORE TRUNCATE ON audit_person
            FOR EACH STATEMENT EXECUTE FUNCTION audit_person_append_only()""")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER audit_person_no_{event.lower()} BEFORE {event} ON audit_person
                BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END""")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_person_no_truncate ON audit_person")
        op.execute("DROP TRIGGER IF EXISTS audit_person_no_change ON audit_person")
        op.execute("DROP FUNCTION IF EXISTS audit_person_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_person_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_person_no_delete")
    with op.batch_alter_table('audit_person', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_person_person_id')
    op.drop_table('audit_person')
