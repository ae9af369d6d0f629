"""Geography use cases on both backends: the tree of places and its not-found errors."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError
from epidesk.geography import service
from tests.factories import tiny_city


def test_city_overview(db: Session):
    t = tiny_city(db)
    overview = service.city_overview(db)
    assert overview.city.name == "Tinyville"
    assert [(d.name, d.subdistricts, d.communities) for d in overview.districts] == [
        ("Rencheng", 2, 2), ("Yanzhou", 1, 1)]
    assert [(c.name, c.distance_km) for c in overview.neighbours] == [("Nextdoor", 150.5)]
    assert service.list_districts(db) == overview.districts
    assert service.list_districts(db, city_id=t.neighbour.id) == []


def test_city_overview_needs_a_city(db: Session):
    with pytest.raises(NotFoundError, match="no home city"):
        service.city_overview(db)
    assert service.list_districts(db) == []


def test_district_detail(db: Session):
    t = tiny_city(db)
    district = service.district_detail(db, district_id=t.districts[0].id)
    assert district.name == "Rencheng"
    assert [p.name for p in district.path] == ["Tinyville"]
    assert [(s.name, s.communities) for s in district.subdistricts] == [
        ("Gulou", 2), ("Nanzhan", 0)]


def test_subdistrict_detail(db: Session):
    t = tiny_city(db)
    sub = service.subdistrict_detail(db, subdistrict_id=t.subdistricts[0].id)
    assert [p.kind for p in sub.path] == ["city", "district"]
    assert [(c.name, c.population, c.buildings) for c in sub.communities] == [
        ("Willow Court", 10, 2), ("Pine Court", 1, 1)]


def test_community_detail(db: Session):
    t = tiny_city(db)
    community = service.community_detail(db, community_id=t.communities[1].id)
    assert [p.name for p in community.path] == ["Tinyville", "Rencheng", "Gulou"]
    assert community.polygon[0] == community.polygon[-1]
    assert [b.number for b in community.buildings] == [1]


def test_building_detail(db: Session):
    t = tiny_city(db)
    building = service.building_detail(db, building_id=t.buildings[1].id)
    assert building.name == "Building 2"
    assert building.name_local == "2号楼"
    assert [p.name for p in building.path] == ["Tinyville", "Rencheng", "Gulou", "Willow Court"]
    assert [len(u.flats) for u in building.units] == [4, 4]


def test_address(db: Session):
    t = tiny_city(db)
    pine = service.address(db, address_id=t.addresses[16].id)
    assert pine.label == "Flat 101, Unit 1, Building 1, Pine Court, Gulou, Rencheng, Tinyville"
    assert pine.path[-2].kind == "building"
    assert service.addresses(db, address_ids=[t.addresses[16].id, 999_999]).keys() == {
        t.addresses[16].id}


@pytest.mark.parametrize(
    ("call", "what"),
    [
        (lambda db: service.district_detail(db, district_id=999_999), "district"),
        (lambda db: service.subdistrict_detail(db, subdistrict_id=999_999), "subdistrict"),
        (lambda db: service.community_detail(db, community_id=999_999), "community"),
        (lambda db: service.building_detail(db, building_id=999_999), "building"),
        (lambda db: service.address(db, address_id=999_999), "address"),
    ],
)
def test_unknown_places_name_what_was_not_found(db: Session, call, what: str):  # type: ignore[no-untyped-def]
    with pytest.raises(NotFoundError) as err:
        call(db)
    assert err.value.detail == f"{what} 999999 not found"
    assert err.value.extra == {"kind": what, "id": 999_999}


@pytest.mark.parametrize(("raw", "points"), [
    ("[[1, 2], [3, 4.5]]", [(1.0, 2.0), (3.0, 4.5)]),
    ("", []),
    ("not json", []),
    ("[[1]]", []),
])
def test_parse_polygon(raw: str, points: list[tuple[float, float]]):
    assert service.parse_polygon(raw) == points
