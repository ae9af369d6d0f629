"""Ingesting lab batches on both backends: accepted whole, rejected whole, or no change."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError
from epidesk.kit.access import AreaFilter
from epidesk.testing import service
from epidesk.testing.ingest import repository
from epidesk.testing.ingest import service as ingesting
from epidesk.testing.models import RetestOrder, Sample, Tube
from epidesk.testing.retests import repository as retest_orders
from tests.factories import TinyCity, tiny_city
from tests.testing import tables
from tests.testing.batches import (
    LATER_COLLECTED,
    LATER_RESULT,
    NOW,
    csv_bytes,
    pool,
    preset,
    single,
)


@pytest.fixture
def city(db: Session) -> TinyCity:
    return tiny_city(db)


def ids(city: TinyCity) -> list[int]:
    return [r.id for r in city.residents.values()]


def ingest(db: Session, rows: list[dict[str, Any]], name: str = "batch.csv",
           **kwargs: Any) -> ingesting.IngestResult:
    kwargs.setdefault("preset", preset())
    return ingesting.ingest_batch(db, content=csv_bytes(rows), filename=name,
                                received_by="lab-clerk", now=NOW, **kwargs)


def test_a_good_batch_is_written_whole(db: Session, city: TinyCity):
    people = ids(city)
    rows = (pool("P1", people[:5]) + pool("P2", people[5:10], outcome="positive", ct=(25, 27))
            + [single("S1", people[10], outcome="positive", ct=(20.5, 22.0))])
    result = ingest(db, rows)
    assert result.accepted and not result.already_ingested
    batch = result.batch
    assert (batch.rows, batch.tubes, batch.pooled_tubes, batch.positive_tubes) == (11, 3, 2, 2)
    assert batch.retests_ordered == 5 and batch.problem_count == 0
    assert batch.labs == "Tinyville Lab 1" and batch.preset == "cn-9th-2022"
    assert tables.table_counts(db) == {"lab_batch": 1, "tube": 3, "sample": 11,
                                        "retest_order": 5}
    tube = db.scalars(select(Tube).where(Tube.code == "TS1")).one()
    assert (tube.kind, tube.pool_size, tube.outcome, tube.ct_orf1ab, tube.ct_n, tube.ct_e) == (
        "single", 1, "positive", 20.5, 22.0, None)
    sample = db.scalars(select(Sample).where(Sample.code == "S1")).one()
    assert sample.resident_id == people[10] and sample.tube_id == tube.id


def test_the_same_file_again_changes_nothing(db: Session, city: TinyCity):
    rows = pool("P1", ids(city)[:5])
    first = ingest(db, rows)
    before = tables.table_counts(db)
    again = ingest(db, rows, name="renamed.csv")
    assert again.already_ingested and again.accepted
    assert again.batch.id == first.batch.id
    assert tables.table_counts(db) == before


BAD_CASES = [
    ("unknown resident", lambda p: [single("S1", 987654)], 2, "resident_id", "unknown_resident"),
    ("duplicate sample id", lambda p: [single("S1", p[0]), single("S1", p[1], tube="T2")], 3,
     "sample_id", "duplicate_sample"),
    ("pool size does not match its lines", lambda p: pool("P1", p[:4], size=5), 2, "pool_size",
     "pool_size_mismatch"),
    ("pool size the preset does not validate", lambda p: pool("P1", p[:8]), 2, "pool_size",
     "pool_size_not_validated"),
    ("result before collection", lambda p: [single("S1", p[0], collected=LATER_COLLECTED)], 2,
     "result_at", "result_before_collection"),
    ("time in the future", lambda p: [single("S1", p[0], result="2027-01-01T00:00:00Z")], 2,
     "result_at", "time_in_future"),
    ("unknown outcome", lambda p: [single("S1", p[0]), single("S2", p[1], outcome="pos")], 3,
     "outcome", "unknown_outcome"),
    ("Ct out of range", lambda p: [single("S1", p[0], outcome="positive", ct=(60, 20))], 2,
     "ct_orf1ab", "ct_out_of_range"),
]


@pytest.mark.parametrize(("label", "make", "line", "column", "kind"), BAD_CASES,
                         ids=[c[0] for c in BAD_CASES])
def test_bad_input_is_reported_and_nothing_is_written(db: Session, city: TinyCity, label, make,
                                                      line, column, kind):
    good = ingest(db, pool("G1", ids(city)[5:10]), name="good.csv")
    assert good.accepted
    before = tables.table_counts(db)
    result = ingest(db, make(ids(city)))
    assert not result.accepted
    problems = [(p.line, p.column, p.kind) for p in result.report.problems]
    assert (line, column, kind) in problems, problems
    after = tables.table_counts(db)
    assert after == {**before, "lab_batch": before["lab_batch"] + 1}
    record = result.batch
    assert record.status == "rejected" and record.problem_count == result.report.total
    stored = json.loads(record.problems or "[]")
    assert {"line": line, "column": column, "kind": kind} in [
        {k: p[k] for k in ("line", "column", "kind")} for p in stored]


def test_a_rejected_file_sent_again_keeps_one_record(db: Session, city: TinyCity):
    rows = [single("S1", 987654)]
    first = ingest(db, rows)
    second = ingest(db, rows)
    assert second.batch.id == first.batch.id and second.batch.attempts == 2
    assert tables.table_counts(db)["lab_batch"] == 1


def test_sample_and_tube_ids_of_an_earlier_batch_are_refused(db: Session, city: TinyCity):
    people = ids(city)
    assert ingest(db, [single("S1", people[0])], name="one.csv").accepted
    before = tables.table_counts(db)
    result = ingest(db, [single("S2", people[1]), single("S1", people[2], tube="T-new")],
                    name="two.csv")
    assert not result.accepted
    assert [(p.line, p.column, p.kind) for p in result.report.problems] == [
        (3, "sample_id", "sample_exists")]
    assert tables.table_counts(db) == {**before, "lab_batch": before["lab_batch"] + 1}


def test_problems_found_beside_the_writing_reject_the_batch_and_roll_it_back(
        db: Session, city: TinyCity):
    people = ids(city)
    assert ingest(db, [single("S1", people[0])], name="one.csv").accepted
    before = tables.table_counts(db)
    # Every value reads, so the checks across lines run while the samples are written;
    # the sample id already taken makes the writing fail too, yet the report is the checks'.
    result = ingest(db, [single("S2", people[1]), single("S1", people[2], tube="T-new"),
                         single("S3", 987654)], name="two.csv")
    assert not result.accepted
    assert [(p.line, p.column, p.kind) for p in result.report.problems] == [
        (4, "resident_id", "unknown_resident")]
    assert tables.table_counts(db) == {**before, "lab_batch": before["lab_batch"] + 1}
    again = ingest(db, [single("S2", people[1]), single("S3", 987654)], name="three.csv")
    assert [(p.line, p.kind) for p in again.report.problems] == [(3, "unknown_resident")]
    assert tables.table_counts(db) == {**before, "lab_batch": before["lab_batch"] + 2}
    assert db.scalars(select(Sample.code).order_by(Sample.code)).all() == ["S1"]


def test_a_failure_mid_write_leaves_everything_as_before(db: Session, city: TinyCity,
                                                         monkeypatch: pytest.MonkeyPatch):
    people = ids(city)
    ingest(db, [single("S0", people[10])], name="earlier.csv")
    before = tables.table_counts(db)
    real = repository.write_rows

    def failing(session: Session, table: Any, columns: Any, progress: Any = None) -> int:
        if table.name == "retest_order":
            raise RuntimeError("disk full")
        return real(session, table, columns, progress)

    monkeypatch.setattr(repository, "write_rows", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest(db, pool("P1", people[:5], outcome="positive", ct=(20, 20)))
    assert tables.table_counts(db) == before


def test_a_positive_pool_orders_a_single_tube_retest_for_every_member(db: Session,
                                                                       city: TinyCity):
    people = ids(city)
    result = ingest(db, pool("P1", people[:5], outcome="positive", ct=(25, 26)))
    assert result.batch.retests_ordered == 5
    orders = db.scalars(select(RetestOrder).order_by(RetestOrder.resident_id)).all()
    assert sorted(o.resident_id for o in orders) == sorted(people[:5])
    assert {(o.status, o.reason) for o in orders} == {("open", "pool_positive")}
    history = service.testing_history(db, resident_id=people[0])
    assert history.state == "pool positive, retest"
    assert service.testing_history(db, resident_id=people[7]).state == "never tested"
    listed = service.list_retests(db, status="open", limit=2)
    counted = service.count_retests(db, status="open", shown=len(listed))
    assert (counted.total, counted.more) == (5, True)
    assert service.count_retests(db, status="negative").total == 0
    for community in city.communities:
        area = AreaFilter(community_ids=frozenset({community.id}))
        assert service.count_retests(db, area=area).total == len(
            service.list_retests(db, area=area, limit=500))
    assert service.count_retests(db, area=AreaFilter()).total == 0
    assert service.count_batches(db, shown=1).total == 1
    assert service.count_batches(db, status="rejected").total == 0


def test_later_single_tubes_resolve_the_retests(db: Session, city: TinyCity):
    people = ids(city)
    ingest(db, pool("P1", people[:5], outcome="positive", ct=(25, 26)), name="pool.csv")
    result = ingest(db, [
        single("R1", people[0], collected=LATER_COLLECTED, result=LATER_RESULT),
        single("R2", people[1], outcome="positive", ct=(30, 31), collected=LATER_COLLECTED,
               result=LATER_RESULT),
        single("R3", people[2], outcome="invalid", collected=LATER_COLLECTED,
               result=LATER_RESULT),
    ], name="retests.csv")
    assert result.accepted and result.batch.retests_resolved == 2
    by_resident = {o.resident_id: o for o in db.scalars(
        select(RetestOrder).where(RetestOrder.reason == "pool_positive"))}
    assert by_resident[people[0]].status == "negative"
    assert by_resident[people[1]].status == "positive"
    assert by_resident[people[2]].status == "open"
    assert by_resident[people[3]].status == "open"
    assert by_resident[people[0]].resolved_by_tube_id is not None
    # The invalid single tube asks for yet another sample.
    assert result.batch.retests_ordered == 1
    assert service.testing_history(db, resident_id=people[0]).state == "last result negative"


def test_an_order_another_batch_resolved_since_it_was_read_open_keeps_that_resolution(
        db: Session, city: TinyCity, monkeypatch: pytest.MonkeyPatch):
    # Two batches ingested at once may both find the same order open: the one written
    # second leaves it as the first resolved it, and does not count it.
    people = ids(city)
    ingest(db, pool("P1", people[:5], outcome="positive", ct=(25, 26)), name="pool.csv")
    read_open = retest_orders.open_retests(db)
    first = ingest(db, [single("R1", people[0], collected=LATER_COLLECTED,
                               result=LATER_RESULT)], name="first.csv")
    assert first.batch.retests_resolved == 1
    monkeypatch.setattr(retest_orders, "open_retests", lambda session: read_open)
    second = ingest(db, [
        single("R2", people[0], outcome="positive", ct=(30, 31), collected=LATER_COLLECTED,
               result=LATER_RESULT),
        single("R3", people[1], collected=LATER_COLLECTED, result=LATER_RESULT),
    ], name="second.csv")
    assert second.accepted and second.batch.retests_resolved == 1
    by_resident = {o.resident_id: o for o in db.scalars(
        select(RetestOrder).where(RetestOrder.reason == "pool_positive"))}
    first_tube = db.scalars(select(Tube.id).where(Tube.code == "TR1")).one()
    assert (by_resident[people[0]].status, by_resident[people[0]].resolved_by_tube_id) == (
        "negative", first_tube)
    assert by_resident[people[1]].status == "negative"


def test_positivity_follows_the_preset_per_gene(db: Session, city: TinyCity):
    people = ids(city)
    rows = [single("S1", people[0], outcome="positive", ct=(32.0, 31.0)),
            single("S2", people[1], outcome="positive", ct=(25.0, 28.0))]
    result = ingest(db, rows, preset=preset(per_gene_ct_below={"n": 30.0}))
    assert result.accepted
    outcome = dict(db.execute(select(Tube.code, Tube.outcome)).all())
    assert outcome == {"TS1": "negative", "TS2": "positive"}
    assert result.batch.positive_tubes == 1 and result.batch.reread_tubes == 1
    reported = dict(db.execute(select(Tube.code, Tube.reported_outcome)).all())
    assert reported == {"TS1": "positive", "TS2": "positive"}


def test_pool_sizes_outside_the_preset_are_refused(db: Session, city: TinyCity):
    people = ids(city)
    result = ingest(db, pool("P1", people[:3]))
    assert not result.accepted
    assert result.report.counts == {"pool_size_not_validated": 1}
    assert "validated: 5, 10, 20" in result.report.problems[0].problem


def test_a_tube_shows_only_samples_inside_the_callers_area(db: Session, city: TinyCity):
    people = ids(city)
    ingest(db, pool("P1", people[6:11]))
    tube_id = service.tube_id_of(db, code="P1")
    everyone = service.tube_detail(db, tube_id=tube_id)
    assert len(everyone.samples) == 5 and everyone.hidden_samples == 0
    pine = city.communities[1].id
    seen = service.tube_detail(db, tube_id=tube_id,
                               area=AreaFilter(community_ids=frozenset({pine})))
    assert [r.name_latin for _s, r in seen.samples] == ["Wang Fang"]
    assert seen.hidden_samples == 4
    river = city.communities[2].id
    with pytest.raises(NotFoundError):
        service.tube_detail(db, tube_id=tube_id,
                            area=AreaFilter(community_ids=frozenset({river})))


def test_unreadable_files_are_rejected(db: Session, city: TinyCity):
    result = ingesting.ingest_batch(db, content=b"PAR1garbage", filename="x.parquet",
                                    received_by="lab", preset=preset(), now=NOW)
    assert not result.accepted
    assert result.report.problems[0].kind == "unreadable_file"


def test_samples_streamed_in_many_chunks_arrive_whole(db: Session, city: TinyCity,
                                                      monkeypatch: pytest.MonkeyPatch):
    # The first chunk is a row or two, the others a few rows each.
    monkeypatch.setattr(repository, "STREAM_FIRST_CHUNK_BYTES", 40)
    monkeypatch.setattr(repository, "STREAM_CHUNK_BYTES", 150)
    people = ids(city)
    rows = [*pool("P1", people[:5]), *pool("P2", people[5:10]), single("S1", people[10])]
    assert ingest(db, rows).accepted
    written = dict(db.execute(select(Sample.code, Sample.resident_id)).all())
    assert written == {r["sample_id"]: r["resident_id"] for r in rows}
    tubes = dict(db.execute(select(Tube.code, Tube.pool_size)).all())
    assert tubes == {r["tube_id"]: r["pool_size"] for r in rows}
