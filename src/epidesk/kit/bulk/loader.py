"""Writing one table, or several in foreign-key order in one transaction.

On PostgreSQL `load_tables` drops the tables' keys, indexes and foreign keys, encodes
in a background thread while copying, and rebuilds each key, index and foreign key as
soon as the tables it needs are loaded; on SQLite it writes batches table by table.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import sqlalchemy as sa
from sqlalchemy.orm import Session

from epidesk.db import is_postgres
from epidesk.kit.bulk.columns import Column, Progress
from epidesk.kit.bulk.constraints import suspend_constraints
from epidesk.kit.bulk.pgcopy import encode_chunks, tune_session_for_bulk_load, write_copy_chunks
from epidesk.kit.bulk.sqlite import insert_batches
from epidesk.kit.bulk.tables import CopyTarget, copy_target, quoted

# Encoded chunks a background encoder may hold ready ahead of the COPY.
PIPELINE_CHUNKS = 6


def copy_rows(
    session: Session,
    table: sa.Table,
    columns: Mapping[str, Column],
    *,
    progress: Progress | None = None,
) -> int:
    """Write rows given as columns into table inside the session's transaction."""
    target = copy_target(table, columns)
    if target.rows == 0:
        return 0
    if is_postgres(session):
        return write_copy_chunks(session, target, encode_chunks(target, columns),
                                 progress=progress)
    insert_batches(session, target, columns, progress)
    return target.rows


@dataclass
class LoadReport:
    """Rows written per table and where the time went.

    On PostgreSQL the source and the encoder run in a background thread while rows are
    copied and indexes rebuilt, so the phases overlap and add up to more than the wall
    time.
    """

    rows: dict[str, int] = field(default_factory=dict)
    source_seconds: float = 0.0
    encode_seconds: float = 0.0
    copy_seconds: float = 0.0
    index_seconds: float = 0.0


TableSource: TypeAlias = Iterator[tuple[str, Mapping[str, Column]]]


def load_tables(
    session: Session,
    tables: Sequence[sa.Table],
    source: TableSource,
    *,
    progress: Progress | None = None,
) -> LoadReport:
    """Write the tables that source yields, in foreign-key order, in the session's transaction.

    On PostgreSQL the keys, indexes and foreign keys of `tables` are dropped first; the
    source runs and its rows are encoded in a background thread while this thread
    copies; each table's keys and indexes are rebuilt as soon as it is loaded and each
    foreign key as soon as both its tables are. `progress` may then be called from that
    thread too. On SQLite tables are written one after the other.
    """
    by_name = {t.name: t for t in tables}
    report = LoadReport()
    if not is_postgres(session):
        for name, columns in _timed(source, report, "source_seconds"):
            started = time.perf_counter()
            report.rows[name] = copy_rows(session, _known(by_name, name), columns,
                                          progress=progress)
            report.copy_seconds += time.perf_counter() - started
        return report
    tune_session_for_bulk_load(session)
    suspended = suspend_constraints(session, tables)
    emptied = _truncate_empty(session, tables)
    pipeline = _Pipeline(source, by_name, report)
    loaded: set[str] = set()
    try:
        for target, chunks in pipeline.tables():
            started = time.perf_counter()
            report.rows[target.table.name] = write_copy_chunks(
                session, target, chunks, progress=progress,
                freeze=target.table.name in emptied)
            copied = time.perf_counter()
            loaded.add(target.table.name)
            suspended.restore_table(session, target.table.name, progress=progress)
            suspended.restore_foreign_keys(session, loaded, progress=progress)
            report.copy_seconds += copied - started
            report.index_seconds += time.perf_counter() - copied
        started = time.perf_counter()
        suspended.restore(session, progress=progress)
        _advance_id_sequences(session, [by_name[name] for name in sorted(loaded)])
        report.index_seconds += time.perf_counter() - started
    finally:
        pipeline.close()
    return report


def _advance_id_sequences(session: Session, tables: Sequence[sa.Table]) -> None:
    """Move each table's id sequence past its largest id, so later inserts get new ids.

    COPY writes ids as given and leaves the sequence alone (SQLite needs nothing: it
    takes the next id after the largest). Tables without an id sequence are skipped.
    """
    connection = session.connection()
    for table in tables:
        if "id" not in table.c:
            continue
        connection.execute(
            sa.text(f"SELECT setval(pg_get_serial_sequence(:name, 'id'), max(id)) "
                    f"FROM {quoted(session, table.name)} HAVING max(id) IS NOT NULL"),
            {"name": quoted(session, table.name)})


def _truncate_empty(session: Session, tables: Sequence[sa.Table]) -> set[str]:
    """TRUNCATE the tables that hold no row, so they can be loaded with COPY FREEZE.

    Only called once their foreign keys are suspended; tables that hold rows are left
    alone (and loaded without FREEZE).
    """
    connection = session.connection()
    empty = [t.name for t in tables if connection.execute(
        sa.select(sa.literal(1)).select_from(t).limit(1)).first() is None]
    if empty:
        connection.exec_driver_sql(
            "TRUNCATE " + ", ".join(quoted(session, name) for name in empty))
    return set(empty)


def _known(by_name: Mapping[str, sa.Table], name: str) -> sa.Table:
    table = by_name.get(name)
    if table is None:
        raise ValueError(f"the source yielded rows for {name!r}, which is not being loaded")
    return table


def _timed(items: Iterator[Any], report: LoadReport, attribute: str) -> Iterator[Any]:
    """The items of an iterator, the time spent producing them added to report.attribute."""
    while True:
        started = time.perf_counter()
        try:
            item = next(items)
        except StopIteration:
            setattr(report, attribute, getattr(report, attribute) + time.perf_counter() - started)
            return
        setattr(report, attribute, getattr(report, attribute) + time.perf_counter() - started)
        yield item


class _Stopped(Exception):
    """The consumer has gone; the producing thread ends."""


class _Pipeline:
    """A thread that runs the source and encodes its tables into a bounded queue."""

    def __init__(self, source: TableSource, by_name: Mapping[str, sa.Table],
                 report: LoadReport) -> None:
        self._source = source
        self._by_name = by_name
        self._report = report
        self._items: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=PIPELINE_CHUNKS)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._produce, name="bulk-encode", daemon=True)
        self._thread.start()

    def _put(self, kind: str, value: Any) -> None:
        while not self._stop.is_set():
            try:
                self._items.put((kind, value), timeout=0.2)
                return
            except queue.Full:
                continue
        raise _Stopped

    def _produce(self) -> None:
        try:
            for name, columns in _timed(self._source, self._report, "source_seconds"):
                target = copy_target(_known(self._by_name, name), columns)
                self._put("table", target)
                for chunk in _timed(encode_chunks(target, columns), self._report,
                                    "encode_seconds"):
                    self._put("chunk", chunk)
                self._put("end", None)
                del columns, target
            self._put("done", None)
        except _Stopped:
            return
        except BaseException as exc:  # handed over to the consumer, which raises it
            try:
                self._put("error", exc)
            except _Stopped:
                return

    def _take(self) -> tuple[str, Any]:
        kind, value = self._items.get()
        if kind == "error":
            raise value
        return kind, value

    def _chunks(self) -> Iterator[tuple[memoryview, int]]:
        while True:
            kind, value = self._take()
            if kind == "end":
                return
            yield value

    def tables(self) -> Iterator[tuple[CopyTarget, Iterator[tuple[memoryview, int]]]]:
        """Each table in turn with the iterator of its encoded chunks (consume it first)."""
        while True:
            kind, value = self._take()
            if kind == "done":
                return
            yield value, self._chunks()

    def close(self) -> None:
        """Stop the thread (if still running) and wait for it."""
        self._stop.set()
        self._thread.join()
