"""Queries of visit logs and the visits they hold."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.kit.bulk.reading import chunks
from epidesk.tracing.models import VenueVisit, VisitLog
from epidesk.tracing.rules import seconds_of

IntArray = NDArray[np.int64]


def log_by_digest(session: Session, digest: str) -> VisitLog | None:
    """The visit log whose file had this SHA-256 digest."""
    return session.scalars(select(VisitLog).where(VisitLog.digest == digest)).first()


def visit_log(session: Session, log_id: int) -> VisitLog | None:
    """A visit log by id."""
    return session.get(VisitLog, log_id)


def visit_logs(session: Session, *, limit: int, offset: int) -> Sequence[VisitLog]:
    """Visit logs, newest first."""
    return session.scalars(select(VisitLog).order_by(VisitLog.received_at.desc(),
                                                     VisitLog.id.desc())
                           .limit(limit).offset(offset)).all()


def existing_visits(session: Session, resident: IntArray, venue: IntArray, start: IntArray
                    ) -> tuple[IntArray, IntArray, IntArray]:
    """Which of the (resident, venue, arrival) visits are already stored."""
    wanted = set(zip(resident.tolist(), venue.tolist(), start.tolist(), strict=True))
    found_r: list[int] = []
    found_v: list[int] = []
    found_s: list[int] = []
    for chunk in chunks(resident.tolist()):
        rows = session.execute(select(VenueVisit.resident_id, VenueVisit.venue_id,
                                      VenueVisit.started_at)
                               .where(VenueVisit.resident_id.in_(chunk))).all()
        for r, v, s in rows:
            key = (r, v, seconds_of(s))
            if key in wanted:
                found_r.append(key[0])
                found_v.append(key[1])
                found_s.append(key[2])
    return (np.asarray(found_r, dtype=np.int64), np.asarray(found_v, dtype=np.int64),
            np.asarray(found_s, dtype=np.int64))


def visit_count(session: Session) -> int:
    """How many visits are stored."""
    return int(session.scalar(select(func.count()).select_from(VenueVisit)) or 0)


def visits_of(session: Session, resident_ids: Sequence[int]) -> list[tuple[int, int, Any]]:
    """(resident, venue, start) of every visit of these residents."""
    out: list[tuple[int, int, Any]] = []
    for chunk in chunks(resident_ids):
        out += [(int(r), int(v), s) for r, v, s in session.execute(
            select(VenueVisit.resident_id, VenueVisit.venue_id, VenueVisit.started_at)
            .where(VenueVisit.resident_id.in_(chunk))).all()]
    return out


def visits_at_venues(session: Session, venue_ids: Sequence[int], *, start: Any, end: Any
                     ) -> list[tuple[int, int, int, int]]:
    """(resident, venue, arrival, departure) in seconds of every visit to these venues that
    overlaps [start, end): who else was there (for the public trajectories)."""
    out: list[tuple[int, int, int, int]] = []
    for chunk in chunks(venue_ids):
        out += [(int(r), int(v), seconds_of(s), seconds_of(e)) for r, v, s, e in session.execute(
            select(VenueVisit.resident_id, VenueVisit.venue_id, VenueVisit.started_at,
                   VenueVisit.ended_at)
            .where(VenueVisit.venue_id.in_(chunk), VenueVisit.started_at < end,
                   VenueVisit.ended_at > start)).all()]
    return out
