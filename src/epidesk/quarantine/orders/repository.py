"""Every query of orders, their changes, deliveries, events and rooms."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from epidesk.quarantine.models import (
    Facility,
    OrderEvent,
    QuarantineOrder,
    Room,
    RoomAssignment,
)

ACTIVE = "active"


def order(session: Session, order_id: int) -> QuarantineOrder | None:
    """An order with its changes and deliveries."""
    return session.scalars(select(QuarantineOrder).where(QuarantineOrder.id == order_id)
                           .options(selectinload(QuarantineOrder.changes),
                                    selectinload(QuarantineOrder.deliveries))).first()


def orders_of_resident(session: Session, resident_id: int) -> Sequence[QuarantineOrder]:
    """A resident's orders, newest first."""
    return session.scalars(select(QuarantineOrder)
                           .where(QuarantineOrder.resident_id == resident_id)
                           .options(selectinload(QuarantineOrder.changes),
                                    selectinload(QuarantineOrder.deliveries))
                           .order_by(QuarantineOrder.id.desc())).all()


def active_orders_of(session: Session, resident_ids: Sequence[int]
                     ) -> dict[int, list[QuarantineOrder]]:
    """The active orders of each given resident."""
    out: dict[int, list[QuarantineOrder]] = {}
    if not resident_ids:
        return out
    for o in session.scalars(select(QuarantineOrder).where(
            QuarantineOrder.resident_id.in_(sorted(set(resident_ids))),
            QuarantineOrder.state == ACTIVE).order_by(QuarantineOrder.id)):
        out.setdefault(o.resident_id, []).append(o)
    return out


def home_households(session: Session, day: date) -> dict[int, date]:
    """Households with an active home order in force on a day, with its earliest start."""
    rows = session.execute(
        select(QuarantineOrder.household_id, func.min(QuarantineOrder.start_on))
        .where(QuarantineOrder.form == "home", QuarantineOrder.state == ACTIVE,
               QuarantineOrder.start_on <= day, QuarantineOrder.end_on >= day)
        .group_by(QuarantineOrder.household_id)).all()
    return {int(h): since for h, since in rows}


def active_on_basis(session: Session, basis: str, basis_ids: Sequence[int]
                    ) -> Sequence[QuarantineOrder]:
    """The active orders resting on the given contacts, cases or zones."""
    if not basis_ids:
        return []
    return session.scalars(select(QuarantineOrder).where(
        QuarantineOrder.basis == basis, QuarantineOrder.basis_id.in_(sorted(set(basis_ids))),
        QuarantineOrder.state == ACTIVE)).all()


def orders(session: Session, *, state: str | None, overdue_on: date | None = None,
           resident_ids: Sequence[int] | None = None, limit: int = 100, offset: int = 0
           ) -> Sequence[QuarantineOrder]:
    """A page of orders, newest first (or, overdue ones, longest overdue first)."""
    stmt = select(QuarantineOrder)
    if state is not None:
        stmt = stmt.where(QuarantineOrder.state == state)
    if overdue_on is not None:
        stmt = stmt.where(QuarantineOrder.state == ACTIVE, QuarantineOrder.end_on < overdue_on)
        stmt = stmt.order_by(QuarantineOrder.end_on, QuarantineOrder.id)
    else:
        stmt = stmt.order_by(QuarantineOrder.id.desc())
    if resident_ids is not None:
        stmt = stmt.where(QuarantineOrder.resident_id.in_(list(resident_ids)))
    return session.scalars(stmt.limit(limit).offset(offset)).all()


def count_overdue(session: Session, *, on: date) -> int:
    """How many active orders ended before the day."""
    return int(session.scalar(select(func.count(QuarantineOrder.id)).where(
        QuarantineOrder.state == ACTIVE, QuarantineOrder.end_on < on)) or 0)


def count_active(session: Session) -> dict[str, int]:
    """Active orders per form."""
    return {f: int(n) for f, n in session.execute(
        select(QuarantineOrder.form, func.count(QuarantineOrder.id))
        .where(QuarantineOrder.state == ACTIVE).group_by(QuarantineOrder.form))}


def add_event(session: Session, o: QuarantineOrder, kind: str, at: datetime) -> None:
    """Append an order event (higher domains follow them)."""
    session.add(OrderEvent(order_id=o.id, resident_id=o.resident_id, kind=kind,
                           version=o.version, at=at))


def events_after(session: Session, position: int, limit: int = 10_000) -> Sequence[OrderEvent]:
    """Order events after a cursor position, oldest first."""
    return session.scalars(select(OrderEvent).where(OrderEvent.id > position)
                           .order_by(OrderEvent.id).limit(limit)).all()


# ------------------------------------------------------------------ rooms


def current_rooms(session: Session, resident_ids: Sequence[int]
                  ) -> dict[int, tuple[RoomAssignment, Room, Facility]]:
    """Where each given resident is now: open room assignment, room and facility."""
    if not resident_ids:
        return {}
    rows = session.execute(
        select(RoomAssignment, Room, Facility)
        .join(Room, Room.id == RoomAssignment.room_id)
        .join(Facility, Facility.id == Room.facility_id)
        .where(RoomAssignment.resident_id.in_(sorted(set(resident_ids))),
               RoomAssignment.to_at.is_(None))).all()
    return {a.resident_id: (a, r, f) for a, r, f in rows}


def open_assignments_of_order(session: Session, order_id: int) -> Sequence[RoomAssignment]:
    """The open room assignments of an order."""
    return session.scalars(select(RoomAssignment).where(
        RoomAssignment.order_id == order_id, RoomAssignment.to_at.is_(None))).all()


def room_with_facility(session: Session, room_id: int) -> tuple[Room, Facility] | None:
    """A room and its facility."""
    row = session.execute(select(Room, Facility).join(Facility, Facility.id == Room.facility_id)
                          .where(Room.id == room_id)).first()
    return (row[0], row[1]) if row else None


def people_in_room(session: Session, room_id: int, at: datetime) -> int:
    """How many people occupy a room at a moment."""
    return int(session.scalar(select(func.count(RoomAssignment.id)).where(
        RoomAssignment.room_id == room_id, RoomAssignment.from_at <= at,
        or_(RoomAssignment.to_at.is_(None), RoomAssignment.to_at > at))) or 0)


def order_kinds_in_facility(session: Session, facility_id: int) -> set[str]:
    """The kinds of order ("quarantine", "isolation") of the people in a facility now."""
    return set(session.scalars(
        select(QuarantineOrder.kind).distinct()
        .join(RoomAssignment, RoomAssignment.order_id == QuarantineOrder.id)
        .join(Room, Room.id == RoomAssignment.room_id)
        .where(Room.facility_id == facility_id, RoomAssignment.to_at.is_(None))))


def occupancy_totals(session: Session) -> tuple[int, int]:
    """(people in rooms now, beds in service of open facilities)."""
    people_now = int(session.scalar(select(func.count(RoomAssignment.id))
                                    .where(RoomAssignment.to_at.is_(None))) or 0)
    beds = int(session.scalar(select(func.coalesce(func.sum(Room.beds), 0))
                              .join(Facility, Facility.id == Room.facility_id)
                              .where(Room.in_service.is_(True),
                                     Facility.status == "open")) or 0)
    return people_now, beds
