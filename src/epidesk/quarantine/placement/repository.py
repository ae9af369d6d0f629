"""Every query of placement runs, and what a run reads: orders waiting for a room, free
rooms, where districts and facilities lie."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Exists, func, select
from sqlalchemy.orm import Session, selectinload

from epidesk.geography.models import District
from epidesk.kit.merges import Merge, repoint
from epidesk.quarantine.models import (
    Facility,
    PlacementLine,
    PlacementRun,
    QuarantineOrder,
    Room,
    RoomAssignment,
)

ACTIVE, CENTRALIZED = "active", "centralized"


def _has_open_room(order_id: Any) -> Exists:
    return (select(RoomAssignment.id)
            .where(RoomAssignment.order_id == order_id, RoomAssignment.to_at.is_(None))
            .exists())


def orders_waiting(session: Session) -> list[tuple[int, int, int, str, int]]:
    """(order, resident, household, kind, version) of every active centralized order
    whose resident has no room yet."""
    rows = session.execute(
        select(QuarantineOrder.id, QuarantineOrder.resident_id, QuarantineOrder.household_id,
               QuarantineOrder.kind, QuarantineOrder.version)
        .where(QuarantineOrder.state == ACTIVE, QuarantineOrder.form == CENTRALIZED,
               ~_has_open_room(QuarantineOrder.id))
        .order_by(QuarantineOrder.household_id, QuarantineOrder.id))
    return [(int(a), int(b), int(c), str(d), int(e)) for a, b, c, d, e in rows]


def orders_state(session: Session, order_ids: Sequence[int]
                 ) -> list[tuple[int, int, str, str, bool]]:
    """(order, version, state, form, has a room) of the given orders."""
    out: list[tuple[int, int, str, str, bool]] = []
    ids = sorted(set(order_ids))
    for start in range(0, len(ids), 5_000):
        out.extend((int(a), int(b), str(c), str(d), bool(e)) for a, b, c, d, e in session.execute(
            select(QuarantineOrder.id, QuarantineOrder.version, QuarantineOrder.state,
                   QuarantineOrder.form, _has_open_room(QuarantineOrder.id))
            .where(QuarantineOrder.id.in_(ids[start:start + 5_000]))
            .order_by(QuarantineOrder.id)))
    return out


def residents_with_active_orders(session: Session, resident_ids: Sequence[int]) -> set[int]:
    """Which of the given residents are under an active order of any form."""
    ids = sorted(set(resident_ids))
    found: set[int] = set()
    for start in range(0, len(ids), 5_000):
        found.update(session.scalars(select(QuarantineOrder.resident_id).where(
            QuarantineOrder.resident_id.in_(ids[start:start + 5_000]),
            QuarantineOrder.state == ACTIVE)))
    return found


def rooms_state(session: Session, facility_ids: Sequence[int], at: datetime
                ) -> list[tuple[int, int, int, bool, bool, bool, bool, int]]:
    """(room, facility, beds, accessible, infant, carer, in service, people in it now) of
    every room of the given facilities."""
    if not facility_ids:
        return []
    occupied = (select(RoomAssignment.room_id, func.count(RoomAssignment.id).label("n"))
                .where(RoomAssignment.to_at.is_(None), RoomAssignment.from_at <= at)
                .group_by(RoomAssignment.room_id).subquery())
    rows = session.execute(
        select(Room.id, Room.facility_id, Room.beds, Room.accessible, Room.infant_suitable,
               Room.carer_suitable, Room.in_service, func.coalesce(occupied.c.n, 0))
        .outerjoin(occupied, occupied.c.room_id == Room.id)
        .where(Room.facility_id.in_(sorted(set(facility_ids))))
        .order_by(Room.facility_id, Room.id))
    return [(int(a), int(b), int(c), bool(d), bool(e), bool(f), bool(g), int(h))
            for a, b, c, d, e, f, g, h in rows]


def facilities(session: Session, facility_ids: Sequence[int]) -> Sequence[Facility]:
    """The given facilities."""
    return session.scalars(select(Facility).where(Facility.id.in_(sorted(set(facility_ids))))
                           .order_by(Facility.id)).all()


def districts(session: Session) -> list[tuple[int, int, float, float]]:
    """(district, city, latitude, longitude) of every district."""
    return [(int(a), int(b), float(c), float(d)) for a, b, c, d in session.execute(
        select(District.id, District.city_id, District.centroid_lat, District.centroid_lon))]


def add_run(session: Session, run: PlacementRun) -> PlacementRun:
    """Store a run with its lines."""
    session.add(run)
    session.flush()
    return run


def run(session: Session, run_id: int) -> PlacementRun | None:
    """A run with its lines."""
    return session.scalars(select(PlacementRun).where(PlacementRun.id == run_id)
                           .options(selectinload(PlacementRun.lines))).first()


def runs(session: Session, *, limit: int = 50, offset: int = 0) -> Sequence[PlacementRun]:
    """Runs, newest first."""
    return session.scalars(select(PlacementRun).order_by(PlacementRun.id.desc())
                           .limit(limit).offset(offset)).all()


def add_assignments(session: Session, rows: Sequence[RoomAssignment]) -> None:
    """Write room assignments."""
    session.add_all(rows)
    session.flush()


def lines_of_resident(session: Session, resident_id: int) -> Sequence[PlacementLine]:
    """A resident's lines in proposed runs, newest first."""
    return session.scalars(
        select(PlacementLine).join(PlacementRun, PlacementRun.id == PlacementLine.run_id)
        .where(PlacementLine.resident_id == resident_id, PlacementRun.state == "proposed")
        .order_by(PlacementLine.id.desc())).all()


def merge_rows(session: Session, merge: Merge) -> int:
    """Move the merged record's placement lines to the survivor."""
    return repoint(session, PlacementLine, "resident_id", merge)


def centralized_orders(session: Session, *, ending_from: Any) -> list[tuple[int, int, Any, Any]]:
    """(resident, household, start, end) of active centralized orders in force on or
    after a day."""
    return [(int(a), int(b), c, d) for a, b, c, d in session.execute(
        select(QuarantineOrder.resident_id, QuarantineOrder.household_id,
               QuarantineOrder.start_on, QuarantineOrder.end_on)
        .where(QuarantineOrder.state == ACTIVE, QuarantineOrder.form == CENTRALIZED,
               QuarantineOrder.end_on >= ending_from))]


def centralized_started(session: Session, *, first: Any, last: Any
                        ) -> list[tuple[int, int, Any, Any]]:
    """(resident, household, start, end) of centralized orders that started between two
    days, whatever their state now."""
    return [(int(a), int(b), c, d) for a, b, c, d in session.execute(
        select(QuarantineOrder.resident_id, QuarantineOrder.household_id,
               QuarantineOrder.start_on, QuarantineOrder.end_on)
        .where(QuarantineOrder.form == CENTRALIZED,
               QuarantineOrder.start_on.between(first, last)))]


def beds_in_service(session: Session, facility_ids: Sequence[int]) -> dict[int, int]:
    """Beds in service per facility."""
    if not facility_ids:
        return {}
    return {int(f): int(n) for f, n in session.execute(
        select(Room.facility_id, func.coalesce(func.sum(Room.beds), 0))
        .where(Room.facility_id.in_(sorted(set(facility_ids))), Room.in_service.is_(True))
        .group_by(Room.facility_id))}
