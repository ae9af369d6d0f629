"""The public figures: kept up to date on every change, refreshed after changes that
bypassed it, rebuilt whole; published with their meaning and a minimum support."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import numpy as np
from sqlalchemy import update
from sqlalchemy.orm import Session

from epidesk.hotline import service
from epidesk.hotline.deps import public_tables
from epidesk.hotline.models import DailyStat, Ticket
from epidesk.hotline.stats import engine
from epidesk.hotline.stats import service as stats

# 2026-11-20 10:00 in Shanghai.
T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
DAY = date(2026, 11, 20)


def _ticket(db: Session, category: str = "supplies", at: datetime = T0) -> Ticket:
    return service.file_ticket(db, service.NewTicket(channel="phone", category=category,
                                                     description="x"), actor="t", at=at)


def _row(db: Session, category: str = "supplies") -> DailyStat:
    found = db.get(DailyStat, (DAY, category))
    assert found is not None
    return found


def test_the_engine_counts_and_medians() -> None:
    minute = 60_000_000
    never = engine.NEVER
    got = engine.daily_figures(
        day=np.array([5, 5, 5, 6]), category=np.array([0, 0, 0, 1]),
        received=np.array([0, 0, 0, 0]),
        responded=np.array([10 * minute, 30 * minute, never, 5 * minute]),
        response_due=np.array([20 * minute] * 4),
        resolved=np.array([never, 100 * minute, never, never]),
        resolution_due=np.array([60 * minute] * 4))
    assert got.received.tolist() == [3, 1] and got.responded.tolist() == [2, 1]
    assert got.responded_in_time.tolist() == [1, 1] and got.resolved_in_time.tolist() == [0, 0]
    assert got.median_response_minutes.tolist() == [20.0, 5.0]
    assert got.median_resolution_minutes[0] == 100.0


def test_every_change_keeps_its_day_up_to_date(db: Session) -> None:
    first = _ticket(db)
    second = _ticket(db, at=T0 + timedelta(minutes=1))
    assert (_row(db).received, _row(db).responded) == (2, 0)
    service.respond(db, ticket=first, note="on its way", actor="op", at=T0 + timedelta(minutes=30))
    service.respond(db, ticket=second, note="on its way", actor="op",
                    at=T0 + timedelta(minutes=91))
    row = _row(db)
    assert (row.responded, row.responded_in_time) == (2, 1)
    assert row.median_response_minutes == 60.0
    service.resolve(db, ticket=first, note="delivered", actor="op", at=T0 + timedelta(hours=5))
    assert (_row(db).resolved, _row(db).resolved_in_time) == (1, 1)
    assert _row(db).median_resolution_minutes == 300.0


def test_refresh_catches_changes_that_bypassed_the_upkeep_and_rebuild_agrees(db: Session
                                                                            ) -> None:
    ticket = _ticket(db)
    _ticket(db, "information", at=T0 - timedelta(days=3))
    stats.rebuild(db)
    db.execute(update(Ticket).where(Ticket.id == ticket.id).values(
        first_response_at=T0 + timedelta(minutes=10), updated_at=datetime.now(UTC)))
    assert _row(db).responded == 0
    assert stats.refresh(db) == 1
    assert (_row(db).responded, _row(db).responded_in_time) == (1, 1)
    assert stats.refresh(db) == 0
    before = [(s.day, s.category, s.received, s.responded) for s in stats.stored(db)]
    assert stats.rebuild(db) == 2
    assert [(s.day, s.category, s.received, s.responded) for s in stats.stored(db)] == before


def test_the_public_table_says_what_it_means_and_needs_ten_tickets(db: Session) -> None:
    for i in range(10):
        _ticket(db, at=T0 + timedelta(minutes=i))
    _ticket(db, "other")
    table = public_tables(db, day=DAY)[0]
    assert table.min_support == 10 and table.name == "hotline_tickets_daily"
    names = [c.name for c in table.columns]
    assert {"received", "responded_within_target", "resolved_within_target",
            "median_first_response_minutes", "median_resolution_minutes"} <= set(names)
    for column in table.columns:
        assert str(column.description)
        if column.kind == "measure":
            assert column.rests_on in names
    rows = {r[1]: dict(zip(names, r, strict=True)) for r in table.rows}
    assert rows["supplies"]["received"] == 10 and rows["other"]["received"] == 1
    assert "city day" in str(table.description) and "10 tickets" in str(table.description)
    assert public_tables(db, day=DAY - timedelta(days=30))[0].rows == []
