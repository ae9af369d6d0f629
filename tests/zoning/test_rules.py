"""The rules of zoning with hand-built dates: the step-down clock, rounds, manual changes."""

from __future__ import annotations

import datetime as dt

import pytest

from epidesk.kit import i18n
from epidesk.policy.service import get_preset
from epidesk.zoning.rules import (
    CaseFacts,
    ZoningRuleError,
    area_key,
    check_manual_change,
    infectious_days,
    language,
    parse_key,
    planned_end,
    public_area,
    round_negative,
    step_due,
    text,
    timeline,
)

D0 = dt.date(2026, 11, 1)
NINTH = get_preset("cn-9th-2022")
TWENTY = get_preset("cn-20-measures-2022")
TEN = get_preset("cn-10-measures-2022")


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


def test_a_negative_round_on_day_7_steps_the_zone_down_that_day_and_not_before() -> None:
    steps = timeline([(day(0), "high")], [day(7)], NINTH, until=day(7))
    assert [(s.day, s.kind, s.from_level, s.to_level) for s in steps] == [
        (day(0), "opened", None, "high"), (day(7), "stepped_down", "high", "medium")]
    assert timeline([(day(0), "high")], [day(7)], NINTH, until=day(6))[-1].to_level == "high"
    for n in range(1, 7):
        assert step_due("high", None, day(0), day(n), True, NINTH) is None
    rule = step_due("high", None, day(0), day(7), True, NINTH)
    assert rule is not None and rule.to_level == "medium"


def test_without_the_round_on_day_7_the_zone_stays_high() -> None:
    assert step_due("high", None, day(0), day(7), False, NINTH) is None
    steps = timeline([(day(0), "high")], [day(6)], NINTH, until=day(9))
    assert [s.to_level for s in steps] == ["high"]
    # A negative round on a later day steps it down that day.
    steps = timeline([(day(0), "high")], [day(9)], NINTH, until=day(9))
    assert steps[-1].day == day(9) and steps[-1].to_level == "medium"


def test_a_new_case_on_day_6_restarts_the_clock() -> None:
    rounds = [day(7), day(13)]
    steps = timeline([(day(0), "high"), (day(6), "high")], rounds, NINTH, until=day(13))
    assert [(s.day, s.kind, s.to_level) for s in steps] == [
        (day(0), "opened", "high"), (day(6), "restarted", "high"),
        (day(13), "stepped_down", "medium")]


def test_a_former_high_zone_steps_from_medium_to_low_after_3_days() -> None:
    steps = timeline([(day(0), "high")], [day(7)], NINTH, until=day(20))
    assert [(s.day, s.to_level) for s in steps] == [
        (day(0), "high"), (day(7), "medium"), (day(10), "low")]
    assert steps[-1].kind == "lifted"
    assert planned_end("high", None, day(0), NINTH) == day(10)


def test_a_medium_zone_of_a_place_needs_7_days_and_a_round() -> None:
    steps = timeline([(day(0), "medium")], [day(7)], NINTH, until=day(10))
    assert [(s.day, s.to_level) for s in steps] == [(day(0), "medium"), (day(7), "low")]
    assert step_due("medium", None, day(0), day(7), False, NINTH) is None


def test_the_20_measures_lift_after_5_days_without_a_round() -> None:
    steps = timeline([(day(0), "high")], [], TWENTY, until=day(10))
    assert [(s.day, s.to_level) for s in steps] == [(day(0), "high"), (day(5), "low")]
    assert step_due("high", None, day(0), day(4), True, TWENTY) is None
    assert planned_end("high", None, day(0), TEN) == day(5)


def test_a_higher_level_infection_raises_a_place_zone() -> None:
    steps = timeline([(day(0), "medium"), (day(3), "high")], [], NINTH, until=day(5))
    assert [(s.kind, s.to_level) for s in steps] == [("opened", "medium"),
                                                     ("restarted", "high")]


def test_a_full_round_needs_the_share_and_no_positive() -> None:
    assert round_negative(sampled=90, positive=0, residents=100, share=0.9)
    assert not round_negative(sampled=89, positive=0, residents=100, share=0.9)
    assert not round_negative(sampled=100, positive=1, residents=100, share=0.9)
    # A zone nobody lives in still needs one swab to call a round.
    assert not round_negative(sampled=0, positive=0, residents=0, share=0.9)


def test_infectious_days_run_from_days_before_onset_to_isolation() -> None:
    case = CaseFacts(case_id=1, sampling_date=day(10), onset_date=day(8),
                     isolation_date=day(11))
    assert infectious_days(case, NINTH) == (day(4), day(11))
    bare = CaseFacts(case_id=2, sampling_date=day(10))
    assert infectious_days(bare, NINTH) == (day(6), day(10))


def test_the_10_measures_refuse_a_compound_unless_overridden() -> None:
    with pytest.raises(ZoningRuleError, match="does not draw zones by compound"):
        check_manual_change(from_kind="household", to_kind="compound", reason="spread",
                            preset=TEN, override=False, override_reason="", category=None)
    with pytest.raises(ZoningRuleError, match="category"):
        check_manual_change(from_kind="household", to_kind="compound", reason="spread",
                            preset=TEN, override=True, override_reason="why", category=None)
    assert check_manual_change(from_kind="household", to_kind="compound", reason="spread",
                               preset=TEN, override=True, override_reason="shared lifts",
                               category="shared_facilities") == "widened"
    assert check_manual_change(from_kind="household", to_kind="building", reason="spread",
                               preset=TEN, override=False, override_reason="",
                               category=None) == "widened"


def test_a_manual_change_needs_a_written_reason() -> None:
    with pytest.raises(ZoningRuleError, match="written reason"):
        check_manual_change(from_kind="unit", to_kind="building", reason="  ", preset=TWENTY,
                            override=False, override_reason="", category=None)
    assert check_manual_change(from_kind="building", to_kind="unit", reason="one stairwell",
                               preset=TWENTY, override=False, override_reason="",
                               category=None) == "narrowed"


def test_keys_and_public_words() -> None:
    assert parse_key(area_key("floor", 12003)) == ("floor", 12003)
    with pytest.raises(ZoningRuleError):
        parse_key("street:1")
    assert public_area("household") == public_area("floor") == "building"
    assert public_area("unit") == "unit"
    assert language("zh") == "zh" and language("en") == "en"
    with i18n.using("en"):
        assert language(None) == "en" and language("fr") == "en"
    assert text("in_building", "zh") == "本楼内有风险区"
    assert text("why.residence", "en", n=2, rule="zoning.levels.high").endswith(
        ": 2, under the rule zoning.levels.high.")
    assert "2 例" in text("why.residence", "zh", n=2, rule="zoning.levels.high")
