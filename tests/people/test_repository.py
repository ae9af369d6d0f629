"""People queries on both backends: search modes, order, paging, sizes, places."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epidesk.people import repository
from epidesk.people.rules import read_query
from tests.factories import tiny_city


def names(rows) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.name_latin for r in rows]


def search(db: Session, q: str, *, limit: int = 50, offset: int = 0) -> list[str]:
    query = read_query(q)
    assert query is not None
    return names(repository.search_residents(db, query, limit=limit, offset=offset))


def test_latin_prefix_in_name_order(db: Session):
    tiny_city(db)
    assert search(db, "wang") == ["Wang Fang", "Wang Wei", "Wang Xiulan", "Wang Xiuying"]
    assert search(db, "wang xiu") == ["Wang Xiulan", "Wang Xiuying"]
    assert search(db, "Wang Xiuy") == ["Wang Xiuying"]
    assert search(db, "zhang") == ["Zhang Min", "Zhang Wei"]


def test_prefix_matches_only_the_start(db: Session):
    tiny_city(db)
    assert search(db, "wei") == []
    assert search(db, "xiu") == []


def test_chinese_prefix_on_the_local_name(db: Session):
    tiny_city(db)
    assert search(db, "王秀") == ["Wang Xiulan", "Wang Xiuying"]
    assert search(db, "陈") == ["Chen Jie", "Chen Jing"]
    assert search(db, "秀") == []


def test_wildcards_in_the_query_are_plain_characters(db: Session):
    tiny_city(db)
    assert search(db, "%") == []
    assert search(db, "w_ng") == []
    assert search(db, "wang%") == []


def test_id_number_matches_exactly(db: Session):
    t = tiny_city(db)
    zhao = t.residents["zhao_lei"]
    assert search(db, zhao.id_number) == ["Zhao Lei"]
    assert search(db, zhao.id_number.lower()) == ["Zhao Lei"]
    assert search(db, zhao.id_number[:17] + ("0" if zhao.id_number[-1] != "0" else "1")) == []


def test_number_matches_resident_id_or_phone(db: Session):
    t = tiny_city(db)
    li = t.residents["li_na"]
    assert search(db, str(li.id)) == ["Li Na"]
    assert search(db, "13900000004") == ["Li Qiang"]
    assert search(db, "139 0000 0004") == ["Li Qiang"]
    assert search(db, "1390000000") == []


def test_paging_with_limit_and_offset(db: Session):
    tiny_city(db)
    everyone = search(db, "wang")
    assert search(db, "wang", limit=2) == everyone[:2]
    assert search(db, "wang", limit=2, offset=2) == everyone[2:]
    assert search(db, "wang", limit=2, offset=4) == []


def test_search_loads_the_community_with_the_resident(db: Session):
    tiny_city(db)
    query = read_query("wang xiu")
    assert query is not None
    rows = repository.search_residents(db, query, limit=5, offset=0)
    assert {r.community.name for r in rows} == {"Willow Court"}


def test_household_sizes(db: Session):
    t = tiny_city(db)
    ids = [t.households[k].id for k in ("wang", "alone", "empty")]
    assert repository.household_sizes(db, ids) == {ids[0]: 3, ids[1]: 1}
    assert repository.household_sizes(db, []) == {}


def test_household_members_oldest_first(db: Session):
    t = tiny_city(db)
    members = repository.household_members(db, t.households["wang"].id)
    assert names(members) == ["Wang Xiuying", "Wang Xiulan", "Wang Wei"]


def test_memberships(db: Session):
    t = tiny_city(db)
    work = repository.work_group_memberships(db, t.residents["wang_xiulan"].id)
    assert [m.work_group.workplace.name for m in work] == ["Tinyville Textile Mill"]
    classes = repository.class_memberships(db, t.residents["zhang_wei"].id)
    assert [(m.school_class.name, m.school_class.school.name) for m in classes] == [
        ("Class 3-2", "Willow Primary School")]
    assert repository.work_group_memberships(db, t.residents["zhao_lei"].id) == []


def test_households_per_building(db: Session):
    t = tiny_city(db)
    willow = t.communities[0]
    assert repository.households_per_building(db, willow.id) == {t.buildings[0].id: 6}
    assert repository.households_per_building(db, t.communities[2].id) == {}


def test_building_residents_and_households(db: Session):
    t = tiny_city(db)
    b1 = t.buildings[0]
    assert len(repository.building_residents(db, b1.id)) == 10
    assert len(repository.building_households(db, b1.id)) == 6
    assert repository.building_households(db, t.buildings[1].id) == []


def test_community_places(db: Session):
    t = tiny_city(db)
    willow = t.communities[0].id
    assert [v.name for v in repository.venues(db, willow)] == ["Willow Market"]
    assert [w.name for w in repository.workplaces(db, willow)] == ["Tinyville Textile Mill"]
    assert [s.name for s in repository.schools(db, willow)] == ["Willow Primary School"]
    assert repository.venues(db, t.communities[1].id) == []


def test_pages_of_equal_names_neither_repeat_nor_skip(db: Session):
    from epidesk.people.models import Resident

    t = tiny_city(db)
    template = t.residents["li_na"]
    for n in range(7):
        db.add(Resident(household_id=template.household_id, community_id=template.community_id,
                        id_number=f"37081119900202{n:04d}", name="孙丽", name_latin="Sun Li",
                        name_search="sun li", sex="F", birth_date=template.birth_date,
                        phone=None, has_smartphone=True, pregnant=False, disability=False,
                        chronic_medication=False))
    db.flush()
    query = read_query("sun li")
    assert query is not None
    pages = [repository.search_residents(db, query, limit=3, offset=o) for o in (0, 3, 6)]
    ids = [r.id for page in pages for r in page]
    assert len(ids) == 7
    assert len(set(ids)) == 7
