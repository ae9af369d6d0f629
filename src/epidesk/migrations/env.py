"""Alembic environment: uses the engine handed in by epidesk.migrate, else the settings."""

from __future__ import annotations

from alembic import context

from epidesk.db import make_engine
from epidesk.kit.domains import load_models

target_metadata = load_models()
config = context.config


def run_migrations_online() -> None:
    engine = config.attributes.get("engine") or make_engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
