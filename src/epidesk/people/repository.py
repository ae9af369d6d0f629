"""Every query of the people domain."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from epidesk.db import count_at_most, is_postgres
from epidesk.geography.models import Address, Building, Community, Subdistrict, Unit
from epidesk.kit.access import AreaPath
from epidesk.kit.bulk.reading import (
    IntArray,
    chunks,
    member,
)
from epidesk.people.models import (
    ClassMembership,
    Household,
    HouseholdMembership,
    Resident,
    School,
    SchoolClass,
    Venue,
    WorkGroup,
    WorkGroupMembership,
    Workplace,
)
from epidesk.people.rules import (
    PersonQuery,
    SearchMode,
    prefix_upper_bound,
    resident_id_of,
)


def _name_order(session: Session, column: InstrumentedAttribute[str]) -> list[ColumnElement[Any]]:
    """ORDER BY terms that walk the (name, id) prefix index in order and never sort.

    PostgreSQL reads a text_pattern_ops index in order only for ORDER BY ... USING ~<~;
    SQLite's binary collation already sorts in byte order.
    """
    if is_postgres(session):
        return [UnaryExpression(column.expression, modifier=custom_op("USING ~<~")),
                Resident.id.expression]
    return [column.expression, Resident.id.expression]


def _starts_with(
    session: Session, column: InstrumentedAttribute[str], prefix: str
) -> ColumnElement[bool]:
    """column starts with prefix, as a range its index answers on both backends.

    A range rather than LIKE: no wildcard in the input to escape, and PostgreSQL uses
    the text_pattern_ops index even with a generic plan for a prepared statement.
    """
    upper = prefix_upper_bound(prefix)
    low: ColumnElement[bool]
    high: ColumnElement[bool] | None
    if is_postgres(session):
        low = column.op("~>=~", is_comparison=True)(prefix)
        high = column.op("~<~", is_comparison=True)(upper) if upper else None
    else:
        low = column >= prefix
        high = column < upper if upper else None
    return and_(low, high) if high is not None else low


def _search_statement(session: Session, query: PersonQuery) -> Select[Resident]:
    # Merged records are found through the record they were merged into.
    stmt = (select(Resident).options(joinedload(Resident.community))
            .where(Resident.merged_into_id.is_(None)))
    if query.mode is SearchMode.ID_NUMBER:
        return stmt.where(_search_match(session, query)).order_by(Resident.id)
    if query.mode is SearchMode.NUMBER:
        return stmt.where(_search_match(session, query)).order_by(Resident.name_search,
                                                                   Resident.id)
    column = Resident.name if query.mode is SearchMode.NAME_LOCAL else Resident.name_search
    return stmt.where(_search_match(session, query)).order_by(*_name_order(session, column))


def _search_match(session: Session, query: PersonQuery) -> ColumnElement[bool]:
    """The condition a resident found by the query meets."""
    if query.mode is SearchMode.ID_NUMBER:
        return Resident.id_number == query.value
    if query.mode is SearchMode.NUMBER:
        resident_id = resident_id_of(query)
        match: ColumnElement[bool] = Resident.phone == query.value
        if resident_id is not None:
            match = or_(match, Resident.id == resident_id)
        return match
    column = Resident.name if query.mode is SearchMode.NAME_LOCAL else Resident.name_search
    return _starts_with(session, column, query.value)


def search_residents(
    session: Session, query: PersonQuery, *, limit: int, offset: int,
    community_ids: Sequence[int] | None = None,
) -> Sequence[Resident]:
    """Up to limit residents matching the query from offset on, in name order.

    With community_ids, only residents of those communities.
    """
    stmt = _search_statement(session, query).limit(limit).offset(offset)
    if community_ids is not None:
        stmt = stmt.where(Resident.community_id.in_(sorted(set(community_ids))))
    return session.scalars(stmt).all()


def count_search(session: Session, query: PersonQuery, *, cap: int,
                 community_ids: Sequence[int] | None = None) -> int:
    """How many residents `search_residents` finds in all, counted up to `cap + 1`."""
    stmt = select(Resident.id).where(_search_match(session, query))
    if community_ids is not None:
        stmt = stmt.where(Resident.community_id.in_(sorted(set(community_ids))))
    return count_at_most(session, stmt, cap)


def household_sizes(session: Session, household_ids: Sequence[int]) -> dict[int, int]:
    """The number of residents of each given household."""
    if not household_ids:
        return {}
    rows = session.execute(
        select(Resident.household_id, func.count())
        .where(Resident.household_id.in_(sorted(set(household_ids))),
               Resident.merged_into_id.is_(None))
        .group_by(Resident.household_id)
    ).all()
    return {h: int(n) for h, n in rows}


def resident(session: Session, resident_id: int) -> Resident | None:
    """A resident with their household and community."""
    return session.scalars(
        select(Resident)
        .options(joinedload(Resident.household), joinedload(Resident.community))
        .where(Resident.id == resident_id)
    ).first()


def household(session: Session, household_id: int) -> Household | None:
    """A household by id."""
    return session.get(Household, household_id)


def household_members(session: Session, household_id: int) -> Sequence[Resident]:
    """The residents of a household, oldest first, with their community."""
    return session.scalars(
        select(Resident)
        .options(joinedload(Resident.community))
        .where(Resident.household_id == household_id, Resident.merged_into_id.is_(None))
        .order_by(Resident.birth_date, Resident.id)
    ).all()


def merged_into(session: Session, resident_id: int) -> Sequence[int]:
    """The records merged into a resident's, oldest first."""
    return session.scalars(select(Resident.id).where(Resident.merged_into_id == resident_id)
                           .order_by(Resident.id)).all()


def household_memberships(session: Session, resident_id: int) -> Sequence[HouseholdMembership]:
    """A resident's household memberships, newest first."""
    return session.scalars(
        select(HouseholdMembership)
        .options(joinedload(HouseholdMembership.household))
        .where(HouseholdMembership.resident_id == resident_id)
        .order_by(HouseholdMembership.start_date.desc(), HouseholdMembership.id.desc())
    ).all()


def open_household_membership(session: Session, resident_id: int) -> HouseholdMembership | None:
    """The household membership a resident still holds (no end date), the newest if several."""
    return session.scalars(
        select(HouseholdMembership)
        .where(HouseholdMembership.resident_id == resident_id,
               HouseholdMembership.end_date.is_(None))
        .order_by(HouseholdMembership.start_date.desc(), HouseholdMembership.id.desc())
        .limit(1)
    ).first()


def work_group_memberships(session: Session, resident_id: int) -> Sequence[WorkGroupMembership]:
    """A resident's work group memberships with group and workplace, newest first."""
    return session.scalars(
        select(WorkGroupMembership)
        .options(joinedload(WorkGroupMembership.work_group).joinedload(WorkGroup.workplace))
        .where(WorkGroupMembership.resident_id == resident_id)
        .order_by(WorkGroupMembership.start_date.desc(), WorkGroupMembership.id)
    ).all()


def class_memberships(session: Session, resident_id: int) -> Sequence[ClassMembership]:
    """A resident's school class memberships with class and school, newest first."""
    return session.scalars(
        select(ClassMembership)
        .options(joinedload(ClassMembership.school_class).joinedload(SchoolClass.school))
        .where(ClassMembership.resident_id == resident_id)
        .order_by(ClassMembership.start_date.desc(), ClassMembership.id)
    ).all()


def households_per_building(session: Session, community_id: int) -> dict[int, int]:
    """The number of households living in each building of a community."""
    # Walk down from the community's buildings so every step is an index lookup.
    rows = session.execute(
        select(Unit.building_id, func.count(Household.id))
        .select_from(Building)
        .join(Unit, Unit.building_id == Building.id)
        .join(Address, Address.unit_id == Unit.id)
        .join(Household, Household.address_id == Address.id)
        .where(Building.community_id == community_id)
        .group_by(Unit.building_id)
    ).all()
    return {b: int(n) for b, n in rows}


def building_residents(session: Session, building_id: int) -> Sequence[Resident]:
    """Every resident of a building, by address and then age."""
    return session.scalars(
        select(Resident)
        .join(Household, Household.id == Resident.household_id)
        .join(Address, Address.id == Household.address_id)
        .join(Unit, Unit.id == Address.unit_id)
        .where(Unit.building_id == building_id, Resident.merged_into_id.is_(None))
        .order_by(Unit.number, Address.floor, Address.door, Resident.birth_date, Resident.id)
    ).all()


def building_households(session: Session, building_id: int) -> Sequence[Household]:
    """Every household of a building, including any with no resident registered."""
    return session.scalars(
        select(Household)
        .join(Address, Address.id == Household.address_id)
        .join(Unit, Unit.id == Address.unit_id)
        .where(Unit.building_id == building_id)
        .order_by(Unit.number, Address.floor, Address.door)
    ).all()


def venue(session: Session, venue_id: int) -> Venue | None:
    """A venue by id."""
    return session.get(Venue, venue_id)


def venues(session: Session, community_id: int) -> Sequence[Venue]:
    """The venues of a community by kind and name."""
    return session.scalars(
        select(Venue).where(Venue.community_id == community_id).order_by(Venue.kind, Venue.name)
    ).all()


def workplaces(session: Session, community_id: int) -> Sequence[Workplace]:
    """The workplaces of a community by kind and name."""
    return session.scalars(
        select(Workplace)
        .where(Workplace.community_id == community_id)
        .order_by(Workplace.kind, Workplace.name)
    ).all()


def schools(session: Session, community_id: int) -> Sequence[School]:
    """The schools of a community by kind and name."""
    return session.scalars(
        select(School).where(School.community_id == community_id).order_by(School.kind, School.name)
    ).all()


# ------------------------------------------------------------------ for other domains


def ids_living_in(community_ids: Sequence[int]) -> Select[int]:
    """A subquery of the ids of residents living in the communities, for other repositories."""
    return select(Resident.id).where(Resident.community_id.in_(sorted(set(community_ids))))


def resident_with_area(session: Session, resident_id: int) -> tuple[Resident, AreaPath] | None:
    """A resident and the district, subdistrict and community they live in."""
    row = session.execute(
        select(Resident, Subdistrict.district_id, Community.subdistrict_id)
        .join(Community, Community.id == Resident.community_id)
        .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
        .where(Resident.id == resident_id)
    ).first()
    if row is None:
        return None
    found, district_id, subdistrict_id = row
    return found, AreaPath(district_id=district_id, subdistrict_id=subdistrict_id,
                           community_id=found.community_id)


def resident_area(session: Session, resident_id: int) -> AreaPath | None:
    """Where a resident lives: district, subdistrict and community."""
    found = resident_with_area(session, resident_id)
    return found[1] if found else None


def resident_places(session: Session, resident_ids: Sequence[int], *, size: int = 10_000
                    ) -> dict[int, tuple[int, int]]:
    """(district id, community id) of each given resident."""
    out: dict[int, tuple[int, int]] = {}
    for chunk in chunks(resident_ids, size):
        rows = session.execute(
            select(Resident.id, Subdistrict.district_id, Resident.community_id)
            .join(Community, Community.id == Resident.community_id)
            .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
            .where(Resident.id.in_(chunk))
        ).all()
        out.update({r: (d, c) for r, d, c in rows})
    return out


def resident_by_id(session: Session, resident_id: int) -> Resident | None:
    """A resident by id, from the session's identity map when already loaded."""
    return session.get(Resident, resident_id)


def residents_by_id(session: Session, ids: Sequence[int]) -> dict[int, Resident]:
    """Residents by id."""
    out: dict[int, Resident] = {}
    for chunk in chunks(ids):
        out.update({r.id: r for r in session.scalars(select(Resident)
                                                     .where(Resident.id.in_(chunk)))})
    return out


def merge_pointers(session: Session) -> tuple[IntArray, IntArray]:
    """The records merged into others (ascending) and the record each points to."""
    rows = session.execute(select(Resident.id, Resident.merged_into_id)
                           .where(Resident.merged_into_id.is_not(None))
                           .order_by(Resident.id)).all()
    return (np.asarray([r[0] for r in rows], dtype=np.int64),
            np.asarray([r[1] for r in rows], dtype=np.int64))


def residents_exist(session: Session, ids: Sequence[int]) -> set[int]:
    """Which of the ids are registered residents."""
    found: set[int] = set()
    for chunk in chunks(ids):
        found.update(session.scalars(select(Resident.id).where(Resident.id.in_(chunk))))
    return found


def in_unsuitable_homes(session: Session, ids: Sequence[int]) -> set[int]:
    """Which of the residents live in a home unsuitable for home quarantine."""
    found: set[int] = set()
    for chunk in chunks(ids):
        found.update(session.scalars(
            select(Resident.id).join(Household, Household.id == Resident.household_id)
            .where(Resident.id.in_(chunk), Household.home_suitable.is_(False))))
    return found


def residents_in(session: Session, ids: Sequence[int], community_ids: Sequence[int] | None
                 ) -> set[int]:
    """Which of the residents live in the communities (all of them without a filter)."""
    if community_ids is None:
        return {int(i) for i in ids}
    found: set[int] = set()
    allowed = sorted(set(community_ids))
    for chunk in chunks(ids):
        found.update(session.scalars(select(Resident.id).where(
            Resident.id.in_(chunk), Resident.community_id.in_(allowed))))
    return found


def household_labels(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """Households as addresses: community, building, unit, flat."""
    out: dict[int, str] = {}
    for chunk in chunks(ids):
        rows = session.execute(
            select(Household.id, Community.name, Building.number, Unit.number, Address.floor,
                   Address.door)
            .join(Address, Address.id == Household.address_id)
            .join(Unit, Unit.id == Address.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .join(Community, Community.id == Building.community_id)
            .where(Household.id.in_(chunk))).all()
        for hid, community, building, unit, floor, door in rows:
            out[int(hid)] = (f"{community}, building {building}, unit {unit}, "
                             f"flat {floor}{door:02d}")
    return out


def work_group_labels(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """Work groups with their workplaces."""
    out: dict[int, str] = {}
    for chunk in chunks(ids):
        for gid, name, place in session.execute(
                select(WorkGroup.id, WorkGroup.name, Workplace.name)
                .join(Workplace, Workplace.id == WorkGroup.workplace_id)
                .where(WorkGroup.id.in_(chunk))):
            out[int(gid)] = f"{name}, {place}"
    return out


def class_labels(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """School classes with their schools."""
    out: dict[int, str] = {}
    for chunk in chunks(ids):
        for cid, name, school in session.execute(
                select(SchoolClass.id, SchoolClass.name, School.name)
                .join(School, School.id == SchoolClass.school_id)
                .where(SchoolClass.id.in_(chunk))):
            out[int(cid)] = f"{name}, {school}"
    return out


def venue_labels(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """Venues by name."""
    out: dict[int, str] = {}
    for chunk in chunks(ids):
        for vid, name in session.execute(select(Venue.id, Venue.name)
                                         .where(Venue.id.in_(chunk))):
            out[int(vid)] = str(name)
    return out


# ------------------------------------------------------------------ where people live


def household_stays(session: Session, resident_ids: Sequence[int]
                    ) -> list[tuple[int, int, Any, Any]]:
    """(resident, address, first day, last day or None) of every household membership of
    these residents."""
    out: list[tuple[int, int, Any, Any]] = []
    for chunk in chunks(resident_ids):
        out += [tuple(r) for r in session.execute(  # type: ignore[misc]
            select(HouseholdMembership.resident_id, Household.address_id,
                   HouseholdMembership.start_date, HouseholdMembership.end_date)
            .join(Household, Household.id == HouseholdMembership.household_id)
            .where(HouseholdMembership.resident_id.in_(chunk))).all()]
    return out


def residents_at_addresses(session: Session, address_ids: Sequence[int]
                           ) -> list[tuple[int, int]]:
    """(resident, address) of everyone living at these addresses now, by resident."""
    out: list[tuple[int, int]] = []
    for condition in member(session, Household.address_id, address_ids):
        out += [(int(r), int(a)) for r, a in session.execute(
            select(Resident.id, Household.address_id)
            .join(Household, Household.id == Resident.household_id).where(condition)).all()]
    return sorted(out)


def address_of_residents(session: Session, resident_ids: Sequence[int]) -> dict[int, int]:
    """The address each of these residents lives at now."""
    out: dict[int, int] = {}
    for chunk in chunks(resident_ids):
        out.update({int(r): int(a) for r, a in session.execute(
            select(Resident.id, Household.address_id)
            .join(Household, Household.id == Resident.household_id)
            .where(Resident.id.in_(chunk))).all()})
    return out


def venues_by_id(session: Session, ids: Sequence[int]) -> dict[int, Venue]:
    """The venues with these ids."""
    out: dict[int, Venue] = {}
    for chunk in chunks(ids):
        out.update({v.id: v for v in session.scalars(select(Venue).where(Venue.id.in_(chunk)))})
    return out


def venue_points(session: Session, ids: Sequence[int]) -> dict[int, tuple[float, float]]:
    """(lat, lon) of these venues."""
    out: dict[int, tuple[float, float]] = {}
    for chunk in chunks(ids):
        out.update({int(i): (float(la), float(lo)) for i, la, lo in session.execute(
            select(Venue.id, Venue.lat, Venue.lon).where(Venue.id.in_(chunk))).all()})
    return out


def residents_per_district(session: Session) -> dict[int, int]:
    """How many residents live in each district (merged records not counted)."""
    rows = session.execute(
        select(Subdistrict.district_id, func.count(Resident.id))
        .join(Community, Community.subdistrict_id == Subdistrict.id)
        .join(Resident, Resident.community_id == Community.id)
        .where(Resident.merged_into_id.is_(None))
        .group_by(Subdistrict.district_id)
    ).all()
    return {int(d): int(n) for d, n in rows}


def household_members_with_district(session: Session, household_ids: Sequence[int]
                                    ) -> list[tuple[Any, ...]]:
    """(resident, household, birth date, disability, chronic medication, pregnant,
    district) of every member of the given households (merged records left out)."""
    out: list[tuple[Any, ...]] = []
    for chunk in chunks(household_ids, 5_000):
        out.extend(tuple(r) for r in session.execute(
            select(Resident.id, Resident.household_id, Resident.birth_date,
                   Resident.disability, Resident.chronic_medication, Resident.pregnant,
                   Subdistrict.district_id)
            .join(Community, Community.id == Resident.community_id)
            .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
            .where(Resident.household_id.in_(chunk), Resident.merged_into_id.is_(None))
            .order_by(Resident.household_id, Resident.id)))
    return out
