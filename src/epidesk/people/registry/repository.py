"""Queries of registration: addresses without a household, document numbers in use."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.people.models import Household, Resident


def household_at(session: Session, address_id: int) -> Household | None:
    """The household living at an address, if any."""
    return session.scalars(select(Household).where(Household.address_id == address_id)).first()


def holder_of(session: Session, id_type: str, id_number: str) -> int | None:
    """The live record (not merged away) holding a document number, if any."""
    return session.scalars(
        select(Resident.id).where(Resident.id_number == id_number, Resident.id_type == id_type,
                                  Resident.merged_into_id.is_(None)).limit(1)).first()
