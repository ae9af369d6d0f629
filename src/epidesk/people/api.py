"""JSON routes of the people domain: residents, households, communities and buildings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import RedirectResponse, Response

from epidesk.kit.access import PEOPLE_READ
from epidesk.kit.inputs import DIGITS, Ge, Le
from epidesk.kit.web import PROBLEM_RESPONSES, AuditDep, DbSession, Id
from epidesk.people import service
from epidesk.people.deps import (
    Reader,
    Writer,
    find_duplicates,
    merge_records,
    move_person,
    person_record,
    register,
)
from epidesk.people.registry.rules import Registration, normalise_number
from epidesk.people.rules import IdType, RegistrationKind
from epidesk.people.schemas import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    BuildingHouseholds,
    CommunityOverview,
    DuplicatePage,
    HouseholdDetail,
    MergeIn,
    MergeOut,
    MoveIn,
    PersonDetail,
    PersonSearch,
    RegistrationIn,
    StayOut,
)

router = APIRouter(responses=PROBLEM_RESPONSES)


@router.get("/people", response_model=PersonSearch, summary="Search residents",
            tags=["people"])
def search_people(
    session: DbSession,
    reader: Reader,
    audit: AuditDep,
    q: Annotated[str, Query(min_length=1, max_length=64,
                            description="Name prefix (汉字 or latin, e.g. 'wang xiu'), "
                                        "18-character id number, resident id or phone")],
    limit: Annotated[int, Ge(1), Le(MAX_LIMIT), DIGITS, Query()] = DEFAULT_LIMIT,
    offset: Annotated[int, Ge(0), Le(MAX_OFFSET), DIGITS, Query()] = 0,
) -> PersonSearch:
    """Residents matching the query in name order; `has_more` tells if a next page exists."""
    result = service.search_people(session, query=q, limit=limit, offset=offset,
                                   area=reader.area_for(PEOPLE_READ))
    audit("read", "resident_search", q[:64], people=[p.id for p in result.items])
    return result


@router.post("/people", response_model=PersonDetail, status_code=201,
             summary="Register a person who is not in the resident register", tags=["people"])
def register_person(body: RegistrationIn, session: DbSession, writer: Writer,
                    audit: AuditDep) -> PersonDetail:
    """A traveller, a migrant worker, a newborn or another person the register does not
    know, as a member of a household (an existing one, or a new one at an address without
    one) from a date, inside the caller's area. They can then be tested, become a case
    and be traced like anyone."""
    registration = Registration(
        kind=RegistrationKind(body.kind), name=body.name, name_latin=body.name_latin,
        sex=body.sex, birth_date=body.birth_date, id_type=IdType(body.id_type),
        id_number=normalise_number(body.id_number), phone=normalise_number(body.phone),
        has_smartphone=body.has_smartphone, source=body.source, member_from=body.member_from)
    person_id = register(session, writer, registration, household_id=body.household_id,
                         address_id=body.address_id, home_suitable=body.home_suitable,
                         audit=audit)
    person, _ = person_record(session, caller=writer, resident_id=person_id, audit=audit)
    return person


@router.get("/people/duplicates", response_model=DuplicatePage,
            summary="Likely duplicate records", tags=["people"])
def get_duplicates(
    session: DbSession, reader: Reader, audit: AuditDep,
    limit: Annotated[int, Ge(1), Le(MAX_LIMIT), DIGITS, Query()] = DEFAULT_LIMIT,
    offset: Annotated[int, Ge(0), Le(100_000), DIGITS, Query()] = 0,
) -> DuplicatePage:
    """Pairs of records inside the caller's area that look like one person (same
    document number; same name, birth date and address; same name, birth date and
    phone), with the reasons, lowest ids first."""
    return find_duplicates(session, reader, limit=limit, offset=offset, audit=audit)


@router.get("/people/{resident_id}", response_model=PersonDetail, summary="A resident",
            tags=["people"],
            responses={308: {"description": "The record was merged: read the survivor"}})
def get_person(
    resident_id: Id, session: DbSession, reader: Reader, audit: AuditDep
) -> PersonDetail | Response:
    """A resident's record: personal data, household members, address and memberships,
    and in `panels` what other domains hold about them, as far as the caller may see.
    A record merged into another redirects there."""
    person, _ = person_record(session, caller=reader, resident_id=resident_id, audit=audit)
    if person.merged_into_id is not None:
        return RedirectResponse(f"/api/people/{person.merged_into_id}", status_code=308)
    return person


@router.post("/people/{resident_id}/merge", response_model=MergeOut,
             summary="Merge another record into this one", tags=["people"])
def merge_person(resident_id: Id, body: MergeIn, session: DbSession, writer: Writer,
                 audit: AuditDep) -> MergeOut:
    """The other record's tests, cases, contact classification, evidence, visits,
    memberships and history become this record's; the other stays as a tombstone that
    points here. Both must lie inside the caller's area. All or nothing."""
    return merge_records(session, writer, survivor_id=resident_id, other_id=body.other_id,
                         reason=body.reason, audit=audit)


@router.post("/people/{resident_id}/moves", response_model=StayOut,
             summary="Record a household move", tags=["people"])
def move(resident_id: Id, body: MoveIn, session: DbSession, writer: Writer,
         audit: AuditDep) -> StayOut:
    """The person moved to another household (inside the caller's area) on a date: the
    current stay ends the day before. Not before the current stay began, nor after today."""
    stay = move_person(session, writer, resident_id=resident_id,
                       household_id=body.household_id, moved_on=body.moved_on, audit=audit)
    return StayOut(resident_id=stay.resident_id, household_id=stay.household_id,
                   start_date=stay.start_date, end_date=stay.end_date)


@router.get("/households/{household_id}", response_model=HouseholdDetail,
            summary="A household", tags=["people"])
def get_household(
    household_id: Id, session: DbSession, reader: Reader, audit: AuditDep
) -> HouseholdDetail:
    """A household with its address, members, needs and home-quarantine suitability."""
    household = service.household_detail(session, household_id=household_id,
                                         area=reader.area_for(PEOPLE_READ))
    audit("read", "household", household.id, people=[m.id for m in household.members])
    return household


@router.get("/places/communities/{community_id}", response_model=CommunityOverview,
            summary="A community", tags=["places"])
def get_community(community_id: Id, session: DbSession, reader: Reader,
                  audit: AuditDep) -> CommunityOverview:
    """A community with its buildings, households per building, venues, workplaces, schools."""
    found = service.community_overview(session, community_id=community_id,
                                       area=reader.area_for(PEOPLE_READ))
    audit("read", "community", community_id)
    return found


@router.get("/places/buildings/{building_id}", response_model=BuildingHouseholds,
            summary="A building", tags=["places"])
def get_building(
    building_id: Id, session: DbSession, reader: Reader, audit: AuditDep
) -> BuildingHouseholds:
    """A building with its units, flats and the households living in them."""
    result = service.building_households(session, building_id=building_id,
                                         area=reader.area_for(PEOPLE_READ))
    audit("read", "building", building_id)
    return result
