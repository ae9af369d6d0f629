"""Pure rules of the synthetic city: sizes, distributions, identity numbers."""

from __future__ import annotations

import numpy as np
import pytest

from epidesk.errors import ValidationFailedError
from epidesk.synth.city import rules


def test_age_bands_match_the_published_broad_groups() -> None:
    shares = rules.age_band_shares()
    assert shares.sum() == pytest.approx(1.0)
    assert len(shares) == 18
    assert shares[:3].sum() == pytest.approx(0.1795, abs=1e-4)
    assert shares[3:12].sum() == pytest.approx(0.6335, abs=1e-4)
    assert shares[12:].sum() == pytest.approx(rules.SHARE_60_PLUS, abs=1e-4)


def test_household_sizes_have_the_census_mean_and_one_person_share() -> None:
    sizes, shares = rules.household_size_shares()
    assert shares.sum() == pytest.approx(1.0)
    assert float(sizes @ shares) == pytest.approx(rules.MEAN_HOUSEHOLD_SIZE, abs=0.01)
    assert shares[0] == pytest.approx(0.2539, abs=1e-3)


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_check_character_of_published_examples(number: str) -> None:
    assert rules.id_check_character(number[:17]) == number[17]
    assert rules.is_valid_id_number(number)


def test_vectorised_check_characters_agree_with_the_scalar_rule() -> None:
    rng = np.random.default_rng(0)
    digits = rng.integers(0, 10, (500, 17))
    fast = rules.id_check_characters(digits).tobytes().decode()
    slow = "".join(rules.id_check_character("".join(map(str, row))) for row in digits.tolist())
    assert fast == slow


@pytest.mark.parametrize("number", [
    "11010519491231002Y",  # wrong check character
    "110105194912310021",
    "110105194913310024",  # month 13
    "1101051949123100",  # too short
    "A1010519491231002X",
])
def test_invalid_identity_numbers(number: str) -> None:
    assert not rules.is_valid_id_number(number)


@pytest.mark.parametrize("people", [0, -5, rules.MAX_PEOPLE + 1, True, 2.5, "100"])
def test_unreasonable_people_are_refused(people: object) -> None:
    with pytest.raises(ValidationFailedError, match="people"):
        rules.validate_people(people)  # type: ignore[arg-type]


@pytest.mark.parametrize(("people", "districts", "subdistricts", "communities"), [
    (1, 1, 1, 1),
    (5_000, 1, 1, 1),
    (100_000, 1, 2, 25),
    (10_000_000, 14, 167, 2_500),
    (rules.MAX_PEOPLE, 42, 500, 7_500),
])
def test_hierarchy_grows_with_the_city(people: int, districts: int, subdistricts: int,
                                       communities: int) -> None:
    plan = rules.plan_hierarchy(people)
    assert (plan.districts, plan.subdistricts, plan.communities) == (
        districts, subdistricts, communities)


def test_allocate_is_exact_proportional_and_respects_the_minimum() -> None:
    parts = rules.allocate(100, np.array([1.0, 1.0, 2.0]))
    assert parts.tolist() == [25, 25, 50]
    parts = rules.allocate(10, np.array([100.0, 0.001, 0.001]), minimum=1)
    assert parts.tolist() == [8, 1, 1]
    assert rules.allocate(7, np.array([1.0, 1.0, 1.0])).sum() == 7
    with pytest.raises(ValueError):
        rules.allocate(2, np.ones(3), minimum=1)


def test_school_stages_and_grades_by_age() -> None:
    ages = np.array([0, 2, 3, 5, 6, 11, 12, 14, 15, 17, 18, 40])
    stages = rules.school_stage(ages)
    assert stages.tolist() == [-1, -1, 0, 0, 1, 1, 2, 2, 3, 3, -1, -1]
    at_school = stages >= 0
    grades = rules.school_grade(ages[at_school], stages[at_school])
    assert grades.tolist() == [1, 3, 1, 6, 7, 9, 10, 12]


def test_vulnerability_probabilities_follow_age() -> None:
    ages = np.array([1, 30, 75, 90])
    male = np.array([False, True, False, False])
    assert rules.pregnancy_probability(ages, male).tolist() == [0.0, 0.0, 0.0, 0.0]
    assert rules.pregnancy_probability(np.array([28]), np.array([False]))[0] > 0
    phone = rules.smartphone_probability(ages)
    assert phone[1] > phone[2] > phone[3]
    assert rules.disability_probability(ages)[3] > rules.disability_probability(ages)[1]
    assert rules.chronic_medication_probability(ages)[2] > 0.3
    assert rules.working_age(np.array([17, 30, 57, 57]),
                             np.array([True, True, True, False])).tolist() == [
        False, True, True, False]
