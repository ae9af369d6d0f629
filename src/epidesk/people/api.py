"""JSON routes of the people domain: residents, households, communities and buildings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from epidesk.kit.access import PEOPLE_READ
from epidesk.kit.inputs import DIGITS, Ge, Le
from epidesk.kit.web import PROBLEM_RESPONSES, AuditDep, DbSession, Id
from epidesk.people import service
from epidesk.people.deps import Reader, person_record
from epidesk.people.schemas import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    BuildingHouseholds,
    CommunityOverview,
    HouseholdDetail,
    PersonDetail,
    PersonSearch,
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


@router.get("/people/{resident_id}", response_model=PersonDetail, summary="A resident",
            tags=["people"])
def get_person(
    resident_id: Id, session: DbSession, reader: Reader, audit: AuditDep
) -> PersonDetail:
    """A resident's record: personal data, household members, address and memberships,
    and in `panels` what other domains hold about them, as far as the caller may see."""
    person, _ = person_record(session, caller=reader, resident_id=resident_id, audit=audit)
    return person


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
