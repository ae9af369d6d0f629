"""Keys, unique constraints, indexes and foreign keys set aside for a PostgreSQL load."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import Session

from epidesk.db import is_postgres
from epidesk.kit.bulk.columns import Progress
from epidesk.kit.bulk.tables import quoted


@dataclass
class SuspendedConstraints:
    """Keys, constraints and indexes dropped for a bulk load, to be restored after it.

    Keys and indexes are (table, name, SQL); foreign keys also name the table they
    reference. A table's keys and indexes can be restored as soon as it is loaded, a
    foreign key as soon as both its tables are.
    """

    keys: list[tuple[str, str, str]] = field(default_factory=list)
    indexes: list[tuple[str, str, str]] = field(default_factory=list)
    foreign_keys: list[tuple[str, str, str, str]] = field(default_factory=list)
    done: int = 0
    total: int = 0

    @property
    def statements(self) -> list[tuple[str, str]]:
        """(name, SQL) of every restoring statement not yet run, in the order they run."""
        return [(e[1], e[2]) for e in [*self.keys, *self.indexes]] + [
            (e[2], e[3]) for e in self.foreign_keys]

    def _run(self, session: Session, statements: list[str], progress: Progress | None) -> None:
        connection = session.connection()
        for sql in statements:
            connection.exec_driver_sql(sql)
            self.done += 1
            if progress is not None:
                progress("indexes", self.done, self.total)

    def restore_table(self, session: Session, table: str, *,
                      progress: Progress | None = None) -> None:
        """Recreate the keys, unique constraints and indexes of one table."""
        mine = [e[2] for e in [*self.keys, *self.indexes] if e[0] == table]
        self.keys = [e for e in self.keys if e[0] != table]
        self.indexes = [e for e in self.indexes if e[0] != table]
        self._run(session, mine, progress)

    def restore_foreign_keys(self, session: Session, loaded: set[str], *,
                             progress: Progress | None = None) -> None:
        """Recreate (and so validate) the foreign keys between tables already loaded."""
        keyed = {e[0] for e in [*self.keys, *self.indexes]}
        ready = [e for e in self.foreign_keys
                 if {e[0], e[1]} <= loaded and not {e[0], e[1]} & keyed]
        self.foreign_keys = [e for e in self.foreign_keys if e not in ready]
        self._run(session, [e[3] for e in ready], progress)

    def restore(self, session: Session, *, progress: Progress | None = None) -> None:
        """Recreate every remaining key and index, then the foreign keys."""
        statements = [sql for _name, sql in self.statements]
        self.keys, self.indexes, self.foreign_keys = [], [], []
        self._run(session, statements, progress)


_CONSTRAINTS_SQL = """
SELECT con.conname, con.contype, rel.relname, pg_get_constraintdef(con.oid),
       (SELECT r.relname FROM pg_class r WHERE r.oid = con.confrelid)
FROM pg_constraint con
JOIN pg_class rel ON rel.oid = con.conrelid
JOIN pg_namespace ns ON ns.oid = rel.relnamespace
WHERE ns.nspname = current_schema()
  AND con.contype IN ('p', 'u', 'f')
  AND (rel.relname = ANY(%(tables)s)
       OR con.confrelid IN (SELECT c.oid FROM pg_class c
                            WHERE c.relname = ANY(%(tables)s)
                              AND c.relnamespace = ns.oid))
ORDER BY rel.relname, con.conname
"""

_INDEXES_SQL = """
SELECT idx.relname, pg_get_indexdef(i.indexrelid), rel.relname
FROM pg_index i
JOIN pg_class idx ON idx.oid = i.indexrelid
JOIN pg_class rel ON rel.oid = i.indrelid
JOIN pg_namespace ns ON ns.oid = rel.relnamespace
WHERE ns.nspname = current_schema()
  AND rel.relname = ANY(%(tables)s)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                  WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
ORDER BY rel.relname, idx.relname
"""


def suspend_constraints(session: Session, tables: Sequence[sa.Table]) -> SuspendedConstraints:
    """On PostgreSQL, drop the keys, indexes and foreign keys of (and into) tables."""
    suspended = SuspendedConstraints()
    if not is_postgres(session) or not tables:
        return suspended
    names = [t.name for t in tables]
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        cursor.execute(_CONSTRAINTS_SQL, {"tables": names})
        constraints = cursor.fetchall()
        cursor.execute(_INDEXES_SQL, {"tables": names})
        indexes = cursor.fetchall()
    drops: list[str] = []
    for name, contype, table, definition, referenced in constraints:
        q_table, q_name = quoted(session, table), quoted(session, name)
        restore = f"ALTER TABLE {q_table} ADD CONSTRAINT {q_name} {definition}"
        if contype == "f":
            suspended.foreign_keys.append((table, referenced, name, restore))
            drops.insert(0, f"ALTER TABLE {q_table} DROP CONSTRAINT {q_name}")
        else:
            suspended.keys.append((table, name, restore))
            drops.append(f"ALTER TABLE {q_table} DROP CONSTRAINT {q_name}")
    for name, definition, table in indexes:
        suspended.indexes.append((table, name, definition))
        drops.append(f"DROP INDEX {quoted(session, name)}")
    connection = session.connection()
    for sql in drops:
        connection.exec_driver_sql(sql)
    suspended.total = len(suspended.statements)
    return suspended
