"""HTML routes of the people domain: search, residents, households, communities, buildings."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from epidesk.geography.pages import MapFeature, svg_map
from epidesk.kit.access import PEOPLE_READ
from epidesk.kit.inputs import DIGITS, Ge, Le
from epidesk.kit.templating import render
from epidesk.kit.web import AuditDep, DbSession, Id
from epidesk.people import service
from epidesk.people.deps import Reader, person_record
from epidesk.people.schemas import DEFAULT_LIMIT, MAX_OFFSET, HouseholdBrief

router = APIRouter(include_in_schema=False)



@router.get("/people")
def search_page(
    request: Request,
    session: DbSession,
    reader: Reader,
    audit: AuditDep,
    q: Annotated[str, Query(max_length=64)] = "",
    offset: Annotated[int, Ge(0), Le(MAX_OFFSET), DIGITS, Query()] = 0,
) -> Response:
    """The resident search form and one page of results."""
    result = service.search_people(session, query=q, limit=DEFAULT_LIMIT, offset=offset,
                                   area=reader.area_for(PEOPLE_READ))
    if result.mode is not None:
        audit("read", "resident_search", q[:64], people=[p.id for p in result.items])
    return render(request, "people/search.html", {
        "result": result,
        "q": q,
        "previous_offset": max(0, offset - DEFAULT_LIMIT) if offset else None,
        "next_offset": offset + DEFAULT_LIMIT
        if result.has_more and offset + DEFAULT_LIMIT <= MAX_OFFSET else None,
        "capped": result.has_more and offset + DEFAULT_LIMIT > MAX_OFFSET,
        "section": "people",
    })


@router.get("/people/{resident_id}")
def person_page(
    request: Request, resident_id: Id, session: DbSession, reader: Reader, audit: AuditDep
) -> Response:
    """A resident's record: personal data, address, household and memberships, then
    every other domain's panel (tests, cases, contacts, ...) the reader may see."""
    person, panels = person_record(session, caller=reader, resident_id=resident_id,
                                   audit=audit)
    return render(request, "people/person.html",
                  {"person": person, "panels": panels, "section": "people"})


@router.get("/households/{household_id}")
def household_page(
    request: Request, household_id: Id, session: DbSession, reader: Reader, audit: AuditDep
) -> Response:
    """A household: address, members, needs and home-quarantine suitability."""
    household = service.household_detail(session, household_id=household_id,
                                         area=reader.area_for(PEOPLE_READ))
    audit("read", "household", household.id, people=[m.id for m in household.members])
    return render(request, "people/household.html",
                  {"household": household, "section": "people"})


@router.get("/places/communities/{community_id}")
def community_page(
    request: Request, community_id: Id, session: DbSession, reader: Reader, audit: AuditDep
) -> Response:
    """A community: map, buildings, population, venues, workplaces and schools."""
    overview = service.community_overview(session, community_id=community_id,
                                          area=reader.area_for(PEOPLE_READ))
    audit("read", "community", community_id)
    community = overview.community
    drawing = svg_map(
        community.polygon,
        [MapFeature(polygon=b.polygon, label=f"Building {b.number}", text=str(b.number),
                    href=f"/places/buildings/{b.id}")
         for b in community.buildings],
    )
    return render(request, "people/community.html",
                  {"overview": overview, "community": community, "map": drawing,
                   "section": "places"})


@router.get("/places/buildings/{building_id}")
def building_page(
    request: Request, building_id: Id, session: DbSession, reader: Reader, audit: AuditDep
) -> Response:
    """A building: its units and flats, and the household in each flat."""
    result = service.building_households(session, building_id=building_id,
                                         area=reader.area_for(PEOPLE_READ))
    audit("read", "building", building_id)
    by_address: dict[int, HouseholdBrief] = {h.address_id: h for h in result.households}
    per_unit: dict[int, int] = defaultdict(int)
    for unit in result.building.units:
        per_unit[unit.id] = sum(1 for f in unit.flats if f.id in by_address)
    return render(request, "people/building.html", {
        "building": result.building,
        "households": by_address,
        "households_per_unit": per_unit,
        "section": "places",
    })
