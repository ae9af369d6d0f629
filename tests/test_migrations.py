"""Migrations from empty to head produce exactly the models' schema, on both backends."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from epidesk.db import make_engine
from epidesk.kit.domains import load_models
from epidesk.migrate import current_revision, head_revision, upgrade


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_migrations_match_models(fresh_database, backend_name: str) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(fresh_database(backend_name))
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        metadata = load_models()
        with engine.connect() as conn:
            diff = compare_metadata(
                MigrationContext.configure(conn, opts={"compare_type": True}), metadata
            )
        assert diff == [], f"schema drift between migrations and models: {diff}"
        tables = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert tables == set(metadata.tables)
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_drift_is_detected(fresh_database, backend_name: str) -> None:  # type: ignore[no-untyped-def]
    """The comparison above can fail: a column the models lack shows up as drift."""
    engine = make_engine(fresh_database(backend_name))
    try:
        upgrade(engine)
        with engine.begin() as conn:
            conn.exec_driver_sql("ALTER TABLE venue ADD COLUMN stray INTEGER")
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), load_models())
        assert any(op[0] == "remove_column" and op[3].name == "stray" for op in diff)
    finally:
        engine.dispose()


def test_downgrade_to_base_and_up_again(fresh_database) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    from epidesk.migrate import alembic_config

    engine = make_engine(fresh_database("sqlite"))
    try:
        upgrade(engine)
        command.downgrade(alembic_config(engine), "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade(engine)
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_household_memberships_are_backfilled_from_birth(  # type: ignore[no-untyped-def]
        fresh_database, backend_name: str) -> None:
    """Residents registered before 0005 get one open membership of their household."""
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from epidesk.migrate import alembic_config
    from tests.factories import tiny_city

    engine = make_engine(fresh_database(backend_name))
    try:
        upgrade(engine)
        with Session(engine) as session:
            tiny_city(session)
            session.execute(text("DELETE FROM household_membership"))
            session.commit()
        command.downgrade(alembic_config(engine), "0004")
        assert "household_membership" not in inspect(engine).get_table_names()
        upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT m.household_id = r.household_id, m.start_date = r.birth_date, "
                "m.end_date IS NULL FROM household_membership m "
                "JOIN resident r ON r.id = m.resident_id")).all()
            residents = conn.execute(text("SELECT count(*) FROM resident")).scalar_one()
        assert len(rows) == residents == 11
        assert all(all(row) for row in rows)
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_optional_document_numbers_keep_a_populated_database(fresh_database,  # type: ignore[no-untyped-def]
                                                             backend_name: str) -> None:
    """Down to 0009 and up again with people, households and memberships in the tables:
    SQLite rebuilds the resident table that others refer to, and loses nothing."""
    from alembic import command
    from sqlalchemy import text
    from sqlalchemy.orm import Session

    from epidesk.migrate import alembic_config
    from tests.factories import tiny_city

    engine = make_engine(fresh_database(backend_name))
    try:
        upgrade(engine)
        with Session(engine) as session:
            tiny_city(session)
            session.commit()
        counts = "SELECT (SELECT count(*) FROM resident), (SELECT count(*) FROM " \
                 "household_membership), (SELECT count(*) FROM resident WHERE id_number " \
                 "IS NOT NULL)"
        with engine.connect() as conn:
            before = conn.execute(text(counts)).one()
        command.downgrade(alembic_config(engine), "0009")
        assert current_revision(engine) == "0009"
        upgrade(engine)
        with engine.connect() as conn:
            assert conn.execute(text(counts)).one() == before == (11, 11, 11)
            assert conn.execute(text("SELECT DISTINCT id_type FROM resident")).all() == [
                ("id_card",)]
            if backend_name == "sqlite":
                assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    finally:
        engine.dispose()
