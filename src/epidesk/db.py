"""Engine, sessions and the declarative base shared by every domain."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    DateTime,
    MetaData,
    Select,
    TypeDecorator,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

from epidesk.config import get_settings
from epidesk.errors import ConfigurationError, DatabaseBusyError, DatabaseUnavailableError

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A moment, stored in UTC and always read back timezone-aware in UTC.

    SQLite keeps no offset and hands back naive values; PostgreSQL hands them back in
    the session's zone. Either way every model attribute, and so every API answer,
    carries an explicit UTC offset.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """An aware moment converted to UTC; a naive one is taken as UTC already."""
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(UTC)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect
                             ) -> datetime | None:
        """The stored moment, aware, in UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base of every model; constraint names follow NAMING_CONVENTION."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


SUPPORTED_DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg"}


def parse_database_url(raw: str) -> URL:
    """Parse and normalise a database URL, naming what is wrong with a bad one."""
    try:
        url = make_url(raw)
    except ArgumentError as exc:
        raise ConfigurationError(
            f"EPIDESK_DATABASE_URL is not a database URL: {raw!r} "
            "(expected sqlite:///path or postgresql://user@host:port/db)"
        ) from exc
    backend = url.get_backend_name()
    if backend not in SUPPORTED_DRIVERS:
        raise ConfigurationError(
            f"EPIDESK_DATABASE_URL uses {backend!r}; supported: sqlite, postgresql"
        )
    if backend == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
        if not url.database:
            raise ConfigurationError("EPIDESK_DATABASE_URL names no PostgreSQL database")
    return url


def _sqlite_pragmas(wait_ms: int) -> Callable[[Any, Any], None]:
    def pragmas(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; take over
        # (SQLAlchemy's documented recipe) so nested transactions and rollbacks are real.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={wait_ms}")
        cur.close()

    return pragmas


# One writer at a time per SQLite file in this process, handed over in order. SQLite
# cannot make a deferred read transaction wait when it turns into a write (it fails at
# once with "database is locked"), and its busy handler polls with growing sleeps, which
# collapses throughput under concurrency. So every transaction on the embedded database
# takes this lock and then BEGIN IMMEDIATE (which waits on other processes through the
# busy timeout), and gives the lock back right after COMMIT or ROLLBACK.
_WRITER_LOCKS: dict[str, threading.Lock] = {}
_WRITER_LOCKS_GUARD = threading.Lock()
_HELD = "epidesk_writer_lock"


def _writer_lock(engine: Engine) -> threading.Lock:
    database = engine.url.database
    on_disk = bool(database) and database != ":memory:"
    key = os.path.abspath(database) if database and on_disk else f"memory:{id(engine)}"
    with _WRITER_LOCKS_GUARD:
        return _WRITER_LOCKS.setdefault(key, threading.Lock())


def _install_sqlite_transactions(engine: Engine, wait_seconds: float) -> None:
    lock = _writer_lock(engine)

    def begin(conn: Connection) -> None:
        if not lock.acquire(timeout=wait_seconds):
            raise DatabaseBusyError(
                f"another write held the database for more than {wait_seconds:g} s; try again")
        conn.info[_HELD] = lock
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(conn.info)
            raise

    def end(statement: str) -> Callable[[Connection], None]:
        def finish(conn: Connection) -> None:
            # Runs before the dialect's own commit or rollback, which are no-ops on a
            # connection in autocommit mode: end the transaction here, then hand over.
            if _HELD in conn.info:
                try:
                    conn.connection.dbapi_connection.execute(statement)  # type: ignore[union-attr]
                finally:
                    _release(conn.info)

        return finish

    def checkin(_dbapi_conn: Any, record: Any) -> None:
        _release(record.info)

    event.listen(engine, "begin", begin)
    event.listen(engine, "commit", end("COMMIT"))
    event.listen(engine, "rollback", end("ROLLBACK"))
    event.listen(engine.pool, "checkin", checkin)


def _release(info: dict[str, Any]) -> None:
    held = info.pop(_HELD, None)
    if held is not None:
        held.release()


def make_engine(raw_url: str | None = None, *, echo: bool | None = None) -> Engine:
    """Create an engine for the configured (or given) database URL."""
    settings = get_settings()
    url = parse_database_url(raw_url or settings.database_url)
    kwargs: dict[str, Any] = {"echo": settings.sql_echo if echo is None else echo}
    if url.get_backend_name() == "sqlite":
        kwargs["connect_args"] = {"check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
        kwargs["connect_args"] = {"connect_timeout": 10}
    engine = create_engine(url, **kwargs)
    if url.get_backend_name() == "sqlite":
        wait = settings.sqlite_write_wait_seconds
        event.listen(engine, "connect", _sqlite_pragmas(int(wait * 1000)))
        _install_sqlite_transactions(engine, wait)
    return engine


def check_connection(engine: Engine) -> None:
    """Connect once, raising DatabaseUnavailableError with the reason when it fails."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except (OperationalError, DBAPIError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        safe_url = engine.url.render_as_string(hide_password=True)
        raise DatabaseUnavailableError(f"cannot reach the database {safe_url}: {reason}") from exc


def is_postgres(bind: Engine | Session | Any) -> bool:
    """True when the engine, connection or session talks to PostgreSQL."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return bool(engine.dialect.name == "postgresql")


_engine: Engine | None = None
_session_factory: sessionmaker[Session] | None = None


def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    global _engine, _session_factory
    if _engine is None:
        _engine = make_engine()
        _session_factory = sessionmaker(bind=_engine, expire_on_commit=False)
    return _engine


def reset_engine() -> None:
    """Dispose the process-wide engine (after the settings changed)."""
    global _engine, _session_factory
    if _engine is not None:
        _engine.dispose()
    _engine = None
    _session_factory = None
    get_settings.cache_clear()


def session_factory() -> sessionmaker[Session]:
    """The sessionmaker bound to the process-wide engine."""
    get_engine()
    assert _session_factory is not None
    return _session_factory


@contextmanager
def session_scope(factory: sessionmaker[Session] | None = None) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises."""
    session = (factory or session_factory())()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def request_session() -> Iterator[Session]:
    """FastAPI dependency: one session per request, committed on success, else rolled back.

    Declare it with scope="function" so the commit happens before the response is sent:
    a client that follows a redirect at once must find what the request wrote.
    """
    with session_scope() as session:
        yield session


def count_at_most(session: Session, stmt: Select[Any], cap: int) -> int:
    """How many rows `stmt` returns, counted up to `cap + 1` (more means "more than cap")."""
    limited = stmt.order_by(None).limit(cap + 1).subquery()
    return int(session.scalar(select(func.count()).select_from(limited)) or 0)
