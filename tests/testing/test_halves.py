"""A large batch's samples written in two halves on two connections (PostgreSQL with
prepared transactions allowed, as the test cluster has): the batch stands or falls whole
with the session's transaction, and a half left prepared by a process that died is
settled by the next ingest.

The blocks and the size from which a batch is split are made small, so that a few dozen
lines make two halves.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from epidesk.cases import service as cases
from epidesk.db import make_engine
from epidesk.migrate import upgrade
from epidesk.people.models import Resident
from epidesk.synth.city.service import build_city
from epidesk.testing.ingest import halves
from epidesk.testing.models import Sample, Tube
from tests.killing import kill_while_writing
from tests.testing import tables
from tests.testing.batches import NOW, csv_bytes, pool, single, small_blocks
from tests.testing.batches import ingest_rows as ingest


@pytest.fixture
def split(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Small blocks and halves; the rows handed to each second half."""
    small_blocks(monkeypatch)
    monkeypatch.setattr(halves, "SPLIT_FROM", 10)
    handed: list[int] = []
    real = halves.SecondHalf.put

    def put(self: halves.SecondHalf, body: Any) -> None:
        handed.append(len(body))
        real(self, body)

    monkeypatch.setattr(halves.SecondHalf, "put", put)
    return handed


@pytest.fixture
def city(fresh_database) -> Iterator[tuple[Engine, list[int]]]:  # type: ignore[no-untyped-def]
    """A migrated PostgreSQL database with a small city, and its residents' ids."""
    engine = make_engine(fresh_database("postgresql"))
    upgrade(engine)
    with Session(engine) as session:
        build_city(session, people=300, seed=4)
        session.commit()
        people = session.scalars(select(Resident.id).order_by(Resident.id)).all()
    yield engine, list(people)
    engine.dispose()


def prepared(engine: Engine) -> list[str]:
    """The prepared transactions of the database: their global ids, as given."""
    connection = engine.raw_connection()
    try:
        driver = connection.driver_connection
        assert driver is not None
        return [str(xid.gtrid) for xid in driver.tpc_recover()
                if xid.database == driver.info.dbname]
    finally:
        connection.close()


def written(engine: Engine) -> dict[str, tuple[str, int]]:
    """Each sample's tube code and resident, as another connection sees them."""
    with Session(engine) as session:
        return {code: (tube, resident) for code, tube, resident in session.execute(
            select(Sample.code, Tube.code, Sample.resident_id)
            .join(Tube, Tube.id == Sample.tube_id))}


def _rows(people: list[int], prefix: str = "") -> list[dict[str, Any]]:
    return [*pool(f"{prefix}P1", people[:10]),
            *[single(f"{prefix}S{i}", people[20 + i]) for i in range(30)],
            *pool(f"{prefix}P2", people[60:70])]


def test_a_large_batch_is_written_in_two_halves_and_committed_whole(
        city: tuple[Engine, list[int]], split: list[int]) -> None:
    engine, people = city
    rows = _rows(people)
    with Session(engine) as session:
        result = ingest(session, rows, "halves.csv")
        assert result.accepted, result.report
        # Before the commit: the second half waits, prepared, unseen by others.
        assert [gid for gid in prepared(engine) if halves.XID_PREFIX in gid]
        assert written(engine) == {}
        session.commit()
    assert split, "no row went to the second half"
    assert written(engine) == {r["sample_id"]: (r["tube_id"], r["resident_id"]) for r in rows}
    assert prepared(engine) == []


def test_a_batch_rejected_after_both_halves_began_leaves_nothing(
        city: tuple[Engine, list[int]], split: list[int]) -> None:
    engine, people = city
    rows = _rows(people)
    rows[-1]["resident_id"] = 10**8  # not a resident: found by the checks
    with Session(engine) as session:
        before = tables.table_counts(session)
        result = ingest(session, rows, "unknown.csv")
        assert [p.kind for p in result.report.problems] == ["unknown_resident"]
        session.commit()
        assert tables.table_counts(session) == {**before,
                                                "lab_batch": before["lab_batch"] + 1}
    assert split
    assert prepared(engine) == []


@pytest.mark.parametrize("also", [None, "outcome"])
def test_a_sample_id_in_both_halves_is_reported_without_either_waiting(
        city: tuple[Engine, list[int]], split: list[int], also: str | None) -> None:
    # Each COPY would wait for the other's end on the repeated id: the checks find the
    # repeat (or the parse another problem first) and both COPYs are stopped.
    engine, people = city
    rows = _rows(people)
    rows[-3]["sample_id"] = rows[1]["sample_id"]
    if also is not None:
        rows[-1][also] = "maybe"
    started = time.monotonic()
    with Session(engine) as session:
        before = tables.table_counts(session)
        result = ingest(session, rows, "repeated.csv")
        assert not result.accepted
        kinds = {p.kind for p in result.report.problems}
        assert kinds >= {"duplicate_sample", *(["unknown_outcome"] if also else [])}
        session.commit()
        assert tables.table_counts(session) == {**before,
                                                "lab_batch": before["lab_batch"] + 1}
    assert time.monotonic() - started < float(halves.LOCK_WAIT.removesuffix("s")) / 2
    assert split
    assert prepared(engine) == []


def test_a_sample_id_taken_before_fails_the_second_half_and_is_reported(
        city: tuple[Engine, list[int]], split: list[int]) -> None:
    engine, people = city
    with Session(engine) as session:
        assert ingest(session, [single("A1", people[100])], "earlier.csv").accepted
        session.commit()
        before = tables.table_counts(session)
    rows = _rows(people)
    rows[-2]["sample_id"] = "A1"  # in the second half
    with Session(engine) as session:
        result = ingest(session, rows, "taken.csv")
        assert [(p.line, p.column, p.kind) for p in result.report.problems] == [
            (len(rows), "sample_id", "sample_exists")]
        session.commit()
        assert tables.table_counts(session) == {**before,
                                                "lab_batch": before["lab_batch"] + 1}
    assert split
    assert prepared(engine) == []


def test_a_session_rolled_back_takes_its_second_half_back(
        city: tuple[Engine, list[int]], split: list[int]) -> None:
    engine, people = city
    with Session(engine) as session:
        assert ingest(session, _rows(people), "undone.csv").accepted
        session.rollback()
    assert split
    assert written(engine) == {}
    assert prepared(engine) == []
    # The same file goes in whole afterwards.
    with Session(engine) as session:
        assert ingest(session, _rows(people), "undone.csv").accepted
        session.commit()
    assert len(written(engine)) == len(_rows(people))


@pytest.mark.parametrize("commit", [True, False])
def test_a_half_left_prepared_is_settled_by_the_next_ingest(
        city: tuple[Engine, list[int]], split: list[int], monkeypatch: pytest.MonkeyPatch,
        commit: bool) -> None:
    # As if the process had died between its commit (or rollback) and the settling: the
    # next batch's ingest commits the half of a committed batch, rolls back the other.
    engine, people = city
    rows = _rows(people)
    with monkeypatch.context() as patched:
        patched.setattr(halves.SecondHalf, "settle", lambda self: None)
        with Session(engine) as session:
            assert ingest(session, rows, "left.csv").accepted
            session.commit() if commit else session.rollback()
    assert len(prepared(engine)) == 1
    first_half = written(engine)  # the session's half alone, or nothing
    assert (0 < len(first_half) < len(rows)) if commit else first_half == {}
    with Session(engine) as session:
        assert ingest(session, _rows(people, "B"), "next.csv").accepted
        session.commit()
    assert prepared(engine) == []
    kept = written(engine)
    assert {code for code in kept if not code.startswith("B")} == (
        {r["sample_id"] for r in rows} if commit else set())


def test_a_half_that_cannot_open_leaves_every_row_to_the_session(
        city: tuple[Engine, list[int]], split: list[int], monkeypatch: pytest.MonkeyPatch
        ) -> None:
    engine, people = city

    def refuse(self: halves.SecondHalf, first_sample_id: int) -> bool:
        raise OSError("no connection left")

    monkeypatch.setattr(halves.SecondHalf, "_open", refuse)
    rows = _rows(people)
    with Session(engine) as session:
        assert ingest(session, rows, "alone.csv").accepted
        session.commit()
    assert split == []
    assert written(engine) == {r["sample_id"]: (r["tube_id"], r["resident_id"]) for r in rows}


def test_an_ingest_killed_with_its_half_prepared_leaves_the_database_as_before(
        fresh_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # Killed once its second half is prepared: the half's rows stay unseen, and the next
    # ingest of the same file settles it (rolled back) and goes in whole.
    url = fresh_database("postgresql")
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        build_city(session, people=halves.SPLIT_FROM * 2, seed=6)
        session.commit()
        people = np.asarray(session.scalars(select(Resident.id).order_by(Resident.id))
                            .all(), dtype=np.int64)
        before = tables.table_counts(session)
    rows = [single(f"K{i}", int(resident)) for i, resident in enumerate(people)]
    path = tmp_path / "killed.csv"
    path.write_bytes(csv_bytes(rows))
    engine.dispose()

    def halfway() -> bool:
        watching = make_engine(url)
        try:
            return any(halves.XID_PREFIX in gid for gid in prepared(watching))
        finally:
            watching.dispose()

    # The killed process's second half, once prepared, waits: it is caught there.
    kill_while_writing(url, ["ingest", "results", str(path)], until=halfway, prelude=(
        "import time\nfrom epidesk.testing.ingest import halves\n"
        "copied = halves.SecondHalf._copy\n"
        "def _copy(self, driver):\n    copied(self, driver)\n    time.sleep(60)\n"
        "halves.SecondHalf._copy = _copy"))

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            assert tables.table_counts(session) == before
        assert len(prepared(engine)) == 1
        with Session(engine) as session:
            again = cases.ingest_results_file(session, path=path, received_by="test",
                                              now=NOW)
            assert again.accepted, again.report
            session.commit()
            assert tables.table_counts(session)["sample"] == before["sample"] + len(rows)
        assert prepared(engine) == []
    finally:
        engine.dispose()
