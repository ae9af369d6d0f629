"""The tiny city with a case, for zoning's tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy.orm import Session

from epidesk.cases.models import CaseEpisode
from epidesk.tracing.models import VenueVisit
from tests.factories import TinyCity, tiny_city
from tests.tracing.helpers import add_case

SAMPLED = date(2026, 11, 20)


def day(n: int) -> date:
    """Day n after the first case's sampling day."""
    return SAMPLED + timedelta(days=n)


def scene(session: Session) -> tuple[TinyCity, CaseEpisode]:
    """The tiny city; Wang Xiulan (Willow Court, building 1, unit 1, flat 101) sampled on
    2026-11-20 after a visit to Willow Market two days before."""
    city = tiny_city(session)
    case = add_case(session, city, "wang_xiulan", sampling=SAMPLED, isolation=SAMPLED)
    assert city.venue is not None
    session.add(VenueVisit(resident_id=case.resident_id, venue_id=city.venue.id,
                           started_at=datetime(2026, 11, 18, 2, 0, tzinfo=UTC),
                           ended_at=datetime(2026, 11, 18, 3, 0, tzinfo=UTC), log_id=None))
    session.flush()
    return city, case
