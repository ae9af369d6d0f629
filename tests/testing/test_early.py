"""Samples written while a CSV batch is still read (PostgreSQL): the same rows and tubes
as when written after it, and nothing kept of a batch rejected after its first blocks.

The blocks are made small, so that a few lines make several of them; on SQLite nothing
is written before the whole file is read.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.db import make_engine
from epidesk.migrate import upgrade
from epidesk.people.models import Resident
from epidesk.synth.city.service import build_city
from epidesk.testing.ingest import early, repository
from epidesk.testing.ingest import engine as checks
from epidesk.testing.ingest import service as ingesting
from epidesk.testing.models import Sample, Tube
from tests.factories import tiny_city
from tests.testing import tables
from tests.testing.batches import NOW, csv_bytes, pool, preset, single, small_blocks
from tests.testing.batches import ingest_rows as ingest


@pytest.fixture
def blocks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Small blocks; the rows of each block handed to the early COPY, in order."""
    small_blocks(monkeypatch)
    handed: list[int] = []
    real = early.EarlySamples.add

    def add(self: early.EarlySamples, part: Any) -> None:
        handed.append(len(part.resident_id))
        real(self, part)

    monkeypatch.setattr(early.EarlySamples, "add", add)
    return handed


def written(session: Session) -> dict[str, tuple[str, int]]:
    """Each sample's tube code and resident."""
    return {code: (tube, resident) for code, tube, resident in session.execute(
        select(Sample.code, Tube.code, Sample.resident_id).join(Tube, Tube.id == Sample.tube_id))}


def test_tubes_that_span_blocks_and_come_back_keep_one_id(
        db: Session, backend: str, blocks: list[int]) -> None:
    people = [r.id for r in tiny_city(db).residents.values()]
    first, second = pool("P1", people[:5]), pool("P2", people[5:10])
    rows = [*first[:2], single("S1", people[10]), *second, *first[2:]]
    result = ingest(db, rows, "spread.csv")
    assert result.accepted, result.report
    assert written(db) == {r["sample_id"]: (r["tube_id"], r["resident_id"]) for r in rows}
    codes = db.scalars(select(Tube.code).where(Tube.batch_id == result.batch.id)).all()
    assert sorted(codes) == sorted({r["tube_id"] for r in rows})
    if backend == "postgresql":
        assert len(blocks) >= 3 and sum(blocks) == len(rows)  # every line went early
    else:
        assert blocks == []


@pytest.mark.parametrize("late", ["collected_at", "resident_id"])
def test_a_bad_value_after_the_first_blocks_rejects_the_batch_whole(
        db: Session, backend: str, blocks: list[int], late: str) -> None:
    # A bad time is met by the parse of a block (the early rows stop there); a resident id
    # the CSV reader's integers refuse stops the reading itself (the file is read again
    # whole, as text, to say where).
    people = [r.id for r in tiny_city(db).residents.values()]
    before = tables.table_counts(db)
    rows = [single(f"S{i}", people[i]) for i in range(11)]
    rows[-1][late] = "yesterday" if late == "collected_at" else "17x"
    result = ingest(db, rows, f"late-{late}.csv")
    assert not result.accepted
    assert [(p.line, p.column) for p in result.report.problems] == [(12, late)]
    assert tables.table_counts(db) == {**before, "lab_batch": before["lab_batch"] + 1}
    assert (sum(blocks) > 0) == (backend == "postgresql")


def test_a_sample_id_taken_before_fails_the_early_copy_and_is_reported(
        db: Session, backend: str, blocks: list[int]) -> None:
    people = [r.id for r in tiny_city(db).residents.values()]
    assert ingest(db, [single("S5", people[0])], "one.csv").accepted
    before = tables.table_counts(db)
    rows = [single(f"S{i}", people[i + 1], tube=f"U{i}") for i in range(10)]
    result = ingest(db, rows, "two.csv")
    assert not result.accepted
    assert [(p.line, p.column, p.kind) for p in result.report.problems] == [
        (7, "sample_id", "sample_exists")]
    assert tables.table_counts(db) == {**before, "lab_batch": before["lab_batch"] + 1}
    # The session is whole again: the next batch goes in.
    assert ingest(db, [single("S20", people[0])], "three.csv").accepted


@pytest.mark.parametrize("backend_name", ["sqlite", "postgresql"])
def test_a_new_transaction_reads_the_residents_beside_the_copy(
        backend_name: str, fresh_database, tmp_path: Path,  # type: ignore[no-untyped-def]
        blocks: list[int]) -> None:
    # A session that has written nothing yet reads every resident id on a connection of
    # its own while its samples are copied; the checks still see every resident.
    url = fresh_database(backend_name)
    engine = make_engine(url)
    try:
        upgrade(engine)
        with Session(engine) as session:
            build_city(session, people=300, seed=3)
            session.commit()
            people = np.asarray(session.scalars(select(Resident.id).order_by(Resident.id))
                                .all(), dtype=np.int64).tolist()
        rows = [*pool("P1", people[:10]), *[single(f"S{i}", people[20 + i])
                                            for i in range(20)]]
        with Session(engine) as session:
            assert ingest(session, rows, "fresh.csv").accepted
            session.commit()
        with Session(engine) as session:
            unknown = [single("X1", people[50]), single("X2", 10**8)]
            result = ingest(session, unknown, "unknown.csv")
            assert [(p.line, p.kind) for p in result.report.problems] == [
                (3, "unknown_resident")]
            session.commit()
            assert session.scalar(select(sa.func.count()).select_from(Sample)) == len(rows)
        assert (sum(blocks) == len(rows) + 2) == (backend_name == "postgresql")
    finally:
        engine.dispose()


@pytest.mark.parametrize("expected", [0, 4, 1_000])
def test_samples_written_early_keep_ids_the_database_never_gives_again(
        db: Session, backend: str, blocks: list[int], monkeypatch: pytest.MonkeyPatch,
        expected: int) -> None:
    # The early rows carry ids taken ahead from the sample sequence, however far the
    # batch's size was misjudged; a sample added later, numbered by the database itself,
    # gets an id none of them has.
    monkeypatch.setattr(early, "expected_rows", lambda content: expected)
    people = [r.id for r in tiny_city(db).residents.values()]
    rows = [*pool("P1", people[:5]), single("S1", people[5]), *pool("P2", people[6:11])]
    result = ingest(db, rows, "ids.csv")
    assert result.accepted, result.report
    ids = db.scalars(select(Sample.id)).all()
    assert len(ids) == len(set(ids)) == len(rows)
    assert written(db) == {r["sample_id"]: (r["tube_id"], r["resident_id"]) for r in rows}
    tube = db.scalars(select(Tube.id)).first()
    later = Sample(code="LATER-1", tube_id=tube, resident_id=people[0], collected_at=NOW)
    db.add(later)
    db.flush()
    assert later.id not in ids
    assert (sum(blocks) == len(rows)) == (backend == "postgresql")


def test_a_large_early_copy_has_its_log_flushed_beside_the_rest_of_the_writing(
        db: Session, backend: str, blocks: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    # Once the samples are copied, a connection of their own commits, which flushes the
    # log they wrote while the tubes are written; once the tubes are, theirs does the
    # same while the rest is written: the batch's commit waits for less.
    monkeypatch.setattr(repository, "RESERVED_FROM", 1)
    flushed: list[tuple[str, str]] = []
    real = repository.IdsApart.flush_log

    def flush_log(self: repository.IdsApart) -> None:
        flushed.append((threading.current_thread().name, self._sequence))
        real(self)

    monkeypatch.setattr(repository.IdsApart, "flush_log", flush_log)
    people = [r.id for r in tiny_city(db).residents.values()]
    rows = [*pool("P1", people[:5]), single("S1", people[5])]
    result = ingest(db, rows, "flushed.csv")
    assert result.accepted, result.report
    for thread in threading.enumerate():
        if thread.name == "early-log-flush":
            thread.join()
    assert sorted(flushed) == ([("early-log-flush", "public.sample_id_seq"),
                                ("early-log-flush", "public.tube_id_seq")]
                               if backend == "postgresql" else [])
    assert written(db) == {r["sample_id"]: (r["tube_id"], r["resident_id"]) for r in rows}


def test_samples_written_after_the_reading_bring_ids_reserved_for_them(
        db: Session, backend: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A Parquet file's samples are written once it is read, with ids reserved as one
    # range on PostgreSQL; every id differs, and the database never gives them again.
    monkeypatch.setattr(repository, "RESERVED_FROM", 1)
    reserved: list[int] = []
    real = repository.IdsApart.reserve

    def reserve(self: repository.IdsApart, count: int) -> np.ndarray:
        reserved.append(count)
        return real(self, count)

    monkeypatch.setattr(repository.IdsApart, "reserve", reserve)
    people = [r.id for r in tiny_city(db).residents.values()]
    rows = [*pool("P1", people[:5]), single("S1", people[5]), *pool("P2", people[6:11])]
    sink = pa.BufferOutputStream()
    pq.write_table(checks.read_table(csv_bytes(rows), "csv"), sink)
    result = ingesting.ingest_batch(db, content=sink.getvalue().to_pybytes(),
                                    filename="ids.parquet", received_by="lab-clerk", now=NOW,
                                    preset=preset())
    assert result.accepted, result.report
    ids = db.scalars(select(Sample.id)).all()
    assert len(ids) == len(set(ids)) == len(rows)
    assert written(db) == {r["sample_id"]: (r["tube_id"], r["resident_id"]) for r in rows}
    later = Sample(code="LATER-2", tube_id=db.scalars(select(Tube.id)).first(),
                   resident_id=people[0], collected_at=NOW)
    db.add(later)
    db.flush()
    assert later.id not in ids
    assert reserved == ([len(rows)] if backend == "postgresql" else [])


class _Sequence:
    """Stands for a sequence's connection: consecutive ids, failing on a chosen call."""

    # Reserved at once or taken one at a time, the ids are the same here.

    def __init__(self, fail_on: int = 0) -> None:
        self.top, self.calls, self.fail_on, self.closed = 0, 0, fail_on, False

    def reserve(self, count: int) -> np.ndarray:
        self.calls += 1
        if self.calls == self.fail_on:
            raise RuntimeError("the connection was lost")
        self.top += count
        return np.arange(self.top - count + 1, self.top + 1, dtype=np.int64)

    def close(self) -> None:
        self.closed = True


def _ahead(sequence: _Sequence, expected: int, grow: bool = False) -> early.IdsAhead:
    """Ids reserved ahead from the sequence, opened in a thread as the early rows' are."""
    ahead = early.IdsAhead(expected, grow=grow)
    threading.Thread(target=ahead.open, args=(lambda: sequence,)).start()
    return ahead


def test_ids_reserved_ahead_come_in_order_and_the_rest_when_the_batch_is_longer() -> None:
    sequence = _Sequence()
    ahead = _ahead(sequence, 10)
    taken = [ahead.take(n) for n in (3, 0, 4, 9, 2)]
    ahead.close()
    assert np.array_equal(np.concatenate(taken), np.arange(1, 19))
    assert [len(t) for t in taken] == [3, 0, 4, 9, 2] and sequence.closed
    assert sequence.calls == 3  # the expected ten at once, then what each longer take lacked


def test_ids_reserved_ahead_for_a_rough_count_grow_in_a_few_steps() -> None:
    # A batch's tubes are judged roughly: short of ids, at least as many again as were
    # given so far are reserved, so 1,000 ids come in a few steps, not one per take.
    sequence = _Sequence()
    ahead = _ahead(sequence, 10, grow=True)
    taken = [ahead.take(25) for _ in range(40)]
    ahead.close()
    assert np.array_equal(np.concatenate(taken), np.arange(1, 1001))
    assert sequence.calls <= 8 and sequence.top < 2 * 1000


def test_ids_reserved_ahead_raise_what_the_sequence_raised() -> None:
    sequence = _Sequence(fail_on=1)
    ahead = _ahead(sequence, 10_000)
    with pytest.raises(RuntimeError, match="connection was lost"):
        ahead.take(5)
    ahead.close()
    assert sequence.closed


def test_a_batch_whose_transaction_took_a_sample_id_before_is_still_written(
        db: Session, backend: str) -> None:
    # The transaction holds the sample sequence (a sample numbered by the database), so
    # the early rows' ids cannot be reserved as a range: they are taken one at a time.
    people = [r.id for r in tiny_city(db).residents.values()]
    assert ingest(db, [single("S1", people[0])], "first.csv").accepted
    db.add(Sample(code="BY-HAND", tube_id=db.scalars(select(Tube.id)).one(),
                  resident_id=people[1], collected_at=NOW))
    db.flush()
    rows = [*pool("P1", people[2:7]), single("S2", people[7])]
    result = ingest(db, rows, "second.csv")
    assert result.accepted, result.report
    ids = db.scalars(select(Sample.id)).all()
    assert len(ids) == len(set(ids)) == len(rows) + 2


def test_the_first_lines_read_on_their_own_and_the_rest_in_blocks_make_the_whole_file(
        ) -> None:
    # Wherever the first part is cut (before, within or after the first lines, with a
    # byte-order mark and CRLF line ends), the blocks hold every line, typed alike.
    rows = [*pool("P1", list(range(1, 6))), single("S1", 6), *pool("P2", list(range(7, 12)))]
    for content in (csv_bytes(rows), b"\xef\xbb\xbf" + csv_bytes(rows).replace(b"\n", b"\r\n")):
        whole = checks.read_table(content, "csv")
        for first in range(0, len(content) + 50, 37):
            parts = list(checks.csv_blocks(content, 300, first))
            table = pa.Table.from_batches(parts).unify_dictionaries()
            assert table.column_names == whole.column_names
            assert table.to_pylist() == whole.to_pylist(), first


def test_the_lines_expected_of_a_file_follow_its_first_lines_within_a_bound() -> None:
    line = (b"S0000001,T0000001,pooled,10,1,2026-11-21T01:00+08:00,gate,Lab,"
            b"2026-11-21T09:00+08:00,negative\n")
    lines = b"sample_id,tube_id\n" + line * 5000
    assert abs(early.expected_rows(lines) - 5000) <= 5
    # Empty lines first cannot make a file expect more lines than readable ones fit.
    sparse = b"sample_id\n" + b"\n" * 70_000 + b"x" * 10_000_000
    assert early.expected_rows(sparse) == len(sparse) // early.MIN_LINE_BYTES
    assert early.expected_rows(b"sample_id,tube_id\n") == 0


def test_a_file_rejected_then_accepted_keeps_its_record_and_its_tubes_point_to_it(
        db: Session, backend: str, blocks: list[int]) -> None:
    # The tubes are written right after the early rows, with a batch id taken before the
    # file's digest is looked up; a file rejected before keeps its record all the same.
    people = [r.id for r in tiny_city(db).residents.values()]
    late = "2026-11-22T23:00:00+08:00"  # after NOW: a result from the future
    rows = [*pool("P1", people[:5], result=late), single("S1", people[5], result=late)]
    first = ingest(db, rows, "late.csv")
    assert not first.accepted
    assert [p.kind for p in first.report.problems] != []
    second = ingesting.ingest_batch(db, content=csv_bytes(rows), filename="late.csv",
                                    received_by="lab-clerk", now=NOW + timedelta(days=1),
                                    preset=preset())
    assert second.accepted, second.report
    assert second.batch.id == first.batch.id and second.batch.attempts == 2
    assert sorted(db.scalars(select(Tube.batch_id)).all()) == [first.batch.id] * 2
    assert written(db) == {r["sample_id"]: (r["tube_id"], r["resident_id"]) for r in rows}
    assert (sum(blocks) == 2 * len(rows)) == (backend == "postgresql")


def test_the_tubes_follow_the_early_rows_in_their_thread_with_the_batch_id(
        db: Session, backend: str, blocks: list[int], monkeypatch: pytest.MonkeyPatch) -> None:
    # A batch whose every line went early has its tubes written by the COPY's thread
    # right after the samples; one that did not, by the session afterwards.
    people = [r.id for r in tiny_city(db).residents.values()]
    writers: list[tuple[str, str]] = []
    real = repository.copy_bodies

    def copy_bodies(session: Session, table: str, target: str, bodies: Any) -> None:
        writers.append((table, threading.current_thread().name))
        real(session, table, target, bodies)

    monkeypatch.setattr(repository, "copy_bodies", copy_bodies)
    rows = [*pool("P1", people[:5]), single("S1", people[5]), *pool("P2", people[6:11])]
    result = ingest(db, rows, "tubes.csv")
    assert result.accepted, result.report
    assert sorted(db.scalars(select(Tube.batch_id)).all()) == [result.batch.id] * 3
    if backend == "postgresql":
        assert writers == [("sample", "early-samples"), ("tube", "early-samples")]
    else:
        assert writers == []
