"""A tiny hand-built city for tests, created through the ORM.

`tiny_city(session)` adds one home city and one neighbour, two districts, three
subdistricts, three communities with buildings, units and flats, seven households
and eleven residents whose names, ages and needs tests rely on (each a member of
their household since birth), plus a workplace, a school and a venue. Every row is
flushed, nothing is committed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from epidesk.geography.models import (
    Address,
    Building,
    City,
    Community,
    District,
    Subdistrict,
    Unit,
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

TODAY = date(2026, 11, 22)


def square(lon: float, lat: float, half: float) -> str:
    """A closed square ring around a point, as stored in polygon columns."""
    ring = [
        [lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
        [lon - half, lat + half], [lon - half, lat - half],
    ]
    return json.dumps(ring)


@dataclass
class TinyCity:
    """Handles on the rows of the tiny city that tests look up."""

    city: City
    neighbour: City
    districts: list[District] = field(default_factory=list)
    subdistricts: list[Subdistrict] = field(default_factory=list)
    communities: list[Community] = field(default_factory=list)
    buildings: list[Building] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    addresses: list[Address] = field(default_factory=list)
    households: dict[str, Household] = field(default_factory=dict)
    residents: dict[str, Resident] = field(default_factory=dict)
    workplace: Workplace | None = None
    work_group: WorkGroup | None = None
    school: School | None = None
    school_class: SchoolClass | None = None
    venue: Venue | None = None


def _id_number(n: int, birth: date) -> str:
    body = f"370811{birth:%Y%m%d}{n:03d}"
    return body + "X" if n % 2 else body + str(n % 10)


def tiny_city(session: Session, *, code: str = "T") -> TinyCity:
    """Add the tiny city to the session and flush; `code` keeps codes unique."""
    city = City(code=f"{code}C", name="Tinyville", name_local="小城市", kind="home",
                centroid_lat=35.4, centroid_lon=116.6, distance_km=0.0, population=11)
    neighbour = City(code=f"{code}N", name="Nextdoor", name_local="邻市", kind="neighbour",
                     centroid_lat=35.0, centroid_lon=118.3, distance_km=150.5,
                     population=11_000_000)
    session.add_all([city, neighbour])
    session.flush()
    t = TinyCity(city=city, neighbour=neighbour)
    for d, (name, local) in enumerate([("Rencheng", "任城区"), ("Yanzhou", "兖州区")], 1):
        t.districts.append(District(city_id=city.id, code=f"{code}D{d}", name=name,
                                    name_local=local, centroid_lat=35.4, centroid_lon=116.6,
                                    population=0))
    session.add_all(t.districts)
    session.flush()
    for s, (d, name, local) in enumerate(
        [(0, "Gulou", "古槐街道"), (0, "Nanzhan", "南张街道"), (1, "Gulou East", "鼓楼街道")], 1
    ):
        t.subdistricts.append(Subdistrict(district_id=t.districts[d].id, code=f"{code}S{s}",
                                          name=name, name_local=local, centroid_lat=35.4,
                                          centroid_lon=116.6, population=0))
    session.add_all(t.subdistricts)
    session.flush()
    for c, (s, name, local) in enumerate(
        [(0, "Willow Court", "柳园小区"), (0, "Pine Court", "松园小区"),
         (2, "River Court", "河畔小区")],
        1,
    ):
        lon, lat = 116.6 + c * 0.01, 35.4
        t.communities.append(Community(subdistrict_id=t.subdistricts[s].id,
                                       code=f"{code}M{c}", name=name, name_local=local,
                                       centroid_lat=lat, centroid_lon=lon,
                                       polygon=square(lon, lat, 0.002), population=0))
    session.add_all(t.communities)
    session.flush()
    # Willow Court: buildings 1 and 2; Pine Court: building 1; River Court: none.
    for c, number in [(0, 1), (0, 2), (1, 1)]:
        com = t.communities[c]
        lon = com.centroid_lon + (number - 1.5) * 0.001
        t.buildings.append(Building(community_id=com.id, number=number, floors=6,
                                    centroid_lat=com.centroid_lat, centroid_lon=lon,
                                    polygon=square(lon, com.centroid_lat, 0.0003)))
    session.add_all(t.buildings)
    session.flush()
    for b in t.buildings:
        for u in (1, 2):
            t.units.append(Unit(building_id=b.id, number=u))
    session.add_all(t.units)
    session.flush()
    building_of_unit = {b.id: b for b in t.buildings}
    for unit in t.units:
        community_id = building_of_unit[unit.building_id].community_id
        for floor in (1, 2):
            for door in (1, 2):
                t.addresses.append(Address(unit_id=unit.id, community_id=community_id,
                                           floor=floor, door=door))
    session.add_all(t.addresses)
    session.flush()

    # (household key, address index, home suitable)
    for key, a, suitable in [
        ("wang", 0, True), ("li", 1, False), ("zhang", 2, True), ("alone", 3, False),
        ("chen", 4, True), ("pine", 16, True), ("empty", 5, True),
    ]:
        address = t.addresses[a]
        t.households[key] = Household(address_id=address.id, community_id=address.community_id,
                                      home_suitable=suitable)
    session.add_all(t.households.values())
    session.flush()

    people = [
        # key, household, name, latin, sex, birth, phone, smartphone, pregnant, disab, chronic
        ("wang_xiuying", "wang", "王秀英", "Wang Xiuying", "F", date(1950, 3, 1),
         "13900000001", False, False, False, True),
        ("wang_xiulan", "wang", "王秀兰", "Wang Xiulan", "F", date(1988, 6, 15),
         "13900000002", True, True, False, False),
        ("wang_wei", "wang", "王伟", "Wang Wei", "M", date(2025, 1, 10),
         None, False, False, False, False),
        ("li_na", "li", "李娜", "Li Na", "F", date(1990, 2, 2),
         "13900000003", True, False, False, False),
        ("li_qiang", "li", "李强", "Li Qiang", "M", date(1989, 12, 30),
         "13900000004", True, False, True, False),
        ("zhang_wei", "zhang", "张伟", "Zhang Wei", "M", date(2012, 9, 1),
         None, False, False, False, False),
        ("zhang_min", "zhang", "张敏", "Zhang Min", "F", date(1984, 4, 4),
         "13900000005", True, False, False, False),
        ("zhao_lei", "alone", "赵磊", "Zhao Lei", "M", date(1940, 1, 1),
         None, False, False, False, True),
        ("chen_jing", "chen", "陈静", "Chen Jing", "F", date(1995, 7, 7),
         "13900000006", False, False, False, False),
        ("chen_jie", "chen", "陈杰", "Chen Jie", "M", date(1994, 8, 8),
         "13900000007", False, False, False, False),
        ("wang_fang", "pine", "王芳", "Wang Fang", "F", date(1970, 5, 5),
         "13900000008", True, False, False, False),
    ]
    for n, (key, hh, name, latin, sex, birth, phone, smart, preg, dis, chronic) in enumerate(
        people, 1
    ):
        household = t.households[hh]
        t.residents[key] = Resident(
            household_id=household.id, community_id=household.community_id,
            id_number=_id_number(n, birth), name=name, name_latin=latin,
            name_search=latin.lower(), sex=sex, birth_date=birth, phone=phone,
            has_smartphone=smart, pregnant=preg, disability=dis, chronic_medication=chronic,
        )
    session.add_all(t.residents.values())
    session.flush()
    # Everyone has lived in their household since birth.
    session.add_all([HouseholdMembership(household_id=r.household_id, resident_id=r.id,
                                         start_date=r.birth_date, end_date=None)
                     for r in t.residents.values()])
    session.flush()

    for com in t.communities:
        com.population = sum(1 for r in t.residents.values() if r.community_id == com.id)
    home = t.communities[0]
    t.workplace = Workplace(name="Tinyville Textile Mill", kind="factory",
                            community_id=home.id, lat=35.4, lon=116.61)
    t.school = School(name="Willow Primary School", kind="primary", community_id=home.id,
                      lat=35.401, lon=116.611)
    t.venue = Venue(name="Willow Market", kind="market", community_id=home.id, lat=35.399,
                    lon=116.609, enclosed=True)
    session.add_all([t.workplace, t.school, t.venue])
    session.flush()
    t.work_group = WorkGroup(workplace_id=t.workplace.id, name="Dyeing shift A")
    t.school_class = SchoolClass(school_id=t.school.id, grade=3, name="Class 3-2")
    session.add_all([t.work_group, t.school_class])
    session.flush()
    session.add_all([
        WorkGroupMembership(work_group_id=t.work_group.id,
                            resident_id=t.residents["wang_xiulan"].id,
                            start_date=date(2020, 1, 1), end_date=None),
        ClassMembership(school_class_id=t.school_class.id,
                        resident_id=t.residents["zhang_wei"].id, role="pupil",
                        start_date=date(2025, 9, 1), end_date=None),
    ])
    session.flush()
    return t
