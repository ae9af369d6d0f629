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


def _counter_engine(tmp_path, wait: float = 30.0):  # type: ignore[no-untyped-def]
    import os

    from epidesk.config import get_settings

    os.environ["EPIDESK_SQLITE_WRITE_WAIT_SECONDS"] = str(wait)
    get_settings.cache_clear()
    try:
        engine = make_engine(f"sqlite:///{tmp_path}/concurrent.db")
    finally:
        os.environ.pop("EPIDESK_SQLITE_WRITE_WAIT_SECONDS")
        get_settings.cache_clear()
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE counter (n INTEGER NOT NULL)")
        conn.exec_driver_sql("INSERT INTO counter VALUES (0)")
    return engine


def test_concurrent_read_then_write_transactions_wait_instead_of_failing(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Each transaction reads, then writes (as a request reads a record and then appends
    its audit entry): on the embedded database they take turns, none fails, none is lost."""
    import threading

    from sqlalchemy import text

    engine = _counter_engine(tmp_path)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                with engine.begin() as conn:
                    n = conn.execute(text("SELECT n FROM counter")).scalar_one()
                    conn.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 16 * 25
    engine.dispose()


def test_a_write_that_waits_too_long_gets_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import threading

    from epidesk.errors import DatabaseBusyError

    engine = _counter_engine(tmp_path, wait=0.2)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE counter SET n = 1")
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(10)
    try:
        with pytest.raises(DatabaseBusyError, match=r"more than 0\.2 s"), engine.begin() as conn:
            conn.exec_driver_sql("UPDATE counter SET n = 2")
    finally:
        release.set()
        holder.join()
    # The lock was handed back: the next write goes through.
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE counter SET n = 3")
    engine.dispose()
