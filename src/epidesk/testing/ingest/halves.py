"""The second half of a large lab batch's sample rows, written on a connection of its own
in a prepared transaction that stands or falls with the session's (PostgreSQL).

One transaction is one server process, and a COPY into a table with four indexes keeps
that process busy: a batch of at least `SPLIT_FROM` expected rows has the rows from the
middle of its file on copied by a second COPY on a second connection, so that the server
writes both halves at once. That is done only where the server allows prepared
transactions (`max_prepared_transactions` above 0) and the session runs transactions of
its own (it is bound to an engine, not to a connection inside someone else's
transaction); otherwise every row goes through the session's COPY, as before.

The second connection's transaction is prepared once its rows are in (two-phase commit,
psycopg's TPC interface). When the session's transaction ends, committed or not, that
prepared transaction is settled (`kit.events.commit_with`): committed when the session's
first sample row of the batch is there to see (the batch was accepted and committed),
rolled back otherwise. The decision follows from the data alone, so that a commit whose
outcome the client never heard of is settled right too. A process that dies between the
two leaves the prepared transaction behind, its rows unseen: the next large batch's
ingest settles it the same way first (`recover`), once the transaction that owned it is
over (its batch's advisory lock is free).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import uuid
from concurrent.futures import Future
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from epidesk.db import is_postgres
from epidesk.kit import events
from epidesk.testing.ingest import repository

log = logging.getLogger(__name__)

# Expected rows from which a batch's samples are split in two halves: below, a second
# connection and its two-phase commit (a few milliseconds) cost more than they spare.
SPLIT_FROM = 20_000
# The advisory lock a batch's transaction holds from its first statement (its class and,
# as the other key, the batch's new id): free once that transaction is over.
LOCK_CLASS = 0x0E1D
# How prepared transactions of this project are named: epidesk-ingest:<batch>:<sample id>.
XID_FORMAT = 0x45504944
XID_PREFIX = "epidesk-ingest"
# The longest a half waits for a lock (a sample id taken by a concurrent batch).
LOCK_WAIT = "30s"


def may_split(session: Session, expected_rows: int) -> bool:
    """Whether the session's side allows a batch of about expected_rows to be split (the
    server's side is known once the second half's connection is open)."""
    return (expected_rows >= SPLIT_FROM and is_postgres(session)
            and isinstance(session.get_bind(), sa.Engine))


def settle(connection: Any, xid: Any) -> None:
    """Commit the prepared transaction xid if the sample id it names was committed by its
    batch's transaction, else roll it back (psycopg connection, outside a transaction)."""
    first = int(str(xid.gtrid).rsplit(":", 1)[1])
    committed = _scalar(connection, "SELECT EXISTS (SELECT 1 FROM sample WHERE id = %s)",
                        first)
    if committed:
        connection.tpc_commit(xid)
    else:
        connection.tpc_rollback(xid)


def recover(connection: Any) -> int:
    """Settle the prepared transactions of this database left by batches whose own
    transaction is over; how many were settled (psycopg connection, outside a
    transaction)."""
    settled = 0
    database = connection.info.dbname
    for xid in connection.tpc_recover():
        if (xid.format_id != XID_FORMAT or xid.database != database
                or not str(xid.gtrid).startswith(XID_PREFIX + ":")):
            continue
        batch = int(str(xid.gtrid).split(":")[1])
        # Taken only once the batch's transaction is over; let go at once.
        if _scalar(connection, "SELECT pg_try_advisory_xact_lock(CAST(%s AS integer), "
                   "CAST(%s AS integer))", LOCK_CLASS, batch):
            settle(connection, xid)
            settled += 1
    return settled


def _scalar(connection: Any, sql: str, *args: Any) -> Any:
    """The one value of a query, run in a transaction of its own."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, args or None)
            row = cursor.fetchone()
    finally:
        connection.rollback()
    return None if row is None else row[0]


class SecondHalf:
    """The COPY of a batch's second half of sample rows on a connection of its own, in a
    prepared transaction settled when the session's transaction ends.

    `open` (in a thread beside the session's work) connects, settles what earlier batches
    left (`recover`) and starts the COPY, which takes the rows handed to `put` until `end`.
    """

    def __init__(self, session: Session, batch_id: int, columns: str) -> None:
        self._session = session
        self._batch_id = batch_id
        self._columns = columns
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._opened: Future[bool] = Future()
        self._connection: sa.Connection | None = None
        self._thread: threading.Thread | None = None
        self._xid: Any = None
        self._prepared = False
        self._settled = False
        self.error: BaseException | None = None

    def open(self, first_sample_id: int) -> None:
        """Open the connection and start the COPY, when the server allows prepared
        transactions (else `available` says False). Raises nothing: a failure to open
        leaves every row to the session's COPY."""
        try:
            opened = self._open(first_sample_id)
        except Exception:
            log.exception("the second half of a batch's samples could not be opened; "
                          "the session writes them all")
            self._close(invalidate=True)
            opened = False
        self._opened.set_result(opened)

    def skip(self) -> None:
        """Not opened: every row goes through the session's COPY."""
        self._opened.set_result(False)

    def _open(self, first_sample_id: int) -> bool:
        engine = self._session.get_bind()
        assert isinstance(engine, sa.Engine)
        self._connection = engine.connect()
        driver = self._driver()
        if not _scalar(driver, "SELECT current_setting('max_prepared_transactions')::int > 0"):
            self._close()
            return False
        recover(driver)
        self._xid = driver.xid(XID_FORMAT, f"{XID_PREFIX}:{self._batch_id}:{first_sample_id}",
                               uuid.uuid4().hex)
        driver.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")  # its transaction begins
        events.commit_with(self._session, self.settle)
        self._thread = threading.Thread(target=self._copy, args=(driver,), daemon=True,
                                        name="early-second-half")
        self._thread.start()
        return True

    def available(self) -> bool:
        """True when the second half's COPY runs (waits for the opening)."""
        return self._opened.result() and self.error is None

    def put(self, body: Any) -> None:
        """Encoded rows for the second half's COPY."""
        self._queue.put(body)

    def end(self) -> None:
        """No more rows: the COPY finishes and its transaction is prepared."""
        self._queue.put(None)

    @property
    def running(self) -> bool:
        """True while the COPY (or its preparing) goes on."""
        return self._thread is not None and self._thread.is_alive()

    def join(self) -> None:
        """Wait for the opening, then for the COPY and its preparing (once `end` was
        said)."""
        self._opened.result()
        if self._thread is not None:
            self._thread.join()

    def cancel(self) -> None:
        """Stop the COPY (the batch is rejected whatever it writes)."""
        if self.running and self._connection is not None:
            self._driver().cancel()

    def settle(self) -> None:
        """Once the session's transaction has ended: commit the prepared half if the
        batch's first half was committed with it, else roll it back; then give the
        connection back. A half that could not be settled stays prepared, for the next
        batch's ingest to settle (`recover`)."""
        if self._settled:
            return
        self._settled = True
        self.end()
        self.join()
        if self._connection is None:
            return
        try:
            if self._prepared:
                settle(self._driver(), self._xid)
        except Exception:
            log.exception("a batch's second half of samples was left prepared; the next "
                          "ingest settles it")
            self._close(invalidate=True)
        self._close()

    def _driver(self) -> Any:
        assert self._connection is not None
        driver = self._connection.connection.driver_connection
        assert driver is not None
        return driver

    def _copy(self, driver: Any) -> None:
        from psycopg import sql

        ended = False

        def bodies() -> Any:
            nonlocal ended
            yield from iter(self._queue.get, None)
            ended = True

        try:
            assert self._connection is not None
            repository.copy_bodies(self._connection, "sample", self._columns, bodies())
            driver.execute(sql.SQL("PREPARE TRANSACTION {}").format(str(self._xid)))
            self._prepared = True
        except BaseException as exc:  # raised where the batch is written
            self.error = exc
            with contextlib.suppress(Exception):
                driver.rollback()
            while not ended:  # what is still handed, up to the end
                ended = self._queue.get() is None

    def _close(self, invalidate: bool = False) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        if invalidate:
            connection.invalidate()
        connection.close()
