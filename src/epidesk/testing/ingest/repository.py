"""Every query of a lab batch ingest: new ids, bulk writes, earlier files."""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.db import is_postgres
from epidesk.kit import bulk
from epidesk.testing.models import LabBatch, PositiveResult, Tube

# Integers fetched in groups of 2**20 per packed value.
PACK_BITS = 20
# Streamed COPY: bytes of one encoded chunk, and of the first (small enough that the
# database starts on the first rows early: a batch's 14,000 tubes, 1.8 MB, take 4 ms to
# encode), and how many chunks may wait to be written.
STREAM_CHUNK_BYTES = 2 * 2**20
STREAM_FIRST_CHUNK_BYTES = 2**16
STREAM_CHUNKS_AHEAD = 16
LOOKUP_CHUNK = 10_000
# How long a range of ids waits for its sequence's lock before the ids are taken one at
# a time instead (another range being reserved holds it for a few milliseconds).
RESERVE_WAIT = "20ms"


def _driver(session: Session | sa.Connection) -> Any:
    connection = session.connection() if isinstance(session, Session) else session
    driver = connection.connection.driver_connection
    assert driver is not None
    return driver


def quoted(names: Iterable[str]) -> str:
    """Column names as a COPY's target list."""
    return ", ".join(f'"{n}"' for n in names)


def copy_bodies(session: Session | sa.Connection, table: str, target: str,
                bodies: Iterable[memoryview]) -> None:
    """One binary COPY into `table` (`target`: its quoted column names) of encoded rows
    (PGCOPY bodies, without header or trailer), inside the session's (or connection's)
    transaction; a database error is raised as SQLAlchemy's."""
    import psycopg

    sql = f'COPY "{table}" ({target}) FROM STDIN (FORMAT BINARY)'
    try:
        with _driver(session).cursor() as cursor, cursor.copy(sql) as copy:
            copy.write(bulk.PGCOPY_HEADER)
            for body in bodies:
                copy.write(body)
            copy.write(bulk.PGCOPY_TRAILER)
    except psycopg.Error as exc:
        raise sa.exc.DBAPIError.instance(sql, None, exc, psycopg.Error) from exc


def cancel(session: Session) -> None:
    """Stop what the session's connection runs now (from another thread)."""
    _driver(session).cancel()


def _packed_integers(session: Session | sa.Connection, sql: str, width: int
                     ) -> NDArray[np.int64]:
    """Integers of a PostgreSQL query that returns them packed big-endian in bytea rows.

    A few large values instead of a row per integer: fetching ten million ids row by
    row costs seconds in the client alone.
    """
    with _driver(session).cursor(binary=True) as cursor:
        cursor.execute(sql)
        parts = [np.frombuffer(row[0], dtype=f">i{width}") for row in cursor.fetchall()
                 if row[0] is not None]
    if not parts:
        return np.zeros(0, dtype=np.int64)
    return np.concatenate(parts).astype(np.int64)


def reserve_ids(session: Session, table: sa.Table, count: int) -> NDArray[np.int64]:
    """count new primary keys for table, taken from its sequence (the next ones on SQLite)."""
    if count == 0:
        return np.zeros(0, dtype=np.int64)
    if is_postgres(session):
        return _taken(session, _sequence(session, table), count)
    # SQLite writes one transaction at a time, and this one already holds the write lock.
    top = session.execute(select(func.max(table.c.id))).scalar() or 0
    return np.arange(top + 1, top + 1 + count, dtype=np.int64)


def _sequence(session: Session | sa.Connection, table: sa.Table) -> str:
    return str(session.execute(sa.text("SELECT pg_get_serial_sequence(:t, 'id')"),
                               {"t": table.name}).scalar_one())


def _taken(session: Session | sa.Connection, sequence: str, count: int) -> NDArray[np.int64]:
    return _packed_integers(
        session,
        f"SELECT string_agg(int8send(nextval('{sequence}')), ''::bytea) "
        f"FROM generate_series(1, {int(count)}) AS g GROUP BY g >> {PACK_BITS}", 8)


class IdsApart:
    """New primary keys of a PostgreSQL table, taken from its sequence on a connection of
    their own while the session's is busy (a sequence hands out ids outside transactions:
    ids of a batch rolled back are skipped, as they are anyway)."""

    def __init__(self, session: Session, table: sa.Table) -> None:
        self._connection = session.get_bind().engine.connect().execution_options(
            isolation_level="AUTOCOMMIT")
        # The sequence, and whether it counts by ones, in one round trip.
        name, by_ones = self._connection.execute(sa.text(
            "SELECT s, (SELECT seqincrement = 1 FROM pg_sequence "
            "WHERE seqrelid = CAST(s AS regclass)) FROM pg_get_serial_sequence(:t, 'id') AS s"
        ), {"t": table.name}).one()
        self._sequence = str(name)
        self._in_ranges = bool(by_ones)

    def take(self, count: int) -> NDArray[np.int64]:
        """count new ids."""
        if count == 0:
            return np.zeros(0, dtype=np.int64)
        return _taken(self._connection, self._sequence, count)

    def reserve(self, count: int) -> NDArray[np.int64]:
        """count consecutive new ids in one step, whatever the count (`take` costs the
        database about half a microsecond an id).

        An ALTER SEQUENCE that changes nothing locks the sequence against every other
        caller until its transaction ends (PostgreSQL's ALTER SEQUENCE blocks nextval and
        setval); the next id is taken and the sequence set past the count, and let go.
        The change is to the owner it has, read at that moment: any other ALTER SEQUENCE
        writes the sequence's file anew (about 2.5 ms on this project's machines, against
        0.3 ms for the whole reservation).
        Ids one at a time (`take`) when the sequence does not count by ones, this role may
        not alter it, the range would pass the sequence's end, or the lock is not had
        within `RESERVE_WAIT`: a transaction that has taken an id from the sequence holds
        it back until that transaction ends, and it may be the very one the ids are for."""
        if count == 0:
            return np.zeros(0, dtype=np.int64)
        if self._in_ranges:
            import psycopg

            sequence, count = self._sequence, int(count)
            try:
                # One message, which the server runs as one transaction: one round trip.
                # Its commit need not wait for the disk: rows given these ids are logged
                # after it, so their own commit makes it durable too.
                with _driver(self._connection).cursor() as cursor:
                    cursor.execute(
                        f"SELECT set_config('lock_timeout', '{RESERVE_WAIT}', true), "
                        "set_config('synchronous_commit', 'off', true); "
                        "DO $$BEGIN EXECUTE format('ALTER SEQUENCE %s OWNER TO %I', "
                        f"'{sequence}', (SELECT pg_get_userbyid(relowner) FROM pg_class "
                        f"WHERE oid = '{sequence}'::regclass)); END$$; "
                        f"SELECT setval('{sequence}', nextval('{sequence}') + {count} - 1) "
                        f"- {count} + 1")
                    while cursor.nextset():
                        pass  # to the last statement's result
                    first = cursor.fetchone()
                assert first is not None
                return np.arange(first[0], first[0] + count, dtype=np.int64)
            except (psycopg.errors.InsufficientPrivilege, psycopg.errors.LockNotAvailable):
                # Refused, or held by a transaction (likely the very one the ids are
                # for): the rest of them are taken one at a time, without asking again.
                self._in_ranges = False
            except psycopg.errors.NumericValueOutOfRange:
                pass  # a range past the sequence's end
        return self.take(count)

    def flush_log(self) -> None:
        """Have the server flush its write-ahead log to disk up to now: a commit on this
        connection flushes everything logged before it, other transactions' rows too, so
        their own commit later waits only for what they logged since."""
        _driver(self._connection).execute("SELECT txid_current()")

    def close(self) -> None:
        """Give the connection back."""
        self._connection.close()


# A COPY of at least this many rows brings ids reserved for it: below, the reservation
# (a few milliseconds) costs more than the database's defaults it spares.
RESERVED_FROM = 10_000


def reserved_apart(session: Session, table: sa.Table, count: int) -> NDArray[np.int64] | None:
    """count consecutive new ids of a PostgreSQL table reserved on a connection of their
    own (`IdsApart.reserve`); None on SQLite, or for fewer than `RESERVED_FROM` rows,
    whose ids the database gives as it writes them."""
    if count < RESERVED_FROM or not is_postgres(session):
        return None
    ids = IdsApart(session, table)
    try:
        return ids.reserve(count)
    finally:
        ids.close()


def write_rows(session: Session, table: sa.Table, columns: Mapping[str, bulk.Column],
               progress: bulk.Progress | None = None) -> int:
    """Write rows given as columns (binary COPY on PostgreSQL)."""
    return bulk.copy_rows(session, table, columns, progress=progress)


class StreamedRows:
    """Rows encoded for a binary COPY by a thread, chunk by chunk, ahead of their writing.

    The database ingests one chunk while the next is being encoded, and encoding may
    start before earlier writes of the same transaction are done. `columns` may be a
    function that builds them: it then runs in the encoding thread too (`rows` says how
    many rows it will give).
    """

    def __init__(self, session: Session, table: sa.Table,
                 columns: Mapping[str, bulk.Column] | Callable[[], Mapping[str, bulk.Column]],
                 rows: int | None = None) -> None:
        self.table = table
        self.postgres = is_postgres(session)
        self._columns = columns
        self.rows = rows if rows is not None else len(next(iter(self.columns.values())))
        self._queue: queue.Queue[tuple[memoryview, int] | BaseException | None] = (
            queue.Queue(maxsize=STREAM_CHUNKS_AHEAD))
        self._thread: threading.Thread | None = None
        self._target = ""
        if self.postgres and self.rows:
            self._thread = threading.Thread(target=self._encode, daemon=True,
                                            name=f"encode-{table.name}")
            self._thread.start()

    @property
    def columns(self) -> Mapping[str, bulk.Column]:
        """The columns (built now, once, when given as a function)."""
        if callable(self._columns):
            self._columns = self._columns()
        return self._columns

    def _encode(self) -> None:
        try:
            columns = self.columns
            names = list(columns)
            self._target = quoted(names)
            kinds = [bulk.column_kind(self.table.columns[n].type) for n in names]
            cols = [columns[n] for n in names]
            width = _row_bytes(cols)
            chunk_rows = max(1, STREAM_CHUNK_BYTES // width)
            self._queue.put((memoryview(b""), 0))  # first word: the columns are named
            start = 0
            while start < self.rows:
                stop = min(self.rows, start + (chunk_rows if start else
                                               max(1, STREAM_FIRST_CHUNK_BYTES // width)))
                part = [_slice(c, start, stop) for c in cols]
                # Each chunk is encoded as a whole COPY stream: keep only its rows.
                pieces = list(bulk.encode_copy_binary(part, kinds, chunk_rows=chunk_rows))
                for body in pieces[1:-1]:
                    self._queue.put((body, stop))
                start = stop
        except BaseException as exc:
            self._queue.put(exc)
        finally:
            self._queue.put(None)

    def write(self, session: Session, progress: bulk.Progress | None = None) -> int:
        """Write the rows inside the session's transaction."""
        if not self.rows:
            return 0
        if not self.postgres:
            return write_rows(session, self.table, self.columns, progress)
        ready = self._queue.get()  # the encoder's first word: the columns are known
        if isinstance(ready, BaseException):
            self.close()
            raise ready
        try:
            copy_bodies(session, self.table.name, self._target, self._bodies(progress))
        finally:
            self.close()
        return self.rows

    def _bodies(self, progress: bulk.Progress | None) -> Iterator[memoryview]:
        while (item := self._queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            body, done = item
            yield body
            if progress is not None:
                progress(self.table.name, done, self.rows)

    def close(self) -> None:
        """Stop encoding (when the write is abandoned) and wait for the thread."""
        if self._thread is not None:
            drained(self._thread, self._queue)
            self._thread = None


def drained(thread: threading.Thread, items: queue.Queue[Any]) -> None:
    """Wait for a thread that puts into a bounded queue, taking what it puts meanwhile
    (no one else will), so that it is never left waiting for room."""
    while thread.is_alive():
        with contextlib.suppress(queue.Empty):
            items.get(timeout=0.1)
    thread.join()


def _slice(column: bulk.Column, start: int, stop: int) -> bulk.Column:
    if isinstance(column, bulk.CharMatrix):
        return bulk.CharMatrix(column.chars[start:stop],
                               None if column.lengths is None else column.lengths[start:stop],
                               None if column.null is None else column.null[start:stop])
    if isinstance(column, bulk.Categorical):
        return bulk.Categorical(column.vocabulary, column.codes[start:stop])
    if isinstance(column, bulk.Nullable):
        return bulk.Nullable(column.values[start:stop], column.null[start:stop])
    if isinstance(column, bulk.Joined):
        raise TypeError("joined text columns are not streamed")
    return column[start:stop]


def _row_bytes(columns: Sequence[bulk.Column]) -> int:
    width = 2
    for column in columns:
        if isinstance(column, bulk.CharMatrix):
            width += 4 + int(column.chars.shape[1])
        else:
            width += 4 + 8
    return width


def batch_by_digest(session: Session, digest: str) -> LabBatch | None:
    """The batch whose file had this SHA-256 digest."""
    return session.scalars(select(LabBatch).where(LabBatch.digest == digest)).first()


def move_tubes(session: Session, from_batch: int, to_batch: int) -> None:
    """The tubes written with one batch id given another."""
    session.execute(sa.update(Tube).where(Tube.batch_id == from_batch)
                    .values(batch_id=to_batch).execution_options(synchronize_session=False))


def existing_codes(session: Session, column: Any,
                   codes: Sequence[str]) -> set[str]:
    """Which of the codes already exist in the column."""
    found: set[str] = set()
    for start in range(0, len(codes), LOOKUP_CHUNK):
        chunk = list(codes[start: start + LOOKUP_CHUNK])
        found.update(session.scalars(select(column).where(column.in_(chunk))))
    return found


def add_positive_results(session: Session, results: Sequence[PositiveResult]) -> None:
    """Append positive-result events."""
    session.add_all(results)
    session.flush()
