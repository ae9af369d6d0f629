"""Use cases of the geography domain: browse the tree of places."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError
from epidesk.geography import repository
from epidesk.geography.models import Address, Building, City, Community, District, Subdistrict
from epidesk.geography.schemas import (
    AddressOut,
    BuildingDetail,
    BuildingSummary,
    CityOut,
    CityOverview,
    CommunityDetail,
    CommunitySummary,
    DistrictDetail,
    DistrictSummary,
    FlatOut,
    PlaceRef,
    Point,
    SubdistrictDetail,
    SubdistrictSummary,
    UnitOut,
)


def parse_polygon(raw: str) -> list[Point]:
    """A stored polygon ring (JSON [[lon, lat], ...]) as a list of points."""
    try:
        points = json.loads(raw) if raw else []
        return [(float(p[0]), float(p[1])) for p in points]
    except (ValueError, TypeError, IndexError):
        return []


def city_ref(city: City) -> PlaceRef:
    """A link to a city."""
    return PlaceRef(kind="city", id=city.id, code=city.code, name=city.name,
                    name_local=city.name_local)


def district_ref(district: District) -> PlaceRef:
    """A link to a district."""
    return PlaceRef(kind="district", id=district.id, code=district.code, name=district.name,
                    name_local=district.name_local)


def subdistrict_ref(subdistrict: Subdistrict) -> PlaceRef:
    """A link to a subdistrict."""
    return PlaceRef(kind="subdistrict", id=subdistrict.id, code=subdistrict.code,
                    name=subdistrict.name, name_local=subdistrict.name_local)


def community_ref(community: Community) -> PlaceRef:
    """A link to a community."""
    return PlaceRef(kind="community", id=community.id, code=community.code,
                    name=community.name, name_local=community.name_local)


def building_ref(building: Building) -> PlaceRef:
    """A link to a building."""
    return PlaceRef(kind="building", id=building.id, name=f"Building {building.number}",
                    name_local=f"{building.number}号楼")


def community_path(community: Community) -> list[PlaceRef]:
    """City, district and subdistrict above a community (its relations loaded)."""
    subdistrict = community.subdistrict
    district = subdistrict.district
    return [city_ref(district.city), district_ref(district), subdistrict_ref(subdistrict)]


def _city_out(city: City) -> CityOut:
    return CityOut.model_validate(city)


def city_overview(session: Session) -> CityOverview:
    """The home city with its districts and the neighbouring cities."""
    city = repository.home_city(session)
    if city is None:
        raise NotFoundError("no home city is loaded: the database holds no places yet")
    return CityOverview(
        city=_city_out(city),
        districts=list_districts(session, city_id=city.id),
        neighbours=[_city_out(c) for c in repository.neighbour_cities(session)],
    )


def list_districts(session: Session, *, city_id: int | None = None) -> list[DistrictSummary]:
    """The districts of the home city (or the given city) with their counts."""
    if city_id is None:
        city = repository.home_city(session)
        if city is None:
            return []
        city_id = city.id
    return [
        DistrictSummary(id=d.id, code=d.code, name=d.name, name_local=d.name_local,
                        population=d.population, subdistricts=s, communities=c)
        for d, s, c in repository.districts_with_counts(session, city_id)
    ]


def district_detail(session: Session, *, district_id: int) -> DistrictDetail:
    """A district with its subdistricts."""
    district = repository.district(session, district_id)
    if district is None:
        raise NotFoundError(f"district {district_id} not found", kind="district", id=district_id)
    return DistrictDetail(
        id=district.id, code=district.code, name=district.name, name_local=district.name_local,
        population=district.population, centroid_lat=district.centroid_lat,
        centroid_lon=district.centroid_lon, path=[city_ref(district.city)],
        subdistricts=[
            SubdistrictSummary(id=s.id, code=s.code, name=s.name, name_local=s.name_local,
                               population=s.population, communities=n)
            for s, n in repository.subdistricts_with_counts(session, district.id)
        ],
    )


def subdistrict_detail(session: Session, *, subdistrict_id: int) -> SubdistrictDetail:
    """A subdistrict with its communities."""
    subdistrict = repository.subdistrict(session, subdistrict_id)
    if subdistrict is None:
        raise NotFoundError(f"subdistrict {subdistrict_id} not found", kind="subdistrict",
                            id=subdistrict_id)
    district = subdistrict.district
    return SubdistrictDetail(
        id=subdistrict.id, code=subdistrict.code, name=subdistrict.name,
        name_local=subdistrict.name_local, population=subdistrict.population,
        centroid_lat=subdistrict.centroid_lat, centroid_lon=subdistrict.centroid_lon,
        path=[city_ref(district.city), district_ref(district)],
        communities=[
            CommunitySummary(id=c.id, code=c.code, name=c.name, name_local=c.name_local,
                             population=c.population, buildings=n)
            for c, n in repository.communities_with_counts(session, subdistrict.id)
        ],
    )


def community_detail(session: Session, *, community_id: int) -> CommunityDetail:
    """A community with its outline and buildings."""
    community = repository.community(session, community_id)
    if community is None:
        raise NotFoundError(f"community {community_id} not found", kind="community",
                            id=community_id)
    return CommunityDetail(
        id=community.id, code=community.code, name=community.name,
        name_local=community.name_local, population=community.population,
        centroid_lat=community.centroid_lat, centroid_lon=community.centroid_lon,
        polygon=parse_polygon(community.polygon), path=community_path(community),
        buildings=[
            BuildingSummary(id=b.id, number=b.number, floors=b.floors, units=u, flats=f,
                            centroid_lat=b.centroid_lat, centroid_lon=b.centroid_lon,
                            polygon=parse_polygon(b.polygon))
            for b, u, f in repository.buildings_with_counts(session, community.id)
        ],
    )


def building_detail(session: Session, *, building_id: int) -> BuildingDetail:
    """A building with its units and flats."""
    building = repository.building(session, building_id)
    if building is None:
        raise NotFoundError(f"building {building_id} not found", kind="building",
                            id=building_id)
    ref = building_ref(building)
    return BuildingDetail(
        id=building.id, number=building.number, name=ref.name, name_local=ref.name_local,
        floors=building.floors, centroid_lat=building.centroid_lat,
        centroid_lon=building.centroid_lon, polygon=parse_polygon(building.polygon),
        path=[*community_path(building.community), community_ref(building.community)],
        units=[
            UnitOut(id=u.id, number=u.number,
                    flats=[FlatOut(id=a.id, floor=a.floor, door=a.door, flat=a.flat_number)
                           for a in u.addresses])
            for u in building.units
        ],
    )


def _address_out(address: Address) -> AddressOut:
    unit = address.unit
    building = unit.building
    community = building.community
    path = [
        *community_path(community),
        community_ref(community),
        building_ref(building),
        PlaceRef(kind="unit", id=unit.id, name=f"Unit {unit.number}",
                 name_local=f"{unit.number}单元"),
    ]
    flat = address.flat_number
    label = ", ".join(
        [f"Flat {flat}", f"Unit {unit.number}", f"Building {building.number}"]
        + [p.name for p in reversed(path[:4])]
    )
    label_local = "".join(p.name_local for p in path) + f"{flat}室"
    return AddressOut(id=address.id, floor=address.floor, door=address.door, flat=flat,
                      label=label, label_local=label_local, path=path)


def addresses(session: Session, *, address_ids: Sequence[int]) -> dict[int, AddressOut]:
    """Addresses by id, each with its full path; unknown ids are left out."""
    return {i: _address_out(a) for i, a in repository.addresses(session, address_ids).items()}


def address(session: Session, *, address_id: int) -> AddressOut:
    """One address with its full path."""
    found = addresses(session, address_ids=[address_id])
    if address_id not in found:
        raise NotFoundError(f"address {address_id} not found", kind="address", id=address_id)
    return found[address_id]


def community_ids_within(
    session: Session,
    *,
    district_ids: Sequence[int] = (),
    subdistrict_ids: Sequence[int] = (),
    community_ids: Sequence[int] = (),
) -> list[int]:
    """Ids of the communities inside any of the given areas."""
    return repository.community_ids_within(session, district_ids=district_ids,
                                           subdistrict_ids=subdistrict_ids,
                                           community_ids=community_ids)


def community_points(session: Session, *, community_ids: Sequence[int]
                     ) -> list[tuple[int, str, float, float]]:
    """(id, name, latitude, longitude) of each community's centre, for maps."""
    return repository.community_points(session, community_ids)
