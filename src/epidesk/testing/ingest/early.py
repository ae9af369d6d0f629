"""A lab batch's samples written while its file is still being read (PostgreSQL).

The CSV is read a block at a time, by a thread of its own a few blocks ahead
(`ReadAhead`). Each block's sample rows go into one binary COPY as soon as their values
read: their tubes numbered in order of first appearance, as the parse of the whole batch
numbers them, and given ids reserved ahead from the tube sequence on a connection of
their own; the rows carry their own ids too, reserved from the sample sequence at once
on another (`IdsAhead`); one thread opens both once the session's lookups are made. The
COPY runs on the session's connection, in a thread, once that connection has looked up
the merged records (and, when its transaction has written, every resident id and what
the caller reads with them; otherwise they are read on a connection of their own beside
the COPY); meanwhile the rest of the batch is read, and once the file is read the whole
batch is parsed and its checks start, all before the COPY is done. A block whose sample
values do not all read ends the early rows there: the lines from it on are written with
the rest of the batch, or the batch is rejected whole (the import's savepoint takes the
early rows back). A batch whose every line went early has its tubes encoded while the
samples are copied and written by the same thread right after them (`then`), with the
batch's id taken before the COPY: no moment of the database's is spent waiting for the
interpreter in between. After each COPY, its sequence's connection has the log flushed
while the rest of the batch is written. A large batch's rows from the middle of the file
on go to a second COPY on a connection of its own, where the server allows it (see
halves): the database writes both halves at once.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow as pa
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from epidesk.kit import bulk
from epidesk.kit.merges import follow_merges
from epidesk.people import repository as people
from epidesk.people.columns import repository as people_columns
from epidesk.testing import engine
from epidesk.testing.engine import IntArray, ParsedBatch, SamplePart
from epidesk.testing.ingest import halves, repository
from epidesk.testing.tubes import engine as tubes

# Bytes of the file read at a time: at least 256 KiB, at most 8 MiB, about 32 blocks in
# a smaller file (the COPY starts once the first block is read: in a 10 MiB file of
# 100,000 samples, about 5 ms sooner than with 1 MiB blocks).
MIN_BLOCK = 2**18
MAX_BLOCK = 8 * 2**20
BLOCKS = 32
# The lines of the first 32 KiB are read on their own, so that the COPY starts sooner
# still (a 256 KiB block takes about 5 ms to read).
FIRST_BLOCK = 2**15
# The rows are written with their ids, reserved from the sample sequence at once on a
# connection of their own: the COPY then evaluates no default per row (about 0.6 µs of
# the database's time each, about a sixth of a plain COPY of these rows).
SAMPLE_COLUMNS = ("id", "code", "tube_id", "resident_id", "collected_at")
# Tube ids are reserved ahead for a quarter of the expected rows (a file of pooled tubes
# has fewer tubes than that; one of single tubes reserves more in a few growing steps).
TUBES_AHEAD = 4


# Blocks read ahead of their use, by a thread of their own: the first ones are read while
# the session's lookups are made, so that the COPY has rows to take once it starts.
BLOCKS_AHEAD = 4


def block_bytes(size: int) -> int:
    """The block size for a file of `size` bytes."""
    return min(MAX_BLOCK, max(MIN_BLOCK, size // BLOCKS))


# No line that holds every required value is shorter (its two times alone take 32).
MIN_LINE_BYTES = 48


def expected_rows(content: bytes | memoryview) -> int:
    """About how many lines a CSV of this size holds, judged by its first 64 KiB (at
    most as many as lines of `MIN_LINE_BYTES` would make)."""
    head = bytes(content[:2**16])
    lines = head.count(b"\n")
    if lines < 2:
        return 0
    judged = int(len(content) * (lines - 1) / (len(head) - head.index(b"\n") - 1))
    return min(judged, len(content) // MIN_LINE_BYTES)


@dataclass
class Written:
    """The sample rows written early: how many, and the values they were written with."""

    rows: int = 0
    tube_index: list[IntArray] = field(default_factory=list)
    resident_id: list[IntArray] = field(default_factory=list)
    collected_at: list[NDArray[np.datetime64]] = field(default_factory=list)


class EarlySamples:
    """The COPY of a batch's sample rows, fed a block at a time by the reading thread.

    The session belongs to the COPY's thread from the end of construction until `join`
    returns.
    """

    def __init__(self, session: Session, table: sa.Table, expected_rows: int = 0,
                 beside: Callable[[Session], Any] = lambda session: None) -> None:
        self.session = session
        self.table = table
        # The merged records and their survivors, then every resident id, and what
        # `beside` reads where the residents are read.
        self.merges: Future[tuple[IntArray, IntArray]] = Future()
        self.residents: Future[IntArray] = Future()
        self.beside: Future[Any] = Future()
        self._read_beside = beside
        self.written = Written()
        self.error: BaseException | None = None
        self._kinds = [bulk.column_kind(table.columns[c].type) for c in SAMPLE_COLUMNS]
        self._queue: queue.SimpleQueue[memoryview | None] = queue.SimpleQueue()
        self._ended = False
        # What the COPY's thread writes after the samples (None: nothing), and whether
        # it did.
        self._then: Future[repository.StreamedRows | None] = Future()
        self._then_done = False
        # A new id for the batch's record, taken with the lookups before the COPY.
        self.batch_id = 0
        # The second half of the rows, written on a connection of its own (None: every
        # row goes through this COPY), from which row on, and whether it began.
        self._half: halves.SecondHalf | None = None
        self._split_at = expected_rows // 2
        self._halved = False
        split = halves.may_split(session, expected_rows)
        # The lookups before the COPY are made here, before the reading starts: in the
        # COPY's thread each round trip would wait for the reading thread to let go of
        # the interpreter (up to its switch interval, 5 ms), as they would while the
        # sequences' connections are opened beside them.
        fresh = self._look_up(split)
        self._residents_here = fresh is False
        if split and fresh is not None:
            self._half = halves.SecondHalf(session, self.batch_id,
                                           repository.quoted(SAMPLE_COLUMNS))
        self._savepoint = (session.begin_nested() if self.merges.exception() is None
                           else None)
        if self._savepoint is not None:
            session.connection()  # the SAVEPOINT is sent now, not by the COPY's thread
        tube = table.metadata.tables["tube"]
        self._tubes = TubeNumbers(IdsAhead(expected_rows // TUBES_AHEAD, grow=True))
        self._ids = IdsAhead(expected_rows)
        # One thread opens both sequences' connections in turn (their first ranges are
        # wanted by the first block), then reads the residents when it may.
        threading.Thread(target=self._apart, daemon=True, name="early-apart", args=(
            lambda: repository.IdsApart(session, tube),
            lambda: repository.IdsApart(session, table), fresh is True)).start()
        self._thread = threading.Thread(target=self._run, name="early-samples", daemon=True)
        self._thread.start()

    def tube_ids(self, tubes: int) -> IntArray:
        """Ids for every tube of the batch (`tubes` of them), by tube number: those met
        early keep theirs."""
        return self._tubes.rest(tubes)

    def add(self, part: SamplePart) -> None:
        """Encode a block's sample rows and hand them to the COPY."""
        if self.error is not None:
            return  # the COPY failed: the rest is not written early
        tube_index = self._tubes.number(part.tube_code)
        resident_id = follow_merges(part.resident_id, *self.merges.result())
        columns: list[bulk.Column] = [self._ids.take(len(resident_id)),
                                      tubes.char_matrix(part.sample_code),
                                      self._tubes.ids[tube_index],
                                      resident_id, part.collected_at]
        pieces = list(bulk.encode_copy_binary(columns, self._kinds))
        if (self._half is not None and not self._halved
                and self.written.rows >= self._split_at):
            self._halved = self._half.available()
        put = self._half.put if self._halved and self._half is not None else self._queue.put
        for body in pieces[1:-1]:
            put(body)
        written = self.written
        written.rows += len(resident_id)
        written.tube_index.append(tube_index)
        written.resident_id.append(resident_id)
        written.collected_at.append(part.collected_at)

    def end(self) -> None:
        """No more rows: the COPY finishes with those handed to it."""
        if not self._ended:
            self._ended = True
            self._queue.put(None)
            if self._half is not None:
                self._half.end()

    def then(self, rows: repository.StreamedRows | None) -> None:
        """Rows of another table for the COPY's thread to write once the samples' COPY is
        done, inside the same savepoint (None: nothing more). Said once; `join` says None
        when nothing was said."""
        if not self._then.done():
            self._then.set_result(rows)

    @property
    def halved(self) -> bool:
        """True when the rows are written in two halves (known once the first half is
        handed out)."""
        return self._halved

    @property
    def then_written(self) -> bool:
        """True when the rows handed to `then` were written (once `join` returned)."""
        return self.error is None and self._then_done

    def join(self, checks: Future[Any] | None = None) -> None:
        """Wait for the COPY (and what followed it) to finish; the session is the
        caller's again. With two halves, once the checks (`checks`, a future report) find
        problems, both COPYs are stopped: the batch is rejected for them, and a sample id
        repeated across the halves would have each COPY wait for the other's end."""
        self.end()
        self.then(None)
        half = self._half
        if half is not None and checks is not None:
            while self._thread.is_alive() or half.running:
                try:
                    report = checks.result(timeout=0.005)
                except TimeoutError:
                    continue
                except Exception:
                    report = None
                if report is None or not report.ok:
                    self.stop()
                break
        self._thread.join()
        if half is not None:
            half.join()
            if self.error is None and half.error is not None:
                self.error = half.error

    def stop(self) -> None:
        """With two halves, stop both COPYs now: the batch is not written (it is rejected,
        or its reading failed), and a sample id repeated across the halves would have
        each COPY wait for the other's end. With one COPY, nothing: it ends with the rows
        it was handed."""
        if self._half is None or not self._halved:
            return
        with contextlib.suppress(Exception):  # a connection lost ends its COPY anyway
            self._half.cancel()
            if self._thread.is_alive():
                repository.cancel(self.session)

    def close(self) -> None:
        """Give the sequences' connections back (see `_ids_done`)."""
        self._tubes.close()
        self._ids_done()

    def _ids_done(self) -> None:
        """Give the samples' sequence connection back; after a large COPY, it first
        flushes the log they wrote, while the batch's writing goes on."""
        self._ids.close(flush_log=self.error is None
                        and self.written.rows >= repository.RESERVED_FROM)

    def check(self, batch: ParsedBatch) -> None:
        """Fail loudly if the rows written early are not the parse's first rows."""
        written, rows = self.written, self.written.rows
        if not rows or self.error is not None:
            return
        same = (np.array_equal(np.concatenate(written.tube_index), batch.tube_of_row[:rows])
                and np.array_equal(np.concatenate(written.resident_id),
                                   batch.resident_id[:rows])
                and np.array_equal(np.concatenate(written.collected_at),
                                   batch.collected_at[:rows]))
        if not same:
            raise RuntimeError("the sample rows written while reading differ from the "
                               "batch's parse")

    def _look_up(self, split: bool) -> bool | None:
        """Read the merged records and decide where the residents are read: apart
        (True) when this transaction has not written yet, else on the session before the
        COPY (another connection would not see the same residents); None when the
        lookups failed."""
        session = self.session
        try:
            self.merges.set_result(people.merge_pointers(session))
            # Before this transaction writes, a connection of its own sees the same
            # residents: there they are read beside the COPY.
            batch = self.table.metadata.tables["lab_batch"]
            # A batch written in two halves holds an advisory lock on its new id for as
            # long as its transaction lasts (see halves.recover), and waits for a lock
            # at most as long as its second half does.
            fresh, self.batch_id = session.execute(sa.text(
                "SELECT txid_current_if_assigned() IS NULL, "
                "nextval(pg_get_serial_sequence(:batch, 'id'))" if not split else
                "SELECT fresh, n FROM (SELECT txid_current_if_assigned() IS NULL, "
                "nextval(pg_get_serial_sequence(:batch, 'id'))) AS s(fresh, n), "
                "pg_advisory_xact_lock(CAST(:lock AS integer), CAST(n AS integer)), "
                "set_config('lock_timeout', :wait, true)"),
                {"batch": batch.name, **({"lock": halves.LOCK_CLASS,
                                          "wait": halves.LOCK_WAIT} if split else {})}).one()
        except BaseException as exc:  # handed to the reading thread
            for future in (self.merges, self.residents, self.beside):
                if not future.done():
                    future.set_exception(exc)
            return None
        return bool(fresh)

    def _run(self) -> None:
        session, savepoint = self.session, self._savepoint
        if savepoint is None:
            return  # the lookups failed: nothing is written early
        try:
            if self._residents_here:
                self.residents.set_result(people_columns.resident_ids(session))
                self.beside.set_result(self._read_beside(session))
            repository.copy_bodies(session, self.table.name, repository.quoted(SAMPLE_COLUMNS),
                                   iter(self._queue.get, None))
            self._ids_done()
            after = self._then.result()
            if after is not None:
                after.write(session)
                self._then_done = True
                # The log those rows wrote is flushed while the batch's writing goes on.
                self._tubes.ahead.close(flush_log=self.written.rows >= repository.RESERVED_FROM)
            savepoint.commit()
        except BaseException as exc:  # raised when the batch is written
            # Residents read here and not yet given: the reading thread waits for them.
            # (Read apart, they are the other thread's to give.)
            if self._residents_here:
                for future in (self.residents, self.beside):
                    if not future.done():
                        future.set_exception(exc)
            savepoint.rollback()
            self.error = exc

    def _apart(self, tube_ids: Callable[[], repository.IdsApart],
               sample_ids: Callable[[], repository.IdsApart], residents: bool) -> None:
        """The work beside the session's connection: the sequences' connections, then
        (when `residents`) every resident id on a connection of its own."""
        self._tubes.ahead.open(tube_ids)
        self._ids.open(sample_ids)
        if self._half is not None:
            first = self._ids.first()
            if first is None:
                self._half.skip()
            else:
                self._half.open(first)
        if not residents:
            return
        try:
            with Session(bind=self.session.get_bind().engine) as apart:
                self.residents.set_result(people_columns.resident_ids(apart))
                self.beside.set_result(self._read_beside(apart))
        except BaseException as exc:  # handed to whoever waits for them
            for future in (self.residents, self.beside):
                if not future.done():
                    future.set_exception(exc)


class TubeNumbers:
    """Tubes numbered in order of first appearance across blocks, each given a new id."""

    def __init__(self, ids: IdsAhead) -> None:
        self.ahead = ids
        self._number: dict[str, int] = {}
        self.ids: IntArray = np.zeros(0, dtype=np.int64)

    def number(self, tube_code: pa.Array) -> IntArray:
        """Each row's tube number (the tubes new in this block get numbers and ids)."""
        local, heads = engine.group_codes(tube_code)
        known = self._number
        numbers = np.fromiter((known.setdefault(h, len(known)) for h in heads.to_pylist()),
                              dtype=np.int64, count=len(heads))
        new = len(known) - len(self.ids)
        if new:
            self.ids = np.concatenate([self.ids, self.ahead.take(new)])
        return numbers[local]

    def rest(self, tubes: int) -> IntArray:
        """Ids for every tube of a batch of `tubes`, those met early keeping theirs."""
        more = tubes - len(self.ids)
        return np.concatenate([self.ids, self.ahead.take(more)]) if more > 0 else self.ids

    def close(self) -> None:
        """Give the sequence's connection back."""
        self.ahead.close()


class IdsAhead:
    """New ids for a batch's rows, reserved on a connection of their own as many as the
    batch is expected to have rows, by the thread that opens it (`open`). Those left over
    are skipped, as a rolled back batch's are. A batch with more rows reserves what it
    lacks when it needs them; with `grow`, at least as many again as it was given so
    far, for a count judged roughly (a batch's tubes), in a few steps."""

    def __init__(self, expected: int, grow: bool = False) -> None:
        self._apart: repository.IdsApart | None = None
        self._expected = expected
        self._grow = grow
        self._given = 0
        self._reserved: Future[IntArray] = Future()
        self._ready: IntArray | None = None
        self._first: int | None = None

    def open(self, open_ids: Callable[[], repository.IdsApart]) -> None:
        """Open the connection (`open_ids`) and reserve the expected ids; whatever it
        raises is raised to whoever takes ids next."""
        try:
            self._apart = open_ids()
            reserved = self._apart.reserve(self._expected)
            self._first = int(reserved[0]) if len(reserved) else None
            self._reserved.set_result(reserved)
        except BaseException as exc:
            self._reserved.set_exception(exc)

    def first(self) -> int | None:
        """The first id `take` hands out, once reserved (None when the reserving failed or
        gave none)."""
        self._reserved.exception()
        return self._first

    def take(self, count: int) -> IntArray:
        """count new ids (waiting for those being reserved)."""
        ready = self._reserved.result() if self._ready is None else self._ready
        if len(ready) < count:  # more rows than expected
            assert self._apart is not None  # opened, as the reserving succeeded
            lacking = count - len(ready)
            more = max(lacking, self._given) if self._grow else lacking
            ready = np.concatenate([ready, self._apart.reserve(more)])
        taken, self._ready = ready[:count], ready[count:]
        self._given += count
        return taken

    def close(self, flush_log: bool = False) -> None:
        """Give the connection back, once the reserving is done; with `flush_log`, in a
        thread, once the connection has had the log flushed (`IdsApart.flush_log`).
        Closing again does nothing."""
        self._reserved.exception()  # the opening is over
        apart, self._apart = self._apart, None
        if apart is None:
            return
        if not flush_log:
            apart.close()
            return

        def flush() -> None:
            try:
                apart.flush_log()
            finally:
                apart.close()

        threading.Thread(target=flush, name="early-log-flush", daemon=True).start()


class _Failed:
    """What the reading raised, for the thread that takes the blocks."""

    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class ReadAhead:
    """An iterator's items (a CSV's blocks) made by a thread of their own, at most `depth`
    ahead of their use; what it raises is raised where they are taken. `close` stops it
    whatever was taken."""

    _END = object()

    def __init__(self, items: Iterator[Any], depth: int = BLOCKS_AHEAD) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(items,), daemon=True,
                                        name="read-ahead")
        self._thread.start()

    def _run(self, items: Iterator[Any]) -> None:
        try:
            for item in items:
                if self._stop.is_set():
                    return
                self._queue.put(item)
        except BaseException as exc:  # raised to the taker
            self._queue.put(_Failed(exc))
            return
        self._queue.put(self._END)

    def __iter__(self) -> Iterator[Any]:
        while (item := self._queue.get()) is not self._END:
            if isinstance(item, _Failed):
                raise item.exc
            yield item

    def close(self) -> None:
        """Stop the reading (when its items are no longer wanted) and wait for it."""
        self._stop.set()
        repository.drained(self._thread, self._queue)
