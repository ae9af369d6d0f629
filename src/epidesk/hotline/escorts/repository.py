"""Every query of escorted trips and treatment plans."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session

from epidesk.geography.models import Community, Subdistrict
from epidesk.hotline.escorts.rules import OPEN, SCHEDULED
from epidesk.hotline.models import EscortPlan, EscortTrip
from epidesk.kit.access import AreaFilter
from epidesk.kit.merges import Merge, repoint


def add(session: Session, row: EscortTrip | EscortPlan) -> None:
    """Store a trip or a plan."""
    session.add(row)
    session.flush()


def trip(session: Session, trip_id: int) -> EscortTrip | None:
    """One trip."""
    return session.get(EscortTrip, trip_id)


def plan(session: Session, plan_id: int) -> EscortPlan | None:
    """One treatment plan."""
    return session.get(EscortPlan, plan_id)


def _in_area(area: AreaFilter | None) -> ColumnElement[bool]:
    """Trips inside an area (a trip of no known community: city-wide readers only)."""
    if area is None or area.everywhere:
        return true()
    communities = select(Community.id).join(
        Subdistrict, Subdistrict.id == Community.subdistrict_id).where(or_(
            Community.id.in_(sorted(area.community_ids)),
            Community.subdistrict_id.in_(sorted(area.subdistrict_ids)),
            Subdistrict.district_id.in_(sorted(area.district_ids))))
    return EscortTrip.community_id.in_(communities)


def trips(session: Session, *, area: AreaFilter | None, departs_from: datetime | None = None,
          departs_before: datetime | None = None, open_only: bool = False,
          limit: int = 200) -> Sequence[EscortTrip]:
    """Trips in the area, soonest pickup first."""
    stmt = select(EscortTrip)
    if departs_from is not None:
        stmt = stmt.where(EscortTrip.departs_at >= departs_from)
    if departs_before is not None:
        stmt = stmt.where(EscortTrip.departs_at < departs_before)
    if open_only:
        stmt = stmt.where(EscortTrip.status.in_(OPEN))
    stmt = stmt.where(_in_area(area))
    return session.scalars(stmt.order_by(EscortTrip.departs_at, EscortTrip.id)
                           .limit(limit)).all()


def open_counts(session: Session, *, area: AreaFilter | None) -> dict[str, int]:
    """Trips not closed in the area, by status."""
    rows = session.execute(select(EscortTrip.status, func.count()).where(
        EscortTrip.status.in_(OPEN), _in_area(area)).group_by(EscortTrip.status)).all()
    return {str(status): int(n) for status, n in rows}


def possibly_missed(session: Session, *, area: AreaFilter | None, scheduled_before: datetime,
                    due_before: datetime, limit: int = 500) -> Sequence[EscortTrip]:
    """Trips still scheduled whose pickup passed, and trips under way whose return passed."""
    stmt = select(EscortTrip).where(or_(
        (EscortTrip.status == SCHEDULED) & (EscortTrip.departs_at <= scheduled_before),
        EscortTrip.status.in_(OPEN[1:]) & (EscortTrip.back_at <= due_before)))
    stmt = stmt.where(_in_area(area))
    return session.scalars(stmt.order_by(EscortTrip.departs_at, EscortTrip.id)
                           .limit(limit)).all()


def of_ticket(session: Session, ticket_id: int) -> Sequence[EscortTrip]:
    """A ticket's trips, latest first."""
    return session.scalars(select(EscortTrip).where(EscortTrip.ticket_id == ticket_id)
                           .order_by(EscortTrip.id.desc())).all()


def of_resident(session: Session, resident_id: int, *, limit: int = 20
                ) -> Sequence[EscortTrip]:
    """A resident's latest trips."""
    return session.scalars(select(EscortTrip).where(EscortTrip.resident_id == resident_id)
                           .order_by(EscortTrip.departs_at.desc(), EscortTrip.id.desc())
                           .limit(limit)).all()


def plans_of_resident(session: Session, resident_id: int) -> Sequence[EscortPlan]:
    """A resident's treatment plans, newest first."""
    return session.scalars(select(EscortPlan).where(EscortPlan.resident_id == resident_id)
                           .order_by(EscortPlan.id.desc())).all()


def plans_in_force(session: Session, *, first: date, last: date) -> Sequence[EscortPlan]:
    """Plans not ended whose period meets first..last."""
    return session.scalars(select(EscortPlan).where(
        EscortPlan.ended_at.is_(None), EscortPlan.starts_on <= last,
        EscortPlan.ends_on >= first).order_by(EscortPlan.id)).all()


def sessions_of(session: Session, plan_id: int) -> set[date]:
    """The session days a plan already has trips for."""
    return {d for d in session.scalars(select(EscortTrip.session_on).where(
        EscortTrip.plan_id == plan_id)) if d is not None}


def scheduled_of_plan(session: Session, plan_id: int) -> Sequence[EscortTrip]:
    """A plan's trips still waiting for a vehicle."""
    return session.scalars(select(EscortTrip).where(
        EscortTrip.plan_id == plan_id, EscortTrip.status == SCHEDULED)
        .order_by(EscortTrip.departs_at)).all()


def merge_rows(session: Session, merge: Merge) -> int:
    """Move the merged record's trips and plans to the survivor."""
    return (repoint(session, EscortTrip, "resident_id", merge)
            + repoint(session, EscortPlan, "resident_id", merge))
