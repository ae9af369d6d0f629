"""The day pages open on: today when it has data, else the latest day with reported cases
or results, said as such; on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from epidesk.cases import service as cases
from epidesk.kit.days import CHOSEN, LATEST, NO_DATA, TODAY, day_to_show, latest_day_with_data
from tests.factories import tiny_city
from tests.testing.batches import csv_bytes, single
from tests.tracing.helpers import add_case, preset

LATER = datetime(2026, 11, 30, tzinfo=UTC)


def test_an_empty_city_opens_on_today_saying_no_day_has_data(db: Session) -> None:
    shown = day_to_show(db, today=date(2026, 12, 6))
    assert (shown.day, shown.kind) == (date(2026, 12, 6), NO_DATA)
    assert shown.label == "today (no day has data yet)"


def test_the_latest_day_with_reported_cases_or_results(db: Session) -> None:
    city = tiny_city(db)
    # A case reported on 20 November; a negative result on 22 November at 23:30 city
    # time (15:30 UTC): a day of the city's, not of UTC's.
    add_case(db, city, "wang_xiulan", sampling=date(2026, 11, 20), isolation=None)
    line = single("D1", city.residents["zhao_lei"].id, collected="2026-11-22T08:00:00+08:00",
                  result="2026-11-22T23:30:00+08:00")
    assert cases.ingest_results(db, content=csv_bytes([line]), filename="d.csv",
                                received_by="lab", now=LATER, preset=preset()).accepted
    assert latest_day_with_data(db, up_to=date(2026, 12, 6)) == date(2026, 11, 22)
    assert latest_day_with_data(db, up_to=date(2026, 11, 21)) == date(2026, 11, 20)
    assert latest_day_with_data(db, up_to=date(2026, 11, 19)) is None

    later = day_to_show(db, today=date(2026, 12, 6))
    assert (later.day, later.kind) == (date(2026, 11, 22), LATEST)
    assert later.label == "the latest day with data (today, 2026-12-06, has none yet)"
    on_the_day = day_to_show(db, today=date(2026, 11, 22))
    assert (on_the_day.day, on_the_day.kind, on_the_day.label) == (
        date(2026, 11, 22), TODAY, "today")
    asked = day_to_show(db, asked=date(2026, 12, 1), today=date(2026, 12, 6))
    assert (asked.day, asked.kind) == (date(2026, 12, 1), CHOSEN)
