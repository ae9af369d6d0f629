"""Alembic environment: uses the engine handed in by epidesk.migrate, else the settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from epidesk.db import make_engine
from epidesk.kit.domains import load_models

target_metadata = load_models()
config = context.config


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine()
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # SQLite changes a column by rebuilding its table, which must not cascade to
            # the rows referring to it: keys are off while migrating and checked after.
            _foreign_keys(connection, on=False)
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            connection.commit()
            _foreign_keys(connection, on=True)
            if broken:
                raise RuntimeError(f"the migration left rows without their parent: {broken[:5]}")


def _foreign_keys(connection: Connection, *, on: bool) -> None:
    """Turn SQLite's foreign-key checks on or off (outside any transaction)."""
    raw = connection.connection.dbapi_connection
    assert raw is not None
    raw.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


run_migrations_online()
