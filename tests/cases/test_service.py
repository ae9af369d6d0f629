"""Cases from results on both backends: episodes, re-positives, reclassification, bulletin."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session

from epidesk.cases import service
from epidesk.cases.models import CaseEpisode
from epidesk.errors import ConflictError, ValidationFailedError
from epidesk.kit.access import AreaFilter
from tests.factories import TinyCity, tiny_city
from tests.testing.batches import (
    LATER_COLLECTED,
    LATER_RESULT,
    NOW,
    csv_bytes,
    pool,
    preset,
    single,
)

DAY = date(2026, 11, 21)


@pytest.fixture
def city(db: Session) -> TinyCity:
    return tiny_city(db)


def person(city: TinyCity, key: str) -> int:
    return city.residents[key].id


def ingest(db: Session, rows: list[dict[str, Any]], name: str = "batch.csv",
           now: datetime = NOW) -> Any:
    result = service.ingest_results(db, content=csv_bytes(rows), filename=name,
                                    received_by="lab-clerk", preset=preset(), now=now)
    assert result.accepted, result.report.problems
    return result.batch


def episodes(db: Session) -> list[CaseEpisode]:
    return db.query(CaseEpisode).order_by(CaseEpisode.id).all()


def test_a_positive_single_tube_opens_an_asymptomatic_episode(db: Session, city: TinyCity):
    batch = ingest(db, [single("S1", person(city, "li_na"), outcome="positive", ct=(22, 24))])
    assert batch.cases_created == 1
    [case] = episodes(db)
    assert case.resident_id == person(city, "li_na")
    assert (case.classification, case.status) == ("asymptomatic", "active")
    assert case.sampling_date == DAY and case.reported_on == DAY
    assert case.asymptomatic_on == DAY and case.confirmed_on is None
    assert case.isolation_date == DAY and case.onset_date is None
    assert case.proving_tube_id is not None and case.batch_id == batch.id
    assert case.district_id == city.districts[0].id and not case.imported
    db.refresh(case)
    diagnosed = case.diagnosed_at
    assert (diagnosed if diagnosed.tzinfo else diagnosed.replace(tzinfo=UTC)) == datetime(
        2026, 11, 21, 12, 0, tzinfo=UTC)
    detail = service.get_episode(db, case_id=case.id)
    assert [e.kind for e in detail.events] == ["reported"]
    assert "sample S1" in (detail.events[0].note or "")


def test_recorded_symptoms_make_a_confirmed_case(db: Session, city: TinyCity):
    ingest(db, [single("S1", person(city, "li_na"), outcome="positive", ct=(22, 24),
                       onset_date="2026-11-19", imported="true")])
    [case] = episodes(db)
    assert case.classification == "confirmed" and case.confirmed_on == DAY
    assert case.onset_date == date(2026, 11, 19) and case.imported
    assert case.asymptomatic_on is None


def test_negative_and_pooled_positives_open_no_case(db: Session, city: TinyCity):
    people = [r.id for r in city.residents.values()]
    batch = ingest(db, [*pool("P1", people[:5], outcome="positive", ct=(20, 20)),
                        single("S1", people[6])])
    assert batch.cases_created == 0 and episodes(db) == []


def test_a_pool_member_confirmed_by_retest_was_isolated_with_the_pool(db: Session,
                                                                      city: TinyCity):
    people = [r.id for r in city.residents.values()]
    ingest(db, pool("P1", people[:5], outcome="positive", ct=(20, 20)), name="pool.csv")
    ingest(db, [single("R1", people[2], outcome="positive", ct=(21, 22),
                       collected=LATER_COLLECTED, result=LATER_RESULT)], name="retest.csv")
    [case] = episodes(db)
    # The window counts from the pooled swab (21 Nov), not from the re-sample (22 Nov).
    assert case.sampling_date == date(2026, 11, 21) and case.reported_on == date(2026, 11, 22)
    assert case.isolation_date == DAY


def test_a_positive_within_the_window_is_the_same_infection(db: Session, city: TinyCity):
    who = person(city, "chen_jie")
    ingest(db, [single("S1", who, outcome="positive", ct=(22, 24))], name="first.csv")
    second = ingest(db, [single("S2", who, outcome="positive", ct=(30, 31),
                                collected=LATER_COLLECTED, result=LATER_RESULT)],
                    name="second.csv")
    assert second.cases_created == 0 and second.repositives_linked == 1
    [case] = episodes(db)
    assert [e.kind for e in service.get_episode(db, case_id=case.id).events] == [
        "reported", "repositive"]
    assert case.sampling_date == DAY


def test_a_positive_after_the_window_is_a_new_infection(db: Session, city: TinyCity):
    who = person(city, "chen_jie")
    ingest(db, [single("S1", who, outcome="positive", ct=(22, 24))], name="first.csv")
    later = NOW + timedelta(days=100)
    third = ingest(db, [single("S3", who, outcome="positive", ct=(22, 24),
                               collected="2027-03-01T08:00:00+08:00",
                               result="2027-03-01T18:00:00+08:00")], name="third.csv",
                   now=later)
    assert third.cases_created == 1
    assert [c.sampling_date for c in episodes(db)] == [DAY, date(2027, 3, 1)]


def test_a_positive_after_a_withdrawn_episode_opens_a_new_one(db: Session, city: TinyCity):
    who = person(city, "chen_jie")
    ingest(db, [single("S1", who, outcome="positive", ct=(22, 24))], name="first.csv")
    service.withdraw(db, case_id=episodes(db)[0].id, reason="false positive: lab mix-up",
                     actor="epi", now=NOW)
    batch = ingest(db, [single("S2", who, outcome="positive", ct=(22, 24),
                               collected=LATER_COLLECTED, result=LATER_RESULT)], name="b.csv")
    assert batch.cases_created == 1 and len(episodes(db)) == 2


def test_reclassification_keeps_both_dates(db: Session, city: TinyCity):
    ingest(db, [single("S1", person(city, "li_na"), outcome="positive", ct=(22, 24))])
    case_id = episodes(db)[0].id
    moment = NOW + timedelta(days=2)
    case = service.reclassify(db, case_id=case_id, actor="epi", on=date(2026, 11, 23),
                              onset_date=date(2026, 11, 22), preset=preset(), now=moment)
    assert case.classification == "confirmed"
    assert case.asymptomatic_on == DAY and case.confirmed_on == date(2026, 11, 23)
    assert case.onset_date == date(2026, 11, 22)
    assert [e.kind for e in service.get_episode(db, case_id=case_id).events] == [
        "reported", "reclassified"]
    with pytest.raises(ConflictError):
        service.reclassify(db, case_id=case_id, actor="epi", preset=preset(), now=moment)


def test_reclassification_dates_must_make_sense(db: Session, city: TinyCity):
    ingest(db, [single("S1", person(city, "li_na"), outcome="positive", ct=(22, 24))])
    case_id = episodes(db)[0].id
    with pytest.raises(ValidationFailedError):
        service.reclassify(db, case_id=case_id, actor="epi", on=date(2026, 11, 20),
                           preset=preset())
    with pytest.raises(ValidationFailedError):
        service.reclassify(db, case_id=case_id, actor="epi", on=date(2026, 11, 22),
                           onset_date=date(2026, 11, 23), preset=preset())


def test_withdrawal_keeps_the_case_on_record_with_its_reason(db: Session, city: TinyCity):
    ingest(db, [single("S1", person(city, "li_na"), outcome="positive", ct=(22, 24))])
    case_id = episodes(db)[0].id
    with pytest.raises(ValidationFailedError):
        service.withdraw(db, case_id=case_id, reason="no", actor="epi")
    case = service.withdraw(db, case_id=case_id, reason="false positive: contaminated plate",
                            actor="epi", now=NOW + timedelta(hours=3))
    assert case.status == "withdrawn" and case.withdrawn_by == "epi"
    assert case.withdrawal_reason == "false positive: contaminated plate"
    with pytest.raises(ConflictError):
        service.withdraw(db, case_id=case_id, reason="again and again", actor="epi")
    changes = service.events_since(db, since=NOW + timedelta(hours=1))
    assert [(e.episode_id, e.kind) for e in changes] == [(case_id, "withdrawn")]


def test_the_bulletin_of_a_past_day_is_reproducible(db: Session, city: TinyCity):
    published = NOW.replace(hour=23)
    ingest(db, [single("S1", person(city, "li_na"), outcome="positive", ct=(22, 24)),
                single("S2", person(city, "chen_jie"), outcome="positive", ct=(22, 24),
                       imported="true"),
                single("S3", person(city, "wang_fang"), outcome="positive", ct=(22, 24),
                       onset_date="2026-11-20")], name="day.csv")
    first = service.bulletin(db, day=DAY, as_of=published)
    first_csv = service.bulletin_csv(first)
    assert (first.total.local.new_asymptomatic, first.total.imported.new_asymptomatic,
            first.total.local.new_confirmed) == (1, 1, 1)
    by_code = {r.code: r.counts for r in first.rows}
    assert by_code["TD1"].local.new_asymptomatic == 1
    assert by_code["TD1"].imported.new_asymptomatic == 1
    assert by_code["TD1"].local.new_confirmed == 1
    assert by_code["TD2"].total.confirmed_total == 0

    # Later: one case withdrawn, another reclassified, a late result for the same day.
    li_na = next(c for c in episodes(db) if c.resident_id == person(city, "li_na"))
    chen = next(c for c in episodes(db) if c.resident_id == person(city, "chen_jie"))
    later = published + timedelta(days=1)
    service.withdraw(db, case_id=li_na.id, reason="false positive", actor="epi", now=later)
    service.reclassify(db, case_id=chen.id, actor="epi", on=DAY, preset=preset(), now=later)
    ingest(db, [single("S4", person(city, "zhao_lei"), outcome="positive", ct=(22, 24))],
           name="late.csv", now=later)

    assert service.bulletin_csv(service.bulletin(db, day=DAY, as_of=published)) == first_csv
    now = service.bulletin(db, day=DAY, as_of=later + timedelta(minutes=1))
    assert now.total.local.new_asymptomatic == 1  # li_na withdrawn, zhao_lei added
    assert now.total.imported.reclassified == 1
    assert now.total.imported.new_asymptomatic == 1


def test_the_bulletin_csv(db: Session, city: TinyCity):
    ingest(db, [single("S1", person(city, "li_na"), outcome="positive", ct=(22, 24))])
    text = service.bulletin_csv(service.bulletin(db, day=DAY))
    lines = text.splitlines()
    assert lines[0] == ("day,district_code,district,origin,new_confirmed,new_asymptomatic,"
                        "reclassified_asymptomatic_to_confirmed,confirmed_total")
    assert "2026-11-21,TD1,Rencheng,local,0,1,0,0" in lines
    assert lines[-2:] == ["2026-11-21,,whole city,local,0,1,0,0",
                          "2026-11-21,,whole city,imported,0,0,0,0"]
    assert service.bulletin(db, day=DAY, as_of=datetime(2026, 11, 1, tzinfo=UTC)).total.total \
        .new_asymptomatic == 0


def test_count_cases_says_how_many_exist_beyond_the_page(db: Session, city: TinyCity):
    ingest(db, [single("S1", person(city, "li_na"), outcome="positive", ct=(22, 23)),
                single("S2", person(city, "zhao_lei"), outcome="positive", ct=(22, 23))])
    listed = service.list_cases(db, limit=1)
    counted = service.count_cases(db, shown=len(listed))
    assert (counted.total, counted.more) == (2, True)
    assert service.count_cases(db, status="withdrawn").total == 0
    assert service.count_cases(db, reported_on=listed[0][0].reported_on).total == 2
    assert service.count_cases(db, area=AreaFilter()).total == 0
