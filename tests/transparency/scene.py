"""Cases written straight into the tiny city for the publication's tests, and everything
published for a day gathered in one place (pages and open data alike)."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from epidesk.cases.models import CaseEpisode, CaseEvent
from epidesk.transparency import repository, service
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


@dataclass
class Everything:
    """Every table published for a day: from each open-data file, and from the pages."""

    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # JSON files
    parquet: dict[str, Any] = field(default_factory=dict)
    pages: dict[tuple[str, str], str] = field(default_factory=dict)


def published_for(db: Session, day: date) -> Everything:
    """Everything the newest publication of a day shows: the history file of every
    table (JSON and Parquet) and every stored page in both languages."""
    publication = service.publication_of(db, day=day)
    out = Everything()
    for f in repository.files_of(db, publication.id):
        if f.scope != "history":
            continue
        if f.format == "json":
            out.tables[f.table_name] = json.loads(f.content)
        elif f.format == "parquet":
            out.parquet[f.table_name] = pq.read_table(io.BytesIO(f.content))
    from sqlalchemy import select

    from epidesk.transparency.models import PublishedPage

    for page in db.scalars(select(PublishedPage).where(
            PublishedPage.publication_id == publication.id)):
        out.pages[(page.path, page.language)] = page.body
    return out
