"""Queries of contact decisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from epidesk.kit.bulk.reading import IntArray, member
from epidesk.tracing.models import ContactDecision, FollowUpTest


def holding(session: Session, residents: Sequence[int] | IntArray
            ) -> dict[int, ContactDecision]:
    """The decision that holds for each resident (those without one are left out)."""
    out: dict[int, ContactDecision] = {}
    stmt = select(ContactDecision).where(ContactDecision.ended_at.is_(None))
    for condition in member(session, ContactDecision.resident_id, residents):
        for row in session.scalars(stmt.where(condition).order_by(ContactDecision.id)):
            out[row.resident_id] = row
    return out


def all_holding(session: Session) -> dict[int, ContactDecision]:
    """Every decision that holds, by resident (few: a tracing run reads them whole)."""
    return {row.resident_id: row for row in session.scalars(
        select(ContactDecision).where(ContactDecision.ended_at.is_(None))
        .order_by(ContactDecision.id))}


def of_resident(session: Session, resident_id: int) -> Sequence[ContactDecision]:
    """A resident's decisions, oldest first."""
    return session.scalars(select(ContactDecision)
                           .where(ContactDecision.resident_id == resident_id)
                           .order_by(ContactDecision.decided_at, ContactDecision.id)).all()


def end(session: Session, ids: Sequence[int], *, at: datetime, reason: str) -> None:
    """Decisions stop holding."""
    if ids:
        session.execute(update(ContactDecision).where(ContactDecision.id.in_(sorted(ids)))
                        .values(ended_at=at, ended_reason=reason))


def delete_follow_up(session: Session, resident_id: int) -> None:
    """Forget a resident's follow-up plan."""
    session.execute(delete(FollowUpTest).where(FollowUpTest.resident_id == resident_id))
