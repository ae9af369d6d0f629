"""Hand-computed impossible dates are refused, naming line and column (both databases)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session

from epidesk.testing.ingest import service as ingesting
from tests.factories import TinyCity, tiny_city
from tests.testing.batches import COLUMNS, NOW, csv_bytes, preset, single

WITH_ONSET = (*COLUMNS, "onset_date")


@pytest.fixture
def city(db: Session) -> TinyCity:
    return tiny_city(db)


def problems(db: Session, rows: list[dict[str, Any]], now: datetime = NOW
             ) -> list[tuple[int, str, str, str]]:
    result = ingesting.ingest_batch(db, content=csv_bytes(rows, WITH_ONSET), filename="b.csv",
                                    received_by="lab", preset=preset(), now=now)
    assert not result.accepted
    return [(p.line, p.column, p.kind, p.problem) for p in result.report.problems]


def test_an_onset_after_the_citys_today_is_refused(db: Session, city: TinyCity):
    # Now is 2026-11-22T12:00Z, 20:00 on 22 November in Shanghai: 23 November is tomorrow.
    who = city.residents["li_na"].id
    found = problems(db, [single("S1", who, outcome="positive", ct=(22, 24),
                                 collected="2026-11-22T08:00:00+08:00",
                                 result="2026-11-22T19:00:00+08:00",
                                 onset_date="2026-11-23")])
    assert [(line, column, kind) for line, column, kind, _ in found] == [
        (2, "onset_date", "onset_in_future")]
    assert "2026-11-23" in found[0][3] and "2026-11-22" in found[0][3]


def test_the_citys_today_is_not_the_utc_day(db: Session, city: TinyCity):
    # At 2026-11-22T17:00Z it is already 01:00 on 23 November in Shanghai: an onset on
    # 23 November with a swab taken at 00:30 that day is possible.
    who = city.residents["li_na"].id
    rows = [single("S1", who, outcome="positive", ct=(22, 24),
                   collected="2026-11-22T16:30:00Z", result="2026-11-22T16:55:00Z",
                   onset_date="2026-11-23")]
    result = ingesting.ingest_batch(db, content=csv_bytes(rows, WITH_ONSET), filename="b.csv",
                                    received_by="lab", preset=preset(),
                                    now=datetime(2026, 11, 22, 17, 0, tzinfo=UTC))
    assert result.accepted, result.report.problems


def test_an_onset_after_the_sampling_day_is_refused(db: Session, city: TinyCity):
    # The swab 2026-11-20T16:15Z was taken at 00:15 on 21 November city time: an onset on
    # 21 November is possible, one on 22 November (line 3) is not.
    people = [r.id for r in city.residents.values()]
    found = problems(db, [
        single("S1", people[0], outcome="positive", ct=(22, 24),
               collected="2026-11-20T16:15:00Z", result="2026-11-20T22:00:00Z",
               onset_date="2026-11-21"),
        single("S2", people[1], outcome="positive", ct=(22, 24),
               collected="2026-11-20T16:15:00Z", result="2026-11-20T22:00:00Z",
               onset_date="2026-11-22")])
    assert [(line, column, kind) for line, column, kind, _ in found] == [
        (3, "onset_date", "onset_after_sampling")]
    assert "2026-11-21" in found[0][3]


def test_a_sample_taken_before_2000_is_refused(db: Session, city: TinyCity):
    who = city.residents["li_na"].id
    found = problems(db, [single("S1", who, collected="1970-01-01T08:00:00+08:00",
                                 result="1970-01-02T08:00:00+08:00")])
    assert [(line, column, kind) for line, column, kind, _ in found] == [
        (2, "collected_at", "time_too_early")]
    assert "before 2000-01-01" in found[0][3]
