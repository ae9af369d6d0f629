"""Every query of the quarantine domain's facilities, rooms, inspections and complaints
(orders and their rooms: `orders/repository.py`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, selectinload

from epidesk.db import count_at_most
from epidesk.geography.models import City, District
from epidesk.kit.merges import Merge, repoint
from epidesk.quarantine.models import (
    Facility,
    FacilityComplaint,
    FacilityList,
    Inspection,
    OrderEvent,
    QuarantineOrder,
    Room,
    RoomAssignment,
)


def merge_rows(session: Session, merge: Merge) -> dict[str, int]:
    """Move the merged record's orders, room assignments and order events to the
    survivor; returns how many rows of each moved."""
    return {
        "orders": repoint(session, QuarantineOrder, "resident_id", merge),
        "room assignments": repoint(session, RoomAssignment, "resident_id", merge),
        "order events": repoint(session, OrderEvent, "resident_id", merge),
    }


# ------------------------------------------------------------------ facility lists


def city_codes(session: Session) -> dict[str, int]:
    """Every known city's code and id."""
    return {c: i for c, i in session.execute(select(City.code, City.id))}


def district_codes(session: Session) -> dict[str, tuple[int, int]]:
    """Every known district's code, id and city id."""
    return {c: (i, k) for c, i, k in session.execute(
        select(District.code, District.id, District.city_id))}


def list_by_digest(session: Session, digest: str) -> FacilityList | None:
    """The facility list imported before from the same file."""
    return session.scalars(select(FacilityList).where(FacilityList.digest == digest)).first()


def facility_list(session: Session, list_id: int) -> FacilityList | None:
    """A facility list's record."""
    return session.get(FacilityList, list_id)


def facilities_by_code(session: Session, codes: Sequence[str]) -> dict[str, Facility]:
    """The facilities with these codes, with their rooms."""
    if not codes:
        return {}
    found = session.scalars(select(Facility).where(Facility.code.in_(sorted(set(codes))))
                            .options(selectinload(Facility.rooms)))
    return {f.code: f for f in found}


# ------------------------------------------------------------------ facilities


def facilities(session: Session, *, city_id: int | None = None,
               district_id: int | None = None, use: str | None = None,
               limit: int = 100, offset: int = 0) -> Sequence[Facility]:
    """Facilities by code, optionally of one city, district or use."""
    stmt = _facilities(city_id=city_id, district_id=district_id, use=use)
    return session.scalars(stmt.order_by(Facility.code).limit(limit).offset(offset)).all()


def count_facilities(session: Session, *, city_id: int | None = None,
                     district_id: int | None = None, use: str | None = None,
                     cap: int) -> int:
    """How many facilities match, counted up to cap."""
    return count_at_most(session, _facilities(city_id=city_id, district_id=district_id,
                                              use=use), cap)


def _facilities(*, city_id: int | None, district_id: int | None, use: str | None
                ) -> Select[Facility]:
    stmt = select(Facility)
    if city_id is not None:
        stmt = stmt.where(Facility.city_id == city_id)
    if district_id is not None:
        stmt = stmt.where(Facility.district_id == district_id)
    if use is not None:
        stmt = stmt.where(Facility.use == use)
    return stmt


def all_facilities(session: Session) -> Sequence[Facility]:
    """Every facility (a city holds hundreds, not millions)."""
    return session.scalars(select(Facility).order_by(Facility.code)).all()


def facility(session: Session, facility_id: int) -> Facility | None:
    """A facility with its rooms."""
    return session.scalars(select(Facility).where(Facility.id == facility_id)
                           .options(selectinload(Facility.rooms))).first()


def city_names(session: Session) -> dict[int, str]:
    """Every city's name by id."""
    return {i: n for i, n in session.execute(select(City.id, City.name))}


def city_code_by_id(session: Session) -> dict[int, str]:
    """Every city's code by id."""
    return {i: c for i, c in session.execute(select(City.id, City.code))}


def district_code_by_id(session: Session) -> dict[int, str]:
    """Every district's code by id."""
    return {i: c for i, c in session.execute(select(District.id, District.code))}


def district_names(session: Session) -> dict[int, str]:
    """Every district's name by id."""
    return {i: n for i, n in session.execute(select(District.id, District.name))}


def home_districts(session: Session) -> Sequence[District]:
    """The home city's districts, by code."""
    return session.scalars(select(District).join(City, City.id == District.city_id)
                           .where(City.kind == "home").order_by(District.code)).all()


def room_totals(session: Session, facility_ids: Sequence[int] | None = None
                ) -> dict[int, tuple[int, int]]:
    """(rooms, beds) in service per facility."""
    stmt = (select(Room.facility_id, func.count(Room.id), func.coalesce(func.sum(Room.beds), 0))
            .where(Room.in_service.is_(True)).group_by(Room.facility_id))
    if facility_ids is not None:
        stmt = stmt.where(Room.facility_id.in_(list(facility_ids)))
    return {f: (int(r), int(b)) for f, r, b in session.execute(stmt)}


def occupancy(session: Session, start: datetime, end: datetime,
              facility_ids: Sequence[int] | None = None) -> dict[int, tuple[int, int]]:
    """(people, occupied rooms) per facility at some time in [start, end)."""
    stmt = (select(Room.facility_id, func.count(RoomAssignment.id),
                   func.count(func.distinct(RoomAssignment.room_id)))
            .join(Room, Room.id == RoomAssignment.room_id)
            .where(RoomAssignment.from_at < end,
                   or_(RoomAssignment.to_at.is_(None), RoomAssignment.to_at > start))
            .group_by(Room.facility_id))
    if facility_ids is not None:
        stmt = stmt.where(Room.facility_id.in_(list(facility_ids)))
    return {f: (int(p), int(r)) for f, p, r in session.execute(stmt)}


def reserve_rooms(session: Session, *, use: str, not_status: str) -> dict[int | None, int]:
    """Rooms in service per district of facilities of one use (None: neighbouring cities)."""
    stmt = (select(Facility.district_id, func.count(Room.id))
            .join(Room, Room.facility_id == Facility.id)
            .where(Facility.use == use, Facility.status != not_status,
                   Room.in_service.is_(True))
            .group_by(Facility.district_id))
    return {d: int(n) for d, n in session.execute(stmt)}


# ------------------------------------------------------------------ inspections


def latest_inspections(session: Session, facility_ids: Sequence[int] | None = None,
                       on_or_before: date | None = None) -> dict[int, Inspection]:
    """Each facility's latest inspection (up to a day), with its items."""
    # The latest by day, then by id: an inspection recorded later for an earlier day
    # does not displace a newer one.
    newest = select(Inspection.facility_id, func.max(Inspection.inspected_on).label("day"))
    if on_or_before is not None:
        newest = newest.where(Inspection.inspected_on <= on_or_before)
    if facility_ids is not None:
        newest = newest.where(Inspection.facility_id.in_(list(facility_ids)))
    newest_day = newest.group_by(Inspection.facility_id).subquery()
    by_day = (select(Inspection.facility_id, func.max(Inspection.id).label("id"))
              .join(newest_day, and_(newest_day.c.facility_id == Inspection.facility_id,
                                     newest_day.c.day == Inspection.inspected_on))
              .group_by(Inspection.facility_id).subquery())
    rows = session.scalars(select(Inspection).join(by_day, by_day.c.id == Inspection.id)
                           .options(selectinload(Inspection.items)))
    return {i.facility_id: i for i in rows}


def inspections(session: Session, facility_id: int, *, limit: int = 50) -> Sequence[Inspection]:
    """A facility's inspections, newest first, with their items."""
    return session.scalars(select(Inspection).where(Inspection.facility_id == facility_id)
                           .options(selectinload(Inspection.items))
                           .order_by(Inspection.inspected_on.desc(), Inspection.id.desc())
                           .limit(limit)).all()


def inspection(session: Session, inspection_id: int) -> Inspection | None:
    """One inspection with its items."""
    return session.scalars(select(Inspection).where(Inspection.id == inspection_id)
                           .options(selectinload(Inspection.items))).first()


# ------------------------------------------------------------------ complaints


def complaint_counts(session: Session, facility_ids: Sequence[int] | None = None,
                     *, open_only: bool = False) -> dict[int, int]:
    """How many complaints each facility has (only unresolved ones with open_only)."""
    stmt = (select(FacilityComplaint.facility_id, func.count(FacilityComplaint.id))
            .group_by(FacilityComplaint.facility_id))
    if facility_ids is not None:
        stmt = stmt.where(FacilityComplaint.facility_id.in_(list(facility_ids)))
    if open_only:
        stmt = stmt.where(FacilityComplaint.resolved_at.is_(None))
    return {f: int(n) for f, n in session.execute(stmt)}


def complaint_by_reference(session: Session, source: str, reference: str
                           ) -> FacilityComplaint | None:
    """A complaint linked before from the same source and reference."""
    return session.scalars(select(FacilityComplaint).where(
        FacilityComplaint.source == source, FacilityComplaint.reference == reference)).first()


def complaints(session: Session, facility_id: int, *, limit: int = 50
               ) -> Sequence[FacilityComplaint]:
    """A facility's complaints, newest first."""
    return session.scalars(select(FacilityComplaint)
                           .where(FacilityComplaint.facility_id == facility_id)
                           .order_by(FacilityComplaint.received_at.desc()).limit(limit)).all()

