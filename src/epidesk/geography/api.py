"""JSON routes of the geography domain: the city, its districts and subdistricts."""

from __future__ import annotations

from fastapi import APIRouter

from epidesk.geography import service
from epidesk.geography.deps import PLACES_READER
from epidesk.geography.schemas import (
    PROBLEM_RESPONSES,
    CityOverview,
    DistrictDetail,
    DistrictSummary,
    SubdistrictDetail,
)
from epidesk.kit.web import DbSession, Id

router = APIRouter(prefix="/places", tags=["places"], responses=PROBLEM_RESPONSES,
                   dependencies=[PLACES_READER])



@router.get("", response_model=CityOverview, summary="The city, its districts and neighbours")
def get_city(session: DbSession) -> CityOverview:
    """The home city with its districts and the neighbouring cities."""
    return service.city_overview(session)


@router.get("/districts", response_model=list[DistrictSummary], summary="Districts of the city")
def get_districts(session: DbSession) -> list[DistrictSummary]:
    """The home city's districts with population and counts of subdistricts and communities."""
    return service.list_districts(session)


@router.get("/districts/{district_id}", response_model=DistrictDetail, summary="A district")
def get_district(district_id: Id, session: DbSession) -> DistrictDetail:
    """A district with its subdistricts."""
    return service.district_detail(session, district_id=district_id)


@router.get("/subdistricts/{subdistrict_id}", response_model=SubdistrictDetail,
            summary="A subdistrict")
def get_subdistrict(subdistrict_id: Id, session: DbSession) -> SubdistrictDetail:
    """A subdistrict with its communities."""
    return service.subdistrict_detail(session, subdistrict_id=subdistrict_id)
