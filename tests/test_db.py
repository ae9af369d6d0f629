"""Database URLs: bad ones are named clearly; unreachable ones fail with the reason."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from epidesk.db import check_connection, make_engine, parse_database_url
from epidesk.errors import ConfigurationError, DatabaseUnavailableError
from epidesk_dev.pgcluster import free_port


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not a url", "is not a database URL"),
        ("mysql://root@localhost/x", "supported: sqlite, postgresql"),
        ("postgresql://user@localhost", "names no PostgreSQL database"),
    ],
)
def test_bad_urls_are_named(raw: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_database_url(raw)


def test_postgres_urls_use_psycopg3() -> None:
    url = parse_database_url("postgresql://u:secret@db.example/epi")
    assert url.drivername == "postgresql+psycopg"


def test_unreachable_database_names_the_reason_without_password() -> None:
    engine = make_engine(f"postgresql://u:secret@127.0.0.1:{free_port()}/epi")
    with pytest.raises(DatabaseUnavailableError) as info:
        check_connection(engine)
    assert "cannot reach the database" in info.value.detail
    assert "secret" not in info.value.detail


def test_sqlite_enforces_foreign_keys(tmp_path) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{tmp_path}/fk.db")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()
