"""The generator on plain arrays: determinism, distributions, structure, geometry."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import numpy as np
import pytest

from epidesk.kit import bulk
from epidesk.synth.city import engine, rules
from epidesk.synth.city.engine import GeneratedCity


def digest(city: GeneratedCity) -> str:
    """A hash of every table's binary COPY stream (covers every value of every row)."""
    from epidesk.synth.city.service import city_tables

    h = hashlib.sha256()
    for table in city_tables():
        columns = city.tables[table.name]
        kinds = [bulk.column_kind(table.c[name].type) for name in columns]
        for chunk in bulk.encode_copy_binary(list(columns.values()), kinds):
            h.update(chunk)
    return h.hexdigest()


def ints(column: Any) -> np.ndarray[Any, Any]:
    return np.asarray(column, dtype=np.int64)


def texts(column: Any) -> list[str | None]:
    return bulk.text_values(column)


@pytest.fixture(scope="module")
def city() -> GeneratedCity:
    """A city big enough for distributions to settle, small enough to be quick."""
    return engine.generate_city(120_000, seed=11)


def test_same_seed_same_city_other_seed_other_city() -> None:
    first = digest(engine.generate_city(3_000, seed=5))
    assert digest(engine.generate_city(3_000, seed=5)) == first
    assert digest(engine.generate_city(3_000, seed=6)) != first


def test_household_sizes_follow_the_census(city: GeneratedCity) -> None:
    sizes = np.bincount(ints(city.tables["resident"]["household_id"]))[1:]
    assert sizes.min() >= 1
    assert sizes.mean() == pytest.approx(rules.MEAN_HOUSEHOLD_SIZE, abs=0.04)
    assert (sizes == 1).mean() == pytest.approx(0.2539, abs=0.015)


def age_on_reference_date(births: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Age in whole years on the reference date."""
    ref = rules.REFERENCE_DATE
    years = births.astype("datetime64[Y]").astype(np.int64) + 1970
    month = (births.astype("datetime64[M]") - births.astype("datetime64[Y]")).astype(np.int64) + 1
    day = (births - births.astype("datetime64[M]")).astype(np.int64) + 1
    before_birthday = month * 100 + day > ref.month * 100 + ref.day
    return ref.year - years - before_birthday  # type: ignore[no-any-return]


def test_age_structure_and_sex_follow_the_census(city: GeneratedCity) -> None:
    residents = city.tables["resident"]
    ages = age_on_reference_date(np.asarray(residents["birth_date"]))
    assert (ages >= 60).mean() == pytest.approx(rules.SHARE_60_PLUS, abs=0.005)
    assert (ages < 15).mean() == pytest.approx(0.1795, abs=0.005)
    male = np.array(texts(residents["sex"])) == "M"
    assert male.mean() == pytest.approx(rules.MALE_SHARE, abs=0.01)


def test_every_household_has_an_adult(city: GeneratedCity) -> None:
    residents = city.tables["resident"]
    ages = age_on_reference_date(np.asarray(residents["birth_date"]))
    household = ints(residents["household_id"])
    oldest = np.zeros(household.max() + 1, dtype=np.int64)
    np.maximum.at(oldest, household, ages)
    assert oldest[1:].min() >= rules.ADULT_AGE


def test_vulnerability_flags(city: GeneratedCity) -> None:
    r = city.tables["resident"]
    ages = age_on_reference_date(np.asarray(r["birth_date"]))
    male = np.array(texts(r["sex"])) == "M"
    pregnant = np.asarray(r["pregnant"])
    assert not pregnant[male].any()
    assert 0.003 < pregnant.mean() < 0.012
    assert np.asarray(r["disability"]).mean() == pytest.approx(0.0634, abs=0.01)
    smart = np.asarray(r["has_smartphone"])
    assert smart[ages >= 70].mean() < 0.5 < smart[(ages >= 20) & (ages < 50)].mean()
    phones = texts(r["phone"])
    assert all(p is None for p, a in zip(phones, ages, strict=True) if a < 10)
    present = [p for p in phones if p is not None]
    assert len(present) > 0.6 * len(phones)
    assert all(len(p) == 11 and p.isdigit() and p[0] == "1" for p in present)
    assert len(set(present)) == len(present)


def test_names_in_characters_pinyin_and_search_form(city: GeneratedCity) -> None:
    r = city.tables["resident"]
    names, latin, search = texts(r["name"]), texts(r["name_latin"]), texts(r["name_search"])
    assert all(2 <= len(n) <= 4 for n in names if n)
    assert all("\u4e00" <= n[0] <= "\u9fff" for n in names if n)
    assert search == [la.lower() for la in latin if la]
    assert all(la and la[0].isupper() and " " in la for la in latin)


def test_identity_numbers_are_valid_unique_and_match_birth_and_sex(city: GeneratedCity) -> None:
    r = city.tables["resident"]
    numbers = texts(r["id_number"])
    assert len(set(numbers)) == len(numbers)
    births = np.asarray(r["birth_date"]).astype(str)
    sexes = texts(r["sex"])
    for number, birth, sex in list(zip(numbers, births, sexes, strict=True))[::97]:
        assert number is not None and rules.is_valid_id_number(number)
        assert number[6:14] == birth.replace("-", "")
        assert int(number[16]) % 2 == (1 if sex == "M" else 0)


def test_residents_live_in_their_household_community(city: GeneratedCity) -> None:
    t = city.tables
    household = ints(t["resident"]["household_id"]) - 1
    address = ints(t["household"]["address_id"]) - 1
    assert (ints(t["resident"]["community_id"]) == ints(t["household"]["community_id"])[
        household]).all()
    assert (ints(t["household"]["community_id"]) == ints(t["address"]["community_id"])[
        address]).all()
    assert len(np.unique(address)) == len(address)
    unit = ints(t["address"]["unit_id"]) - 1
    building = ints(t["unit"]["building_id"])[unit] - 1
    assert (ints(t["building"]["community_id"])[building] == ints(
        t["address"]["community_id"])).all()


def test_population_columns_hold_the_generated_counts(city: GeneratedCity) -> None:
    t = city.tables
    per_comm = np.bincount(ints(t["resident"]["community_id"]))[1:]
    assert (ints(t["community"]["population"]) == per_comm).all()
    sub = ints(t["community"]["subdistrict_id"]) - 1
    assert (ints(t["subdistrict"]["population"]) == np.bincount(sub, per_comm)).all()
    assert ints(t["district"]["population"]).sum() == city.people
    assert ints(t["city"]["population"])[0] == city.people
    assert texts(t["city"]["kind"]) == ["home"] + ["neighbour"] * 4
    assert (np.asarray(t["city"]["distance_km"])[1:] > 50).all()


def test_codes_are_hierarchical() -> None:
    city = engine.generate_city(200_000, seed=2)
    t = city.tables
    districts = texts(t["district"]["code"])
    subs = texts(t["subdistrict"]["code"])
    comms = texts(t["community"]["code"])
    assert districts[0] == "D01" and subs[0] == "D01-S01" and comms[0] == "D01-S01-C001"
    sub_of = ints(t["community"]["subdistrict_id"]) - 1
    assert all(c.startswith(subs[s] + "-C") for c, s in zip(comms, sub_of, strict=True))
    assert len(set(texts(t["community"]["name"]))) == len(comms)


def test_work_groups_hold_5_to_40_working_age_people(city: GeneratedCity) -> None:
    t = city.tables
    members = t["work_group_membership"]
    group = ints(members["work_group_id"])
    sizes = np.bincount(group)[1:]
    assert sizes.min() >= rules.WORK_GROUP_MIN and sizes.max() <= rules.WORK_GROUP_MAX
    assert group.max() == len(ints(t["work_group"]["id"]))
    resident = ints(members["resident_id"]) - 1
    assert len(np.unique(resident)) == len(resident)
    ages = age_on_reference_date(np.asarray(t["resident"]["birth_date"]))[resident]
    assert ages.min() >= rules.ADULT_AGE and ages.max() < rules.RETIREMENT_AGE_MEN
    starts = np.asarray(members["start_date"])
    assert (starts <= np.datetime64(rules.REFERENCE_DATE)).all()
    assert (starts >= np.asarray(t["resident"]["birth_date"])[resident]
            + np.timedelta64(365 * 17, "D")).all()


def test_each_class_has_one_age_and_a_teacher(city: GeneratedCity) -> None:
    t = city.tables
    m = t["class_membership"]
    cls = ints(m["school_class_id"]) - 1
    role = np.array(texts(m["role"]))
    ages = age_on_reference_date(np.asarray(t["resident"]["birth_date"]))[
        ints(m["resident_id"]) - 1]
    pupil = role == "pupil"
    lowest = np.full(cls.max() + 1, 999)
    highest = np.zeros(cls.max() + 1, dtype=np.int64)
    np.minimum.at(lowest, cls[pupil], ages[pupil])
    np.maximum.at(highest, cls[pupil], ages[pupil])
    assert (lowest == highest).all()
    assert (np.bincount(cls[~pupil]) == 1).all()
    assert ages[~pupil].min() >= rules.ADULT_AGE
    sizes = np.bincount(cls[pupil])
    assert sizes.max() <= 50
    assert np.median(sizes[np.asarray(t["school_class"]["grade"]) >= 1]) >= 25
    kinds = np.array(texts(t["school"]["kind"]))
    school_of_class = ints(t["school_class"]["school_id"]) - 1
    grade = ints(t["school_class"]["grade"])
    primary = kinds[school_of_class] == "primary"
    assert set(grade[primary].tolist()) <= set(range(1, 7))
    assert (ages[pupil] - 5 == grade[cls[pupil]])[primary[cls[pupil]]].all()


def test_venues_are_common_and_some_are_open_air(city: GeneratedCity) -> None:
    v = city.tables["venue"]
    n = len(ints(v["id"]))
    assert city.people / 600 < n < city.people / 150
    kinds = np.array(texts(v["kind"]))
    enclosed = np.asarray(v["enclosed"])
    assert "hospital" in kinds and "market" in kinds and "pharmacy" in kinds
    assert not enclosed[kinds == "park"].any()
    assert enclosed[kinds == "supermarket"].all()


def test_polygons_are_closed_and_buildings_sit_inside_their_community() -> None:
    city = engine.generate_city(20_000, seed=3)
    t = city.tables
    bounds = []
    for text in texts(t["community"]["polygon"]):
        ring = json.loads(text or "")
        assert ring[0] == ring[-1] and len(ring) >= 4
        lons, lats = [p[0] for p in ring], [p[1] for p in ring]
        bounds.append((min(lons), min(lats), max(lons), max(lats)))
    community = ints(t["building"]["community_id"]) - 1
    for text, c in zip(texts(t["building"]["polygon"]), community, strict=True):
        ring = json.loads(text or "")
        assert ring[0] == ring[-1] and len(ring) == 5
        x0, y0, x1, y1 = bounds[c]
        assert all(x0 < lon < x1 and y0 < lat < y1 for lon, lat in ring)
    # Communities do not overlap one another.
    boxes = np.array(bounds)
    for i in range(len(boxes)):
        other = np.delete(boxes, i, axis=0)
        overlap = ((other[:, 0] < boxes[i, 2]) & (boxes[i, 0] < other[:, 2])
                   & (other[:, 1] < boxes[i, 3]) & (boxes[i, 1] < other[:, 3]))
        assert not overlap.any()


def test_tiny_cities_still_hold_together() -> None:
    for people in (1, 2, 7, 40):
        city = engine.generate_city(people, seed=1)
        rows = city.rows()
        assert rows["resident"] == people
        assert rows["community"] == 1 and rows["city"] == 5


def test_every_resident_has_one_open_household_membership(city: GeneratedCity) -> None:
    t = city.tables
    members, residents = t["household_membership"], t["resident"]
    resident = ints(members["resident_id"]) - 1
    assert (np.sort(resident) == np.arange(city.people)).all()
    assert (ints(members["household_id"]) == ints(residents["household_id"])[resident]).all()
    end = members["end_date"]
    assert isinstance(end, bulk.Nullable) and np.asarray(end.null).all()
    births = np.asarray(residents["birth_date"])[resident]
    starts = np.asarray(members["start_date"])
    ages = age_on_reference_date(np.asarray(residents["birth_date"]))[resident]
    child = ages < rules.ADULT_AGE
    assert (starts[child] == births[child]).all()
    adult_starts, adult_births = starts[~child], births[~child]
    assert (adult_starts <= np.datetime64(rules.REFERENCE_DATE)).all()

    def year_and_day(days: np.ndarray[Any, Any]) -> tuple[np.ndarray[Any, Any], ...]:
        year = days.astype("datetime64[Y]")
        month = days.astype("datetime64[M]")
        return (year.astype(np.int64), (month - year.astype("datetime64[M]")).astype(np.int64),
                (days - month.astype("datetime64[D]")).astype(np.int64))

    (sy, sm, sd), (by, bm, bd) = year_and_day(adult_starts), year_and_day(adult_births)
    # Never before the 18th birthday.
    of_age = (sy - by > rules.ADULT_AGE) | ((sy - by == rules.ADULT_AGE) & (
        (sm > bm) | ((sm == bm) & (sd >= bd))))
    assert of_age.all()
    stay = (np.datetime64(rules.REFERENCE_DATE) - adult_starts).astype(np.int64) / 365.25
    assert 4 < np.median(stay) < rules.MEAN_YEARS_AT_ADDRESS
