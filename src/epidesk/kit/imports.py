"""The imported-file lifecycle every import shares (lab batches, visit logs, and next
facility lists, inventory receipts and dose records):

1. digest the file and recognise a re-import: an accepted file sent again changes nothing;
2. read and validate the whole file before keeping anything;
3. reject it whole with a report naming line, column and problem, recording only the
   rejection (the same record is reused if the file is sent again);
4. otherwise write it once, in one savepoint: a unique-key conflict found by the
   database while writing rolls the writes back and becomes report lines.

An importer may finish checking the file while it writes (the checks that need no
database running beside the writes); when they find a problem its `write` raises
`Rejected`, the savepoint is rolled back and the file is rejected as in step 3. An
importer may even start writing while it reads (`WritingReader`: a lab batch's samples go
to the database as the file's blocks are read); read, checks and writes then all happen
in one savepoint, rolled back whatever ends the import other than an accepted write.

A domain describes its format with an `Importer` (read, validate, write, conflicts and
the fields of its record); `run_import` does the rest, in the caller's transaction.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Float, Integer, String, Text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from epidesk.db import UtcDateTime
from epidesk.kit import clock
from epidesk.kit.inputs import UNSTORABLE
from epidesk.kit.reports import FILE_LINE, Problem, Report

ACCEPTED = "accepted"
REJECTED = "rejected"

# The first (and last) bytes of every Parquet file.
PARQUET_MAGIC = b"PAR1"

# A service's progress callback: (step, done, total).
Progress = Callable[[str, int, int], None]


def stepper(progress: Progress | None) -> Callable[..., None]:
    """A `step(label, done=1, total=1)` function reporting to the callback, if any."""

    def step(label: str, done: int = 1, total: int = 1) -> None:
        if progress is not None:
            progress(label, done, total)

    return step


class ImportedFile:
    """Columns every imported-file record has (mix into the domain's model)."""

    id: Mapped[int]

    digest: Mapped[str] = mapped_column(String(64), unique=True)
    filename: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))  # "accepted" or "rejected"
    received_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    received_by: Mapped[str] = mapped_column(String(64))
    # How many times the file was sent (a rejected file may be sent again).
    attempts: Mapped[int] = mapped_column(Integer)
    # JSON list of {"line", "column", "kind", "problem"} for a rejected file (capped).
    problems: Mapped[str | None] = mapped_column(Text)
    # JSON object: problem kind -> how many times it occurs in the whole file.
    problem_counts: Mapped[str | None] = mapped_column(Text)
    problem_count: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)


R = TypeVar("R", bound=ImportedFile)
P = TypeVar("P")
P_co = TypeVar("P_co", covariant=True)


class Unreadable(Exception):
    """The file cannot be read as its format at all (the message says why, and where)."""

    def __init__(self, message: str, line: int = FILE_LINE, column: str = "") -> None:
        super().__init__(message)
        self.line = line
        self.column = column


def csv_fault(data: bytes | memoryview) -> Unreadable | None:
    """Where a CSV file stops being readable: the first line that is not UTF-8 text, or
    whose number of values differs from the header's; None when every line reads."""
    raw = bytes(data)
    lines = raw.split(b"\n")
    header: list[str] | None = None
    for number, line in enumerate(lines, 1):
        try:
            text = line.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\r")
        except UnicodeDecodeError as exc:
            return Unreadable(f"line {number}: byte 0x{line[exc.start]:02x} at position "
                              f"{exc.start + 1} is not UTF-8 text (save the file as UTF-8)",
                              line=number)
        if not text.strip():
            continue
        try:
            values = next(csv.reader([text]))
        except csv.Error as exc:
            return Unreadable(f"line {number}: {exc}", line=number)
        if header is None:
            header = values
            continue
        if len(values) != len(header):
            column = header[len(values)] if len(values) < len(header) else ""
            return Unreadable(f"line {number} has {len(values)} values, the header has "
                              f"{len(header)}", line=number, column=column.strip())
    return None


@dataclass(frozen=True)
class ParquetOutline:
    """What a Parquet file's footer tells before any column is read."""

    rows: int
    # The size of its columns once decoded (uncompressed), which reading will take.
    decoded_bytes: int
    # Columns holding lists, records or maps rather than one plain value per row.
    nested: tuple[str, ...]


def is_parquet(head: bytes | memoryview) -> bool:
    """Whether the bytes start as a Parquet file does."""
    return bytes(head[:4]) == PARQUET_MAGIC


def parquet_outline(data: bytes | memoryview) -> ParquetOutline:
    """Rows, decoded size and nested columns of a Parquet file, from its footer alone."""
    try:
        meta = pq.ParquetFile(pa.BufferReader(data)).metadata
        schema = meta.schema.to_arrow_schema()
    except (pa.ArrowException, OSError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise Unreadable(message) from exc
    decoded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    nested = tuple(f.name for f in schema
                   if pa.types.is_nested(f.type) or (pa.types.is_dictionary(f.type)
                                                     and pa.types.is_nested(f.type.value_type)))
    return ParquetOutline(rows=meta.num_rows, decoded_bytes=decoded, nested=nested)


def parquet_decoded_bytes(data: bytes | memoryview, stop_above: int) -> int:
    """The memory a Parquet file's columns take once read (dictionary-encoded text may
    take far more than the footer says), counted one batch of rows at a time so that no
    more than one batch is held; the count stops once above `stop_above`."""
    total = 0
    try:
        for batch in pq.ParquetFile(pa.BufferReader(data)).iter_batches(batch_size=65_536):
            total += batch.nbytes
            if total > stop_above:
                break
    except (pa.ArrowException, OSError) as exc:
        raise Unreadable(str(exc).strip().splitlines()[0] if str(exc).strip()
                         else type(exc).__name__) from exc
    return total


def nested_column(outline: ParquetOutline, file_kind: str) -> Unreadable | None:
    """The refusal of a Parquet file with a nested column (naming it), or None."""
    if not outline.nested:
        return None
    name = outline.nested[0]
    more = f" (and {len(outline.nested) - 1} more)" if len(outline.nested) > 1 else ""
    return Unreadable(f"the column {name!r}{more} holds lists or records; a {file_kind} "
                      "has one plain value (text, number, time) per column and row",
                      column=name)


class Rejected(Exception):
    """Raised by an importer's write when checks run beside the writing found problems:
    the writes are rolled back and the file is rejected with the report."""

    def __init__(self, report: Report) -> None:
        super().__init__(f"{report.total} problems")
        self.report = report


class Importer(Protocol[P, R]):
    """One file format: how to read, check and write it, and its record's own fields."""

    def find(self, session: Session, digest: str) -> R | None:
        """The record of an earlier import of the file with this digest, if any."""
        ...

    def new_record(self, digest: str) -> R:
        """A new, empty record for a file seen for the first time."""
        ...

    def read(self, session: Session, content: bytes, filename: str,
             step: Callable[..., None]) -> P:
        """Parse the whole file; raise Unreadable when it is not the format at all."""
        ...

    def unreadable(self, message: str, line: int = FILE_LINE, column: str = "") -> Report:
        """The report of a file that could not be read (at a line and column, if known)."""
        ...

    def validate(self, session: Session, parsed: P, now: datetime) -> Report:
        """Every problem of the parsed file (an empty report when it may be written)."""
        ...

    def write(self, session: Session, parsed: P, record: R, now: datetime,
              step: Callable[..., None]) -> None:
        """Fill the record's own fields and write the file's rows (raise Rejected when
        checks that ran beside the writing found problems)."""
        ...

    def conflicts(self, session: Session, parsed: P) -> Report | None:
        """Why writing hit a unique key (rows known from before), or None if unexplained."""
        ...

    def rejected(self, record: R, parsed: P | None) -> None:
        """Fill the record's own fields for a rejected file."""
        ...


@runtime_checkable
class WritingReader(Protocol[P_co]):
    """An importer that starts writing while it reads (its `read_writing` is called
    instead of `read`, inside a savepoint that is rolled back unless the file is then
    accepted and written). It returns with the session free, and leaves any database
    error of its early writing to `write` to raise."""

    def read_writing(self, session: Session, content: bytes, filename: str,
                     step: Callable[..., None], now: datetime) -> P_co:
        """Parse the whole file, writing what may be written early; raise Unreadable
        when it is not the format at all."""
        ...


@dataclass
class Imported(Generic[R]):
    """The outcome of importing one file."""

    record: R
    already_imported: bool
    report: Report = field(default_factory=Report)

    @property
    def accepted(self) -> bool:
        """True when the file's rows are (or were already) in the database."""
        return self.record.status == ACCEPTED


def run_import(session: Session, importer: Importer[P, R], *, content: bytes, filename: str,
               received_by: str, now: datetime | None = None,
               progress: Progress | None = None) -> Imported[R]:
    """Validate a file whole, then write it once, or record why it was rejected."""
    started = time.perf_counter()
    moment = (now or clock.now()).astimezone(UTC)
    step = stepper(progress)

    def reject(report: Report, parsed: P | None, existing: R | None) -> Imported[R]:
        record = existing or importer.find(session, digest) or importer.new_record(digest)
        _stamp(record, filename=filename, status=REJECTED, now=moment, received_by=received_by)
        importer.rejected(record, parsed)
        record.problems = json.dumps([p.as_dict() for p in report.problems],
                                     ensure_ascii=False)
        record.problem_counts = json.dumps(dict(report.counts))
        record.problem_count = report.total
        record.seconds = round(time.perf_counter() - started, 3)
        session.add(record)
        session.flush()
        return Imported(record=record, already_imported=False, report=report)

    # An importer that writes while it reads does so inside this savepoint, which is
    # released only once the file is accepted and written.
    early = session.begin_nested() if isinstance(importer, WritingReader) else None

    def undo_early() -> None:
        if early is not None and early.is_active:
            early.rollback()

    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            # The digest is computed while the file is read.
            digest_job = pool.submit(lambda: hashlib.sha256(content).hexdigest())
            try:
                parsed = (importer.read_writing(session, content, filename, step, moment)
                          if isinstance(importer, WritingReader)
                          else importer.read(session, content, filename, step))
            except Unreadable as exc:
                undo_early()
                digest = digest_job.result()
                found = importer.find(session, digest)
                if found is not None and found.status == ACCEPTED:
                    return Imported(record=found, already_imported=True)
                return reject(importer.unreadable(str(exc), exc.line, exc.column), None, found)
            digest = digest_job.result()
        existing = importer.find(session, digest)
        if existing is not None and existing.status == ACCEPTED:
            undo_early()
            return Imported(record=existing, already_imported=True)
        report = importer.validate(session, parsed, moment)
        step("validate")
        if not report.ok:
            undo_early()
            return reject(report, parsed, existing)
        try:
            # Written in a savepoint of its own, or in the early one, which is let go only
            # once the file is written.
            with session.begin_nested() if early is None else contextlib.nullcontext():
                record = existing or importer.new_record(digest)
                _stamp(record, filename=filename, status=ACCEPTED, now=moment,
                       received_by=received_by)
                record.problems = record.problem_counts = None
                record.problem_count = 0
                record.seconds = 0.0
                importer.write(session, parsed, record, moment, step)
                record.seconds = round(time.perf_counter() - started, 3)
                session.add(record)
                session.flush()
        except Rejected as exc:
            undo_early()
            if existing is not None:
                session.refresh(existing)
            return reject(exc.report, parsed, existing)
        except IntegrityError:
            undo_early()
            conflicts = importer.conflicts(session, parsed)
            if conflicts is None:
                raise
            if existing is not None:
                session.refresh(existing)
            return reject(conflicts, parsed, existing)
    except BaseException:
        undo_early()
        raise
    if early is not None:
        early.commit()
    return Imported(record=record, already_imported=False)


def unreadable_problem(file_kind: str, message: str, line: int = FILE_LINE,
                       column: str = "") -> Problem:
    """The one problem of a file that is not its format at all, where it was found."""
    return Problem(line, column, "unreadable_file", f"not a readable {file_kind} file: {message}")


def _stamp(record: ImportedFile, *, filename: str, status: str, now: datetime,
           received_by: str) -> None:
    record.filename = UNSTORABLE.sub("", filename)[:255]
    record.status = status
    record.received_at = now
    record.received_by = received_by[:64]
    record.attempts = (record.attempts or 0) + 1


def listed_problems(record: ImportedFile) -> list[dict[str, Any]]:
    """The problems listed on a rejected file's record."""
    return list(json.loads(record.problems)) if record.problems else []


def problem_counts(record: ImportedFile) -> dict[str, int]:
    """How many problems of each kind a rejected file had."""
    return dict(json.loads(record.problem_counts)) if record.problem_counts else {}
