"""Every query of the people domain."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload
from sqlalchemy.sql.elements import UnaryExpression
from sqlalchemy.sql.operators import custom_op

from epidesk.db import is_postgres
from epidesk.geography.models import Address, Building, Unit
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
    stmt = select(Resident).options(joinedload(Resident.community))
    if query.mode is SearchMode.ID_NUMBER:
        return stmt.where(Resident.id_number == query.value).order_by(Resident.id)
    if query.mode is SearchMode.NUMBER:
        resident_id = resident_id_of(query)
        match: ColumnElement[bool] = Resident.phone == query.value
        if resident_id is not None:
            match = or_(match, Resident.id == resident_id)
        return stmt.where(match).order_by(Resident.name_search, Resident.id)
    column = Resident.name if query.mode is SearchMode.NAME_LOCAL else Resident.name_search
    return stmt.where(_starts_with(session, column, query.value)).order_by(
        *_name_order(session, column)
    )


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


def household_sizes(session: Session, household_ids: Sequence[int]) -> dict[int, int]:
    """The number of residents of each given household."""
    if not household_ids:
        return {}
    rows = session.execute(
        select(Resident.household_id, func.count())
        .where(Resident.household_id.in_(sorted(set(household_ids))))
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
        .where(Resident.household_id == household_id)
        .order_by(Resident.birth_date, Resident.id)
    ).all()


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
        .where(Unit.building_id == building_id)
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
