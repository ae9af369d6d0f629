"""Queries of recorded exposures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.kit.bulk.reading import chunks
from epidesk.tracing.models import Exposure


def exposures_of(session: Session, resident_id: int) -> Sequence[Exposure]:
    """Recorded exposures involving a resident, newest first."""
    return session.scalars(select(Exposure).where(
        (Exposure.resident_a_id == resident_id) | (Exposure.resident_b_id == resident_id))
        .order_by(Exposure.at.desc(), Exposure.id.desc())).all()


def places_of(session: Session, resident_ids: Sequence[int]
              ) -> list[tuple[int, int | None, int | None, datetime]]:
    """Recorded exposures of the residents that name a venue or a building: (resident,
    venue, building, when), once for each side of the exposure among the residents."""
    out: list[tuple[int, int | None, int | None, datetime]] = []
    named = (Exposure.venue_id.is_not(None)) | (Exposure.building_id.is_not(None))
    for chunk in chunks(resident_ids):
        wanted = set(chunk)
        for a, b, venue, building, at in session.execute(
                select(Exposure.resident_a_id, Exposure.resident_b_id, Exposure.venue_id,
                       Exposure.building_id, Exposure.at)
                .where(named, Exposure.resident_a_id.in_(chunk)
                       | Exposure.resident_b_id.in_(chunk))):
            out.extend((rid, venue, building, at) for rid in {a, b} if rid in wanted)
    return out


def exposure(session: Session, exposure_id: int) -> Exposure | None:
    """A recorded exposure by id."""
    return session.get(Exposure, exposure_id)


def exposures_by_id(session: Session, ids: Sequence[int]) -> dict[int, Exposure]:
    """Recorded exposures by id."""
    out: dict[int, Exposure] = {}
    for chunk in chunks(ids):
        out.update({e.id: e for e in session.scalars(select(Exposure)
                                                     .where(Exposure.id.in_(chunk)))})
    return out
