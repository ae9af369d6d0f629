"""Queries of recorded exposures."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.kit.bulk.reading import chunks
from epidesk.tracing.models import Exposure


def exposures_of(session: Session, resident_id: int) -> Sequence[Exposure]:
    """Recorded exposures involving a resident, newest first."""
    return session.scalars(select(Exposure).where(
        (Exposure.resident_a_id == resident_id) | (Exposure.resident_b_id == resident_id))
        .order_by(Exposure.at.desc(), Exposure.id.desc())).all()


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
