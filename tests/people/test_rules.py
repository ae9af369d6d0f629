"""Vulnerability flags, ages and how search queries are read: plain values only."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from epidesk.people.rules import (
    ELDERLY_AGE,
    INFANT_AGE_BELOW,
    Flag,
    PersonFacts,
    PersonQuery,
    SearchMode,
    age_on,
    household_flags,
    prefix_upper_bound,
    read_query,
    resident_id_of,
    vulnerability_flags,
)

TODAY = date(2026, 11, 22)


def person(
    birth: date = date(1990, 1, 1), *, pregnant: bool = False, disability: bool = False,
    chronic: bool = False, smartphone: bool = True, household_size: int = 3,
) -> PersonFacts:
    return PersonFacts(birth_date=birth, pregnant=pregnant, disability=disability,
                       chronic_medication=chronic, has_smartphone=smartphone,
                       household_size=household_size)


def test_age_counts_completed_years():
    assert age_on(date(1990, 11, 22), TODAY) == 36
    assert age_on(date(1990, 11, 23), TODAY) == 35
    assert age_on(TODAY, TODAY) == 0


def test_leap_day_birthday_counts_on_first_of_march():
    born = date(2000, 2, 29)
    assert age_on(born, date(2021, 2, 28)) == 20
    assert age_on(born, date(2021, 3, 1)) == 21


def test_a_healthy_adult_with_a_smartphone_has_no_flags():
    assert vulnerability_flags(person(), today=TODAY) == ()


def test_elderly_from_sixty():
    assert ELDERLY_AGE == 60
    sixty = date(TODAY.year - 60, TODAY.month, TODAY.day)
    assert Flag.ELDERLY in vulnerability_flags(person(sixty), today=TODAY)
    just_under = date(TODAY.year - 60, TODAY.month, TODAY.day + 1)
    assert Flag.ELDERLY not in vulnerability_flags(person(just_under), today=TODAY)


def test_infant_under_three():
    assert INFANT_AGE_BELOW == 3
    two = date(TODAY.year - 3, TODAY.month, TODAY.day + 1)
    three = date(TODAY.year - 3, TODAY.month, TODAY.day)
    assert Flag.INFANT in vulnerability_flags(person(two, smartphone=False), today=TODAY)
    assert Flag.INFANT not in vulnerability_flags(person(three, smartphone=False), today=TODAY)


def test_each_need_gives_its_flag_in_a_stable_order():
    flags = vulnerability_flags(
        person(date(1950, 1, 1), pregnant=True, disability=True, chronic=True,
               smartphone=False, household_size=1),
        today=TODAY,
    )
    assert flags == (Flag.LIVES_ALONE, Flag.ELDERLY, Flag.PREGNANT, Flag.DISABILITY,
                     Flag.CHRONIC_MEDICATION, Flag.NO_SMARTPHONE)


def test_children_are_not_flagged_for_having_no_smartphone():
    child = person(date(2015, 1, 1), smartphone=False)
    adult = person(date(2000, 1, 1), smartphone=False)
    assert Flag.NO_SMARTPHONE not in vulnerability_flags(child, today=TODAY)
    assert Flag.NO_SMARTPHONE in vulnerability_flags(adult, today=TODAY)


def test_flags_have_labels_for_staff():
    assert Flag.ELDERLY.label == "elderly (60+)"
    assert Flag.INFANT.label == "infant (under 3)"
    assert all(flag.label for flag in Flag)


def test_household_without_any_adult_smartphone_is_flagged():
    grandma = person(date(1945, 1, 1), smartphone=False, household_size=2)
    child = person(date(2016, 1, 1), smartphone=True, household_size=2)
    flags = household_flags([grandma, child], today=TODAY)
    assert flags == (Flag.ELDERLY, Flag.NO_SMARTPHONE)


def test_household_with_one_adult_smartphone_is_reachable():
    grandma = person(date(1945, 1, 1), smartphone=False, household_size=2)
    mother = person(date(1985, 1, 1), smartphone=True, household_size=2)
    assert household_flags([grandma, mother], today=TODAY) == (Flag.ELDERLY,)


def test_household_flags_collect_every_members_needs():
    members = [
        person(date(1990, 1, 1), pregnant=True, household_size=3),
        person(date(2025, 6, 1), smartphone=False, household_size=3),
        person(date(1988, 1, 1), chronic=True, household_size=3),
    ]
    assert household_flags(members, today=TODAY) == (
        Flag.INFANT, Flag.PREGNANT, Flag.CHRONIC_MEDICATION)


def test_a_household_of_one_lives_alone_and_an_empty_one_has_no_flags():
    assert household_flags([person(household_size=1)], today=TODAY) == (Flag.LIVES_ALONE,)
    assert household_flags([], today=TODAY) == ()


@pytest.mark.parametrize(
    ("raw", "mode", "value"),
    [
        ("wang xiu", SearchMode.NAME_LATIN, "wang xiu"),
        ("  Wang   XIU ", SearchMode.NAME_LATIN, "wang xiu"),
        ("王秀", SearchMode.NAME_LOCAL, "王秀"),
        ("王 秀", SearchMode.NAME_LOCAL, "王秀"),
        ("370811195003010011", SearchMode.ID_NUMBER, "370811195003010011"),
        ("37081119500301001x", SearchMode.ID_NUMBER, "37081119500301001X"),
        ("12345", SearchMode.NUMBER, "12345"),
        ("139 0000 0001", SearchMode.NUMBER, "13900000001"),
        ("139-0000-0001", SearchMode.NUMBER, "13900000001"),
        ("+8613900000001", SearchMode.NUMBER, "+8613900000001"),
        ("o'brien", SearchMode.NAME_LATIN, "o'brien"),
        ("50%_off", SearchMode.NAME_LATIN, "50%_off"),
    ],
)
def test_read_query(raw: str, mode: SearchMode, value: str):
    assert read_query(raw) == PersonQuery(mode, value)


def test_an_empty_query_is_nothing_to_search():
    assert read_query("") is None
    assert read_query("   ") is None


def test_numbers_name_a_resident_id_only_when_short_enough():
    assert resident_id_of(PersonQuery(SearchMode.NUMBER, "42")) == 42
    assert resident_id_of(PersonQuery(SearchMode.NUMBER, "13900000001")) is None
    assert resident_id_of(PersonQuery(SearchMode.NUMBER, "+8613900000001")) is None
    assert resident_id_of(PersonQuery(SearchMode.NAME_LATIN, "wang")) is None


def test_prefix_upper_bound():
    assert prefix_upper_bound("wang") == "wanh"
    assert prefix_upper_bound("王") == chr(ord("王") + 1)
    assert prefix_upper_bound("a\U0010ffff") == "b"
    assert prefix_upper_bound("\U0010ffff") is None
    assert prefix_upper_bound("\ud7ff") == "\ue000"


@given(prefix=st.text(min_size=1, max_size=6), rest=st.text(max_size=6))
def test_every_string_with_the_prefix_lies_below_the_bound(prefix: str, rest: str):
    upper = prefix_upper_bound(prefix)
    word = prefix + rest
    assert word >= prefix
    if upper is not None:
        assert word < upper
        assert not upper.startswith(prefix)
