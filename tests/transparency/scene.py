"""Cases written straight into the tiny city for the publication's tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy.orm import Session

from epidesk.cases.models import CaseEpisode, CaseEvent
from tests.factories import TinyCity

DAY = date(2026, 11, 21)


def add_cases(db: Session, city: TinyCity, *, district: int, reported: date,
              sampled: date | None = None, n: int = 1, at: datetime | None = None
              ) -> list[CaseEpisode]:
    """`n` active asymptomatic cases living in a district of the tiny city."""
    community = next(c for c in city.communities
                     if any(s.id == c.subdistrict_id and s.district_id == city.districts[
                         district].id for s in city.subdistricts))
    resident = next(iter(city.residents.values()))
    moment = at or datetime.combine(reported, time(4), tzinfo=UTC)
    out = []
    for _ in range(n):
        episode = CaseEpisode(
            resident_id=resident.id, classification="asymptomatic", status="active",
            sampling_date=sampled or reported, isolation_date=reported, reported_on=reported,
            diagnosed_at=moment, recorded_at=moment, asymptomatic_on=reported,
            district_id=city.districts[district].id, community_id=community.id,
            imported=False)
        episode.events.append(CaseEvent(at=moment, kind="reported", actor="test"))
        db.add(episode)
        out.append(episode)
    db.flush()
    return out
