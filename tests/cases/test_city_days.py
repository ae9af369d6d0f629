"""Hand-computed protocol cases: case dates are the city's days (Asia/Shanghai, UTC+8)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from tests.cases.test_service import episodes, ingest, person
from tests.factories import TinyCity, tiny_city
from tests.testing.batches import pool, single


@pytest.fixture
def city(db: Session) -> TinyCity:
    return tiny_city(db)


def test_a_swab_written_in_utc_falls_on_the_citys_day(db: Session, city: TinyCity):
    # 2026-11-20T16:15Z is 00:15 on 21 November in Shanghai; the result, 22:00Z, is
    # 06:00 on 21 November. Read as the lab's UTC dates both would be 20 November.
    ingest(db, [single("S1", person(city, "li_na"), outcome="positive", ct=(22, 24),
                       collected="2026-11-20T16:15:00Z", result="2026-11-20T22:00:00Z")])
    [case] = episodes(db)
    assert case.sampling_date == date(2026, 11, 21)
    assert case.reported_on == date(2026, 11, 21)
    assert case.asymptomatic_on == date(2026, 11, 21)
    assert case.isolation_date == date(2026, 11, 21)


def test_an_isolation_written_in_another_offset_is_the_citys_day(db: Session,
                                                                 city: TinyCity):
    # Pool result 2026-11-20T23:30-02:00 = 2026-11-21T01:30Z = 09:30 on 21 Nov in Shanghai
    # (the lab's own date: 20 Nov). Re-sample result 2026-11-22T15:00+08:00.
    people = [r.id for r in city.residents.values()]
    ingest(db, pool("P1", people[:5], outcome="positive", ct=(20, 20),
                    collected="2026-11-20T20:00:00-02:00", result="2026-11-20T23:30:00-02:00"),
           name="pool.csv")
    ingest(db, [single("R1", people[1], outcome="positive", ct=(21, 22),
                       collected="2026-11-22T07:30:00+08:00",
                       result="2026-11-22T15:00:00+08:00")], name="retest.csv")
    [case] = episodes(db)
    # Pool swab 2026-11-20T20:00-02:00 = 2026-11-21T06:00 in Shanghai.
    assert case.sampling_date == date(2026, 11, 21)
    assert case.isolation_date == date(2026, 11, 21)
    assert case.reported_on == date(2026, 11, 22)


def test_a_pool_members_window_counts_from_the_pooled_swab(db: Session, city: TinyCity):
    # Pool swabbed 2026-11-19 10:00 city time, positive at 22:00; the member's single-tube
    # re-sample was taken on 21 Nov and came back positive on 21 Nov.
    people = [r.id for r in city.residents.values()]
    ingest(db, pool("P1", people[:5], outcome="positive", ct=(20, 20),
                    collected="2026-11-19T10:00:00+08:00", result="2026-11-19T22:00:00+08:00"),
           name="pool.csv")
    ingest(db, [single("R1", people[3], outcome="positive", ct=(21, 22),
                       collected="2026-11-21T08:00:00+08:00",
                       result="2026-11-21T20:00:00+08:00")], name="retest.csv")
    [case] = episodes(db)
    assert case.sampling_date == date(2026, 11, 19)  # not 21 Nov
    assert case.isolation_date == date(2026, 11, 19)
    assert case.reported_on == date(2026, 11, 21)


def test_a_pool_and_its_retest_in_one_batch_count_from_the_pooled_swab(db: Session,
                                                                      city: TinyCity):
    people = [r.id for r in city.residents.values()]
    rows = [*pool("P1", people[:5], outcome="positive", ct=(20, 20),
                  collected="2026-11-20T09:00:00+08:00", result="2026-11-20T18:00:00+08:00"),
            single("R1", people[0], outcome="positive", ct=(21, 22),
                   collected="2026-11-21T08:00:00+08:00", result="2026-11-21T20:00:00+08:00")]
    ingest(db, rows)
    [case] = episodes(db)
    assert case.sampling_date == date(2026, 11, 20)
    assert case.isolation_date == date(2026, 11, 20)
