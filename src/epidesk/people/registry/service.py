"""Registering a person the resident register does not know, into a household."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError
from epidesk.geography import service as places
from epidesk.kit import clock
from epidesk.kit.access import AreaFilter, AreaPath
from epidesk.kit.i18n import _
from epidesk.people import repository as people
from epidesk.people.models import Household, HouseholdMembership, Resident
from epidesk.people.registry import repository
from epidesk.people.registry.rules import Registration, registration_problems, search_key
from epidesk.people.rules import IdType
from epidesk.people.service import area_of_path, invalid


def household_area(session: Session, household_id: int) -> AreaPath | None:
    """Where a household lives, or None when there is no such household."""
    household = people.household(session, household_id)
    if household is None:
        return None
    return area_of_path(places.address(session, address_id=household.address_id).path)


def address_area(session: Session, address_id: int) -> AreaPath | None:
    """Where an address lies, or None when there is no such address."""
    try:
        return area_of_path(places.address(session, address_id=address_id).path)
    except NotFoundError:
        return None


def target_household(
    session: Session, *, household_id: int | None, address_id: int | None,
    home_suitable: bool, area: AreaFilter | None,
) -> Household:
    """The household a person joins: an existing one, or a new one at an address without
    one. Outside the area reads as unknown."""
    if (household_id is None) == (address_id is None):
        raise invalid([("household_id", _("give an existing household, or an address for a "
                                          "new household (not both)"))])
    if household_id is not None:
        path = household_area(session, household_id)
        if path is None or (area is not None and not area.allows(path)):
            raise invalid([("household_id", _("no household %(id)d in your area",
                                              id=household_id))])
        found = people.household(session, household_id)
        assert found is not None
        return found
    assert address_id is not None
    path = address_area(session, address_id)
    if path is None or (area is not None and not area.allows(path)):
        raise invalid([("address_id", _("no address %(id)d in your area", id=address_id))])
    existing = repository.household_at(session, address_id)
    if existing is not None:
        raise invalid([("address_id", _("household %(household)d already lives at address "
                                        "%(address)d: register the person into it",
                                        household=existing.id, address=address_id))])
    household = Household(address_id=address_id, community_id=path.community_id,
                          home_suitable=home_suitable)
    session.add(household)
    session.flush()
    return household


def register_person(
    session: Session, *, registration: Registration, household_id: int | None = None,
    address_id: int | None = None, home_suitable: bool = False, actor: str,
    area: AreaFilter | None = None, today: date | None = None, now: datetime | None = None,
) -> Resident:
    """Register a person who is not in the resident register, as a member of a household
    from a date. With an area, only households (and addresses) inside it are found."""
    today = today or clock.local_day(clock.now())
    r = registration
    problems = registration_problems(r, today=today)
    if r.id_number is not None and not problems:
        holder = repository.holder_of(session, r.id_type.value, r.id_number)
        if holder is not None:
            problems.append(("id_number", _("this %(document)s number is already registered: "
                                            "search for it, or merge the records",
                                            document=IdType(r.id_type).label)))
    if problems:
        raise invalid(problems)
    household = target_household(session, household_id=household_id, address_id=address_id,
                                 home_suitable=home_suitable, area=area)
    person = Resident(
        household_id=household.id, community_id=household.community_id,
        id_type=r.id_type.value, id_number=r.id_number, name=r.name.strip(),
        name_latin=" ".join(r.name_latin.split()), name_search=search_key(r.name_latin),
        sex=r.sex, birth_date=r.birth_date, phone=r.phone, has_smartphone=r.has_smartphone,
        pregnant=False, disability=False, chronic_medication=False,
        registration_kind=r.kind.value, registration_source=r.source.strip(),
        registered_by=actor, registered_at=now or clock.now())
    session.add(person)
    session.flush()
    session.add(HouseholdMembership(household_id=household.id, resident_id=person.id,
                                    start_date=r.member_from, end_date=None))
    session.flush()
    return person
