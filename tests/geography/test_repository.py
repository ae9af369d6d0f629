"""Geography queries on both backends: counts per level and eager-loaded paths."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epidesk.geography import repository
from tests.factories import tiny_city


def test_home_city_and_neighbours(db: Session):
    t = tiny_city(db)
    assert repository.home_city(db) is t.city
    assert list(repository.neighbour_cities(db)) == [t.neighbour]


def test_no_home_city_in_an_empty_database(db: Session):
    assert repository.home_city(db) is None


def test_district_counts(db: Session):
    t = tiny_city(db)
    rows = repository.districts_with_counts(db, t.city.id)
    assert [(d.name, s, c) for d, s, c in rows] == [("Rencheng", 2, 2), ("Yanzhou", 1, 1)]


def test_subdistrict_counts(db: Session):
    t = tiny_city(db)
    rows = repository.subdistricts_with_counts(db, t.districts[0].id)
    assert [(s.name, n) for s, n in rows] == [("Gulou", 2), ("Nanzhan", 0)]


def test_community_counts(db: Session):
    t = tiny_city(db)
    rows = repository.communities_with_counts(db, t.subdistricts[0].id)
    assert [(c.name, n) for c, n in rows] == [("Willow Court", 2), ("Pine Court", 1)]
    rows = repository.communities_with_counts(db, t.subdistricts[2].id)
    assert [(c.name, n) for c, n in rows] == [("River Court", 0)]


def test_building_counts(db: Session):
    t = tiny_city(db)
    rows = repository.buildings_with_counts(db, t.communities[0].id)
    assert [(b.number, u, f) for b, u, f in rows] == [(1, 2, 8), (2, 2, 8)]
    assert repository.buildings_with_counts(db, t.communities[2].id) == []


def test_lookups_return_none_for_unknown_ids(db: Session):
    assert repository.district(db, 999_999) is None
    assert repository.subdistrict(db, 999_999) is None
    assert repository.community(db, 999_999) is None
    assert repository.building(db, 999_999) is None
    assert repository.addresses(db, [999_999]) == {}
    assert repository.addresses(db, []) == {}


def test_building_comes_with_units_and_flats_in_order(db: Session):
    t = tiny_city(db)
    db.expire_all()
    building = repository.building(db, t.buildings[0].id)
    assert building is not None
    assert building.community.subdistrict.district.city.name == "Tinyville"
    assert [u.number for u in building.units] == [1, 2]
    assert [a.flat_number for a in building.units[1].addresses] == ["101", "102", "201", "202"]


def test_addresses_come_with_their_path(db: Session):
    t = tiny_city(db)
    first = t.addresses[0]
    found = repository.addresses(db, [first.id, first.id])
    assert list(found) == [first.id]
    assert found[first.id].unit.building.community.name == "Willow Court"
