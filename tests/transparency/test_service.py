"""The publication step on both backends: idempotent, versioned, files that never change,
the log of what changed and why."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.cases import service as cases
from epidesk.transparency import repository, service
from epidesk.transparency.deps import page_cache
from epidesk.transparency.models import Publication, PublicationRevision, PublishedFile
from tests.factories import TinyCity, tiny_city
from tests.transparency.published import published_for
from tests.transparency.scene import DAY, add_cases

NOON = datetime(2026, 11, 21, 12, tzinfo=UTC)


@pytest.fixture
def city(db: Session) -> TinyCity:
    page_cache.clear()
    return tiny_city(db)


def _publish(db: Session, day=DAY, at=NOON):  # type: ignore[no-untyped-def]
    return service.publish(db, day=day, actor="test", now=at)


def test_publishing_an_unchanged_day_twice_writes_nothing(db: Session, city: TinyCity):
    add_cases(db, city, district=0, reported=DAY, n=7)
    first = _publish(db)
    assert first.created and first.publication.version == 1 and first.files > 0
    files = db.scalar(select(PublishedFile.id).order_by(PublishedFile.id.desc()).limit(1))
    again = _publish(db, at=NOON + timedelta(hours=1))
    assert not again.created and again.publication.id == first.publication.id
    assert db.query(Publication).count() == 1
    assert db.scalar(select(PublishedFile.id).order_by(PublishedFile.id.desc()).limit(1)) == files


def test_a_correction_is_a_second_version_beside_the_unchanged_first(db: Session,
                                                                      city: TinyCity):
    add_cases(db, city, district=0, reported=DAY, n=7)
    first = _publish(db)
    before = {f.name: (f.digest, f.content) for f in repository.files_of(db, first.publication.id)}
    add_cases(db, city, district=1, reported=DAY, n=6)
    second = _publish(db, at=NOON + timedelta(hours=2))
    assert second.created and second.publication.version == 2
    assert second.publication.day == first.publication.day
    after = {f.name: (f.digest, f.content) for f in repository.files_of(db, first.publication.id)}
    assert after == before  # version 1's files are untouched
    v2 = service.data_file(db, day=DAY, version=2, name="cases_city_daily.json")
    rows = json.loads(v2.content)["rows"]
    assert rows[-1]["new_cases"] == 13
    v1 = service.data_file(db, day=DAY, version=1, name="cases_city_daily.json")
    assert json.loads(v1.content)["rows"][-1]["new_cases"] == 7
    # The snapshot of the day is the newest version.
    assert service.publication_of(db, day=DAY).version == 2


def test_dated_files_do_not_change_when_a_later_day_is_published(db: Session, city: TinyCity):
    add_cases(db, city, district=0, reported=DAY, n=7)
    first = _publish(db)
    before = {f.name: f.digest for f in repository.files_of(db, first.publication.id)}
    add_cases(db, city, district=0, reported=DAY + timedelta(days=1), n=8)
    later = _publish(db, day=DAY + timedelta(days=1), at=NOON + timedelta(days=1))
    assert later.created and later.publication.version == 1
    assert {f.name: f.digest for f in repository.files_of(db, first.publication.id)} == before
    history = json.loads(service.data_file(db, day=DAY + timedelta(days=1), version=1,
                                           name="cases_city_daily.json").content)
    assert [r["new_cases"] for r in history["rows"]] == [7, 8]


def test_a_withdrawn_case_is_a_revision_with_its_reason(db: Session, city: TinyCity):
    [case, *_] = add_cases(db, city, district=0, reported=DAY, n=8)
    _publish(db)
    cases.withdraw(db, case_id=case.id, reason="lab batch withdrawn", actor="test",
                   now=NOON + timedelta(hours=20))
    later = _publish(db, day=DAY + timedelta(days=1), at=NOON + timedelta(days=1))
    assert later.revisions >= 2
    revisions = db.scalars(select(PublicationRevision).where(
        PublicationRevision.publication_id == later.publication.id)).all()
    city_row = next(r for r in revisions if r.table_name == "cases_city_daily"
                    and r.column_name == "new_cases")
    assert (city_row.day, city_row.before, city_row.after) == (DAY.isoformat(), "8", "7")
    assert "1 case withdrawn" in city_row.reason_en
    assert "撤销" in city_row.reason_zh
    # The page of what changed shows it in both languages.
    everything = published_for(db, DAY + timedelta(days=1))
    assert "1 case withdrawn" in everything.pages[("/public/changes", "en")]
    assert "撤销" in everything.pages[("/public/changes", "zh")]


def test_a_late_result_explains_a_grown_sampling_day(db: Session, city: TinyCity):
    add_cases(db, city, district=0, reported=DAY, n=6)
    _publish(db)
    add_cases(db, city, district=0, reported=DAY + timedelta(days=1), sampled=DAY, n=2,
              at=NOON + timedelta(hours=20))
    later = _publish(db, day=DAY + timedelta(days=1), at=NOON + timedelta(days=1))
    revision = db.scalars(select(PublicationRevision).where(
        PublicationRevision.publication_id == later.publication.id,
        PublicationRevision.column_name == "new_cases_by_sampling_day")).one()
    assert (revision.before, revision.after) == ("6", "8")
    assert "2 cases reported later" in revision.reason_en


def test_small_district_counts_are_suppressed_in_files_and_pages(db: Session, city: TinyCity):
    for back in range(1, 6):
        add_cases(db, city, district=0, reported=DAY - timedelta(days=back), n=10)
        add_cases(db, city, district=1, reported=DAY - timedelta(days=back), n=12)
    add_cases(db, city, district=0, reported=DAY, n=3)
    add_cases(db, city, district=1, reported=DAY, n=9)
    _publish(db)
    everything = published_for(db, DAY)
    table = everything.tables["cases_by_district_daily"]
    by_code = {r["district_code"]: r for r in table["rows"] if r["day"] == DAY.isoformat()}
    small, other = by_code[city.districts[0].code], by_code[city.districts[1].code]
    assert small["new_cases"] is None and small["new_cases_note"] == "<5"
    # The other district would give the small one away from the city's total: withheld.
    assert other["new_cases"] is None and other["new_cases_note"] == "x"
    earlier = [r for r in table["rows"] if r["day"] != DAY.isoformat()]
    assert {r["new_cases"] for r in earlier} == {10, 12}
    parquet = [r for r in everything.parquet["cases_by_district_daily"].to_pylist()
               if r["day"] == DAY]
    assert {r["new_cases_note"] for r in parquet} == {"<5", "x"}
    assert all(r["new_cases"] is None for r in parquet)
    page = everything.pages[("/public/districts", "en")]
    assert "&lt;5" in page and ">3<" not in page and ">9<" not in page
    assert everything.tables["cases_city_daily"]["rows"][-1]["new_cases"] == 12


def test_mostly_suppressed_district_figures_are_published_weekly(db: Session, city: TinyCity):
    add_cases(db, city, district=0, reported=DAY - timedelta(days=1), n=2)
    add_cases(db, city, district=0, reported=DAY, n=3)
    add_cases(db, city, district=1, reported=DAY, n=4)
    _publish(db)
    everything = published_for(db, DAY)
    assert "cases_by_district_daily" not in everything.tables
    weekly = everything.tables["cases_by_district_weekly"]
    assert weekly["weekly"] and weekly["columns"][0] == "week_start"
    [first, second] = weekly["rows"]
    assert first["week_start"] == "2026-11-16"  # a Monday
    assert {first["new_cases_note"], second["new_cases_note"]} == {"x"} or {
        first["new_cases_note"], second["new_cases_note"]} == {"<5", "x"}
    assert first["new_cases"] is None and second["new_cases"] is None
    assert "cases_city_weekly" in everything.tables
    assert "(by week)" in everything.pages[("/public/districts", "en")]


def test_public_pages_name_no_resident(db: Session, city: TinyCity):
    add_cases(db, city, district=0, reported=DAY, n=6)
    _publish(db)
    everything = published_for(db, DAY)
    names = [r.name for r in city.residents.values()] + [
        r.id_number for r in city.residents.values()]
    for body in everything.pages.values():
        assert not any(name in body for name in names)
    for table in everything.tables.values():
        text = json.dumps(table, ensure_ascii=False)
        assert not any(name in text for name in names)


def test_every_page_exists_in_both_languages(db: Session, city: TinyCity):
    add_cases(db, city, district=0, reported=DAY, n=6)
    _publish(db)
    everything = published_for(db, DAY)
    paths = {p for p, _ in everything.pages}
    assert paths == {"/public", "/public/districts", "/public/changes", "/public/snapshots",
                     "/public/data", f"/public/snapshots/{DAY.isoformat()}"}
    for path in paths:
        assert 'lang="zh-Hans"' in everything.pages[(path, "zh")]
        assert 'lang="en"' in everything.pages[(path, "en")]
    assert "新增病例" in everything.pages[("/public", "zh")]


def test_a_day_that_has_not_begun_is_refused(db: Session, city: TinyCity):
    from epidesk.errors import ValidationFailedError

    with pytest.raises(ValidationFailedError, match="has not begun"):
        _publish(db, day=DAY + timedelta(days=1))
    assert db.query(Publication).count() == 0


def test_a_weekly_figure_that_moved_is_explained_by_its_days_notes(db: Session,
                                                                   city: TinyCity):
    [case, *_] = add_cases(db, city, district=0, reported=DAY - timedelta(days=1), n=3)
    add_cases(db, city, district=0, reported=DAY, n=2)
    add_cases(db, city, district=1, reported=DAY, n=20)
    _publish(db)
    cases.withdraw(db, case_id=case.id, reason="result corrected", actor="test",
                   now=NOON + timedelta(hours=20))
    later = _publish(db, day=DAY + timedelta(days=1), at=NOON + timedelta(days=1))
    revisions = db.scalars(select(PublicationRevision).where(
        PublicationRevision.publication_id == later.publication.id,
        PublicationRevision.table_name == "cases_by_district_weekly")).all()
    assert sorted((r.day, r.before, r.after) for r in revisions) == [
        ("2026-11-16", "20", "x"), ("2026-11-16", "5", "<5")]
    assert all("1 case withdrawn" in r.reason_en for r in revisions)
