"""People use cases on both backends: search, residents, households, places."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError, ValidationFailedError
from epidesk.kit.access import AreaFilter
from epidesk.people import service
from epidesk.people.models import HouseholdMembership
from epidesk.people.rules import Flag, SearchMode
from epidesk.people.schemas import MAX_LIMIT, MAX_OFFSET
from tests.factories import TODAY, tiny_city


def test_search_by_name_reports_mode_flags_and_more(db: Session):
    tiny_city(db)
    page = service.search_people(db, query="wang", limit=3, today=TODAY)
    assert page.mode is SearchMode.NAME_LATIN
    assert page.has_more is True
    assert [p.name for p in page.items] == ["王芳", "王伟", "王秀兰"]
    fang, wei, xiulan = page.items
    assert fang.flags == [Flag.LIVES_ALONE]
    assert wei.flags == [Flag.INFANT]
    assert wei.age == 1
    assert xiulan.flags == [Flag.PREGNANT]
    assert xiulan.community.name == "Willow Court"
    assert xiulan.community.kind == "community"


def test_last_page_has_no_more(db: Session):
    tiny_city(db)
    page = service.search_people(db, query="wang", limit=3, offset=3, today=TODAY)
    assert [p.name_latin for p in page.items] == ["Wang Xiuying"]
    assert page.has_more is False
    exact = service.search_people(db, query="wang", limit=4, today=TODAY)
    assert len(exact.items) == 4
    assert exact.has_more is False


def test_search_by_local_name_id_number_and_phone(db: Session):
    t = tiny_city(db)
    assert [p.name for p in service.search_people(db, query="李").items] == ["李娜", "李强"]
    zhao = t.residents["zhao_lei"]
    by_id_number = service.search_people(db, query=zhao.id_number)
    assert by_id_number.mode is SearchMode.ID_NUMBER
    assert [p.id for p in by_id_number.items] == [zhao.id]
    by_phone = service.search_people(db, query="13900000008")
    assert by_phone.mode is SearchMode.NUMBER
    assert [p.name for p in by_phone.items] == ["王芳"]
    by_id = service.search_people(db, query=str(zhao.id))
    assert [p.id for p in by_id.items] == [zhao.id]


def test_empty_query_finds_nothing(db: Session):
    tiny_city(db)
    page = service.search_people(db, query="  ")
    assert page.mode is None
    assert page.items == []
    assert page.has_more is False


def test_no_match(db: Session):
    tiny_city(db)
    page = service.search_people(db, query="nobody")
    assert page.items == []
    assert page.has_more is False


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (MAX_LIMIT + 1, 0), (10, -1),
                                               (10, MAX_OFFSET + 1)])
def test_search_refuses_bad_paging(db: Session, limit: int, offset: int):
    with pytest.raises(ValidationFailedError):
        service.search_people(db, query="wang", limit=limit, offset=offset)


def test_person_detail(db: Session):
    t = tiny_city(db)
    xiulan = t.residents["wang_xiulan"]
    person = service.person_detail(db, resident_id=xiulan.id, today=TODAY)
    assert person.name == "王秀兰"
    assert person.id_number == xiulan.id_number
    assert person.age == 38
    assert person.flags == [Flag.PREGNANT]
    assert person.home_suitable is True
    assert [m.name for m in person.household_members] == ["王秀英", "王伟"]
    assert [p.kind for p in person.address.path] == [
        "city", "district", "subdistrict", "community", "building", "unit"]
    assert [p.name for p in person.address.path] == [
        "Tinyville", "Rencheng", "Gulou", "Willow Court", "Building 1", "Unit 1"]
    assert person.address.flat == "101"
    assert person.address.label == (
        "Flat 101, Unit 1, Building 1, Willow Court, Gulou, Rencheng, Tinyville")
    assert person.address.label_local == "小城市任城区古槐街道柳园小区1号楼1单元101室"
    assert [(w.work_group, w.workplace) for w in person.work_groups] == [
        ("Dyeing shift A", "Tinyville Textile Mill")]
    assert person.school_classes == []
    assert [(h.household_id, h.address, h.start_date, h.end_date) for h in person.households] == [
        (t.households["wang"].id, person.address.label, date(1988, 6, 15), None)]


def test_pupil_has_a_class(db: Session):
    t = tiny_city(db)
    pupil = service.person_detail(db, resident_id=t.residents["zhang_wei"].id, today=TODAY)
    assert [(c.school_class, c.grade, c.role) for c in pupil.school_classes] == [
        ("Class 3-2", 3, "pupil")]


def test_person_who_lives_alone(db: Session):
    t = tiny_city(db)
    zhao = service.person_detail(db, resident_id=t.residents["zhao_lei"].id, today=TODAY)
    assert zhao.household_members == []
    assert zhao.flags == [Flag.LIVES_ALONE, Flag.ELDERLY, Flag.CHRONIC_MEDICATION,
                          Flag.NO_SMARTPHONE]


def test_unknown_resident(db: Session):
    tiny_city(db)
    with pytest.raises(NotFoundError) as err:
        service.person_detail(db, resident_id=987_654)
    assert err.value.detail == "resident 987654 not found"
    assert err.value.extra == {"kind": "resident", "id": 987_654}


def test_household_detail(db: Session):
    t = tiny_city(db)
    household = service.household_detail(db, household_id=t.households["wang"].id, today=TODAY)
    assert [m.name for m in household.members] == ["王秀英", "王秀兰", "王伟"]
    assert household.flags == [Flag.ELDERLY, Flag.INFANT, Flag.PREGNANT,
                               Flag.CHRONIC_MEDICATION]
    assert household.home_suitable is True
    chen = service.household_detail(db, household_id=t.households["chen"].id, today=TODAY)
    assert chen.flags == [Flag.NO_SMARTPHONE]
    assert chen.home_suitable is True
    assert chen.address.path[-1].name == "Unit 2"


def test_household_with_nobody_registered(db: Session):
    t = tiny_city(db)
    empty = service.household_detail(db, household_id=t.households["empty"].id)
    assert empty.members == []
    assert empty.flags == []


def test_unknown_household(db: Session):
    with pytest.raises(NotFoundError, match="household 424242 not found"):
        service.household_detail(db, household_id=424242)


def test_community_overview(db: Session):
    t = tiny_city(db)
    overview = service.community_overview(db, community_id=t.communities[0].id)
    community = overview.community
    assert community.name == "Willow Court"
    assert community.population == 10
    assert [b.number for b in community.buildings] == [1, 2]
    assert [(b.units, b.flats) for b in community.buildings] == [(2, 8), (2, 8)]
    assert overview.households_by_building == {t.buildings[0].id: 6}
    assert [v.name for v in overview.venues] == ["Willow Market"]
    assert overview.venues[0].enclosed is True
    assert [w.name for w in overview.workplaces] == ["Tinyville Textile Mill"]
    assert [s.name for s in overview.schools] == ["Willow Primary School"]
    assert len(community.polygon) == 5


def test_unknown_community(db: Session):
    with pytest.raises(NotFoundError, match="community 31337 not found"):
        service.community_overview(db, community_id=31337)


def test_building_households(db: Session):
    t = tiny_city(db)
    result = service.building_households(db, building_id=t.buildings[0].id, today=TODAY)
    assert result.building.name == "Building 1"
    assert [u.number for u in result.building.units] == [1, 2]
    assert [f.flat for f in result.building.units[0].flats] == ["101", "102", "201", "202"]
    sizes = {h.id: h.members for h in result.households}
    assert sizes[t.households["wang"].id] == 3
    assert sizes[t.households["alone"].id] == 1
    assert sizes[t.households["empty"].id] == 0
    alone = next(h for h in result.households if h.id == t.households["alone"].id)
    assert Flag.LIVES_ALONE in alone.flags
    assert alone.home_suitable is False


def test_unknown_building(db: Session):
    with pytest.raises(NotFoundError, match="building 77777 not found"):
        service.building_households(db, building_id=77777)


def test_search_within_an_area_finds_only_its_residents(db: Session):
    t = tiny_city(db)
    pine = AreaFilter(community_ids=frozenset({t.communities[1].id}))
    assert [p.name for p in service.search_people(db, query="wang", area=pine).items] == ["王芳"]
    district = AreaFilter(district_ids=frozenset({t.districts[0].id}))
    assert len(service.search_people(db, query="wang", area=district).items) == 4
    elsewhere = AreaFilter(subdistrict_ids=frozenset({t.subdistricts[2].id}))
    assert service.search_people(db, query="wang", area=elsewhere).items == []
    assert service.search_people(db, query="wang", area=AreaFilter()).items == []
    everywhere = AreaFilter(everywhere=True)
    assert len(service.search_people(db, query="wang", area=everywhere).items) == 4


def test_records_outside_the_area_are_not_found(db: Session):
    t = tiny_city(db)
    pine = AreaFilter(community_ids=frozenset({t.communities[1].id}))
    fang = t.residents["wang_fang"]
    assert service.person_detail(db, resident_id=fang.id, area=pine).name == "王芳"
    assert service.household_detail(db, household_id=fang.household_id, area=pine).members
    assert service.community_overview(db, community_id=t.communities[1].id, area=pine)
    assert service.building_households(db, building_id=t.buildings[2].id, area=pine)
    xiulan = t.residents["wang_xiulan"]
    with pytest.raises(NotFoundError, match=f"resident {xiulan.id} not found"):
        service.person_detail(db, resident_id=xiulan.id, area=pine)
    with pytest.raises(NotFoundError, match="household"):
        service.household_detail(db, household_id=xiulan.household_id, area=pine)
    with pytest.raises(NotFoundError, match="community"):
        service.community_overview(db, community_id=t.communities[0].id, area=pine)
    with pytest.raises(NotFoundError, match="building"):
        service.building_households(db, building_id=t.buildings[0].id, area=pine)


# ------------------------------------------------------------------ moves


def stays(db: Session, resident_id: int) -> list[tuple[int, date, date | None]]:
    return [(m.household_id, m.start_date, m.end_date) for m in db.scalars(
        select(HouseholdMembership).where(HouseholdMembership.resident_id == resident_id)
        .order_by(HouseholdMembership.start_date))]


def test_a_move_ends_the_old_membership_and_opens_the_new_one(db: Session):
    t = tiny_city(db)
    xiuying, wang, pine = t.residents["wang_xiuying"], t.households["wang"], t.households["pine"]
    stay = service.move_resident(db, resident_id=xiuying.id, household_id=pine.id,
                                 moved_on=date(2026, 11, 10), today=TODAY)
    assert (stay.household_id, stay.start_date, stay.end_date) == (
        pine.id, date(2026, 11, 10), None)
    assert stays(db, xiuying.id) == [(wang.id, date(1950, 3, 1), date(2026, 11, 9)),
                                     (pine.id, date(2026, 11, 10), None)]
    assert (xiuying.household_id, xiuying.community_id) == (pine.id, pine.community_id)
    person = service.person_detail(db, resident_id=xiuying.id, today=TODAY)
    assert [m.name for m in person.household_members] == ["王芳"]
    assert [(h.household_id, h.start_date, h.end_date) for h in person.households] == [
        (pine.id, date(2026, 11, 10), None), (wang.id, date(1950, 3, 1), date(2026, 11, 9))]
    assert person.households[0].address.endswith("Pine Court, Gulou, Rencheng, Tinyville")
    left = service.household_detail(db, household_id=wang.id, today=TODAY)
    assert [m.name for m in left.members] == ["王秀兰", "王伟"]
    # A second move the next day ends the one-day stay.
    service.move_resident(db, resident_id=xiuying.id, household_id=wang.id,
                          moved_on=date(2026, 11, 11), today=TODAY)
    assert stays(db, xiuying.id)[1:] == [(pine.id, date(2026, 11, 10), date(2026, 11, 10)),
                                         (wang.id, date(2026, 11, 11), None)]


@pytest.mark.parametrize(("household", "moved_on", "error", "message"), [
    (None, date(2026, 11, 10), NotFoundError, "household 424242 not found"),
    ("wang", date(2026, 11, 10), ValidationFailedError,
     r"resident \d+ already lives in household \d+"),
    ("pine", date(1988, 6, 15), ValidationFailedError,
     r"the move date 1988-06-15 must be after 1988-06-15, when resident \d+ moved into "
     r"household \d+"),
    ("pine", date(1980, 1, 1), ValidationFailedError, "must be after 1988-06-15"),
    ("pine", date(2026, 11, 23), ValidationFailedError,
     r"the move date 2026-11-23 is after today \(2026-11-22\)"),
])
def test_moves_that_cannot_be_recorded(db: Session, household: str | None, moved_on: date,
                                       error: type[Exception], message: str):
    t = tiny_city(db)
    xiulan = t.residents["wang_xiulan"]
    target = t.households[household].id if household else 424242
    before = stays(db, xiulan.id)
    with pytest.raises(error, match=message):
        service.move_resident(db, resident_id=xiulan.id, household_id=target,
                              moved_on=moved_on, today=TODAY)
    assert stays(db, xiulan.id) == before
    assert xiulan.household_id == t.households["wang"].id


def test_an_unknown_resident_cannot_move(db: Session):
    t = tiny_city(db)
    with pytest.raises(NotFoundError, match="resident 987654 not found"):
        service.move_resident(db, resident_id=987_654, household_id=t.households["pine"].id,
                              moved_on=date(2026, 11, 10), today=TODAY)


def test_count_people_says_how_many_match_beyond_the_page(db: Session):
    t = tiny_city(db)
    page = service.count_people(db, query="wang", offset=0, shown=3)
    assert (page.total, page.capped, page.more) == (4, False, True)
    assert page.note() == "showing 1-3 of 4; use --limit/--offset (next: --offset 3)"
    assert service.count_people(db, query="李").total == 2
    assert service.count_people(db, query=t.residents["zhao_lei"].id_number).total == 1
    assert service.count_people(db, query="13900000008").total == 1
    assert service.count_people(db, query="  ").total == 0
    pine = AreaFilter(community_ids=frozenset({t.communities[1].id}))
    assert service.count_people(db, query="wang", area=pine).total == 1
    assert service.count_people(db, query="wang", area=AreaFilter()).total == 0


def test_count_people_stops_counting_at_the_cap(db: Session, monkeypatch: pytest.MonkeyPatch):
    tiny_city(db)
    monkeypatch.setattr(service, "COUNT_CAP", 2)
    page = service.count_people(db, query="wang", offset=0, shown=2)
    assert (page.total, page.capped) == (2, True)
    assert page.note() == "showing 1-2 of more than 2; use --limit/--offset (next: --offset 2)"
