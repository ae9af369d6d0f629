"""The quarantine rules, pure: eligibility, the reserve, every release rule."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from epidesk.policy.service import load_preset
from epidesk.quarantine import rules
from epidesk.quarantine.orders import rules as order_rules
from epidesk.quarantine.rules import InspectionFacts, LabResult, OrderTest

DAY0 = date(2026, 11, 21)


def _result(day: int, *, positive: bool = False, ct_ok: bool = True, hour: int = 9,
            base: date = DAY0) -> LabResult:
    on = base + timedelta(days=day)
    return LabResult(sampled_at=datetime(on.year, on.month, on.day, hour, tzinfo=UTC),
                      sampled_on=on, positive=positive, meets_release_ct=ct_ok)


def test_isolation_only_in_hospitals_and_hospitals_only_for_isolation() -> None:
    assert rules.use_allowed("makeshift_hospital", "isolation")
    assert rules.use_allowed("hotel", "quarantine")
    assert not rules.use_allowed("hotel", "isolation")
    assert not rules.use_allowed("designated_hospital", "quarantine")


def test_the_reserve_target_rounds_up() -> None:
    assert rules.reserve_target(10_000, 20) == 20
    assert rules.reserve_target(10_001, 20) == 21
    assert rules.reserve_target(0, 20) == 0


def test_eligibility_needs_a_recent_passing_inspection() -> None:
    passed = InspectionFacts(DAY0, True)
    assert rules.eligibility(passed, day=DAY0 + timedelta(days=14), valid_days=14).eligible
    late = rules.eligibility(passed, day=DAY0 + timedelta(days=15), valid_days=14)
    assert (late.eligible, late.reason) == (False, "inspection_expired")
    failed = rules.eligibility(InspectionFacts(DAY0, False, ("mould",)), day=DAY0,
                               valid_days=14)
    assert (failed.reason, failed.failed_items) == ("failed", ("mould",))
    assert rules.eligibility(None, day=DAY0, valid_days=14).reason == "never_inspected"
    assert rules.eligibility(passed, day=DAY0, valid_days=14, is_open=False).reason == "not_open"


def test_an_inspection_passes_only_with_every_item_passed() -> None:
    every = dict.fromkeys(rules.CHECKLIST, True)
    assert rules.inspection_passed(every)
    assert not rules.inspection_passed({**every, "hot_water": False})
    assert not rules.inspection_passed({"mould": True})
    assert "bedding" in rules.missing_items({"mould": True})


def test_the_end_moves_only_to_another_day() -> None:
    assert rules.changed_end_kind(DAY0, DAY0 + timedelta(days=2)) == "extended"
    assert rules.changed_end_kind(DAY0, DAY0 - timedelta(days=1)) == "shortened"
    try:
        rules.changed_end_kind(DAY0, DAY0)
    except ValueError:
        pass
    else:
        raise AssertionError("the same end date is not a change")


def test_overdue_counts_days_past_the_end_of_orders_in_force() -> None:
    assert rules.overdue(DAY0, DAY0 + timedelta(days=3), "active") == 3
    assert rules.overdue(DAY0, DAY0, "active") == 0
    assert rules.overdue(DAY0, DAY0 + timedelta(days=3), "released") == 0


# ------------------------------------------------------------------ release rules


def test_sub_close_contact_released_on_day_7_with_its_and_its_close_contacts_tests() -> None:
    own = [_result(1), _result(4), _result(7)]
    linked = [_result(1), _result(2), _result(3, positive=True)]
    ok = rules.release_sub_close(on_day=7, counted_from=DAY0, today=DAY0 + timedelta(days=7),
                                 own=own, linked=linked, linked_tests=2)
    assert ok.allowed, ok.missing
    early = rules.release_sub_close(on_day=7, counted_from=DAY0,
                                    today=DAY0 + timedelta(days=6), own=own, linked=linked,
                                    linked_tests=2)
    assert not early.allowed and "day 7" in early.missing[0]
    one_linked = rules.release_sub_close(on_day=7, counted_from=DAY0,
                                         today=DAY0 + timedelta(days=7), own=own,
                                         linked=linked[:1], linked_tests=2)
    assert not one_linked.allowed and "1 of the 2" in one_linked.missing[0]
    positive_linked = rules.release_sub_close(
        on_day=7, counted_from=DAY0, today=DAY0 + timedelta(days=7), own=own,
        linked=[_result(1), _result(2, positive=True)], linked_tests=2)
    assert not positive_linked.allowed
    positive_own = rules.release_sub_close(
        on_day=7, counted_from=DAY0, today=DAY0 + timedelta(days=7),
        own=[*own, _result(5, positive=True)], linked=linked, linked_tests=2)
    assert not positive_own.allowed


def test_case_released_after_two_tests_24_hours_apart_meeting_the_ct() -> None:
    def decide(results: list[LabResult]) -> bool:
        return rules.release_case(results=results, consecutive=2, hours_apart=24,
                                  isolation_days=[], counted_from=DAY0).allowed

    assert decide([_result(8), _result(9)])
    # 12 hours apart is not enough; a low Ct in between restarts the count.
    assert not decide([_result(8, hour=1), _result(8, hour=13)])
    assert not decide([_result(7), _result(8, ct_ok=False), _result(9)])
    assert decide([_result(7), _result(8, ct_ok=False), _result(9), _result(10)])
    refused = rules.release_case(results=[_result(8)], consecutive=2, hours_apart=24,
                                 isolation_days=[], counted_from=DAY0)
    assert "2 consecutive tests at least 24 h apart" in refused.missing[0]


def test_case_under_the_10_measures_released_after_tests_on_days_6_and_7() -> None:
    def decide(results: list[LabResult]) -> rules.ReleaseDecision:
        return rules.release_case(results=results, consecutive=2, hours_apart=None,
                                  isolation_days=[6, 7], counted_from=DAY0)

    assert decide([_result(6), _result(7)]).allowed
    missing = decide([_result(6)])
    assert not missing.allowed and "day-7" in missing.missing[0]
    assert not decide([_result(6), _result(7, ct_ok=False)]).allowed


def test_close_contact_under_the_10_measures_released_after_a_negative_day_5_test() -> None:
    end = DAY0 + timedelta(days=5)
    tests = [OrderTest(5, end, "home")]
    ok = rules.release_negative_on_last_day(tests=tests, results=[_result(5)], end_on=end,
                                            today=end, rule="r")
    assert ok.allowed
    assert not rules.release_negative_on_last_day(tests=tests, results=[], end_on=end,
                                                  today=end, rule="r").allowed
    assert not rules.release_negative_on_last_day(
        tests=tests, results=[_result(5, positive=True)], end_on=end, today=end,
        rule="r").allowed


def test_close_contacts_and_visitors_need_every_required_test_negative() -> None:
    end = DAY0 + timedelta(days=7)
    tests = [OrderTest(d, DAY0 + timedelta(days=d), "centralized") for d in (1, 2, 3, 5, 7)]
    every = [_result(d) for d in (1, 2, 3, 5, 7)]
    assert rules.release_after_tests(rule="r", tests=tests, results=every, end_on=end,
                                     today=end).allowed
    gap = rules.release_after_tests(rule="r", tests=tests, results=every[:-1], end_on=end,
                                    today=end)
    assert not gap.allowed and "day-7" in gap.missing[0]


def test_low_risk_area_visitors_need_two_tests_in_three_days() -> None:
    assert rules.low_risk_tests_met([_result(0), _result(2)], tests=2, within_days=3,
                                    since=DAY0).allowed
    assert not rules.low_risk_tests_met([_result(0), _result(3)], tests=2, within_days=3,
                                        since=DAY0).allowed
    assert not rules.low_risk_tests_met([_result(0, hour=1), _result(0, hour=5)], tests=2,
                                        within_days=3, since=DAY0).allowed


# ------------------------------------------------------------------ order plans


def test_a_close_contacts_order_under_the_9th_is_7_days_centralized_then_monitoring() -> None:
    plan = order_rules.contact_plan("close", DAY0, load_preset("cn-9th-2022"),
                                    home_suitable=True)
    assert plan is not None
    assert (plan.form, plan.start_on, plan.end_on, plan.monitoring_until) == (
        "centralized", date(2026, 11, 22), date(2026, 11, 28), date(2026, 12, 1))
    assert [t.day for t in plan.tests] == [1, 2, 3, 5, 7, 10]
    assert plan.rule == "quarantine.categories.close_contact"


def test_under_the_10_measures_home_when_suitable_else_centralized() -> None:
    preset = load_preset("cn-10-measures-2022")
    home = order_rules.contact_plan("close", DAY0, preset, home_suitable=True)
    away = order_rules.contact_plan("close", DAY0, preset, home_suitable=False)
    assert home is not None and away is not None
    assert (home.form, away.form) == ("home", "centralized")
    assert home.end_on == DAY0 + timedelta(days=5)
    assert order_rules.release_rule("close_contact", home.rule_values, preset).endswith(
        "release_after_negative_test")


def test_a_cases_isolation_follows_the_preset() -> None:
    ninth = order_rules.case_plan(DAY0, load_preset("cn-9th-2022"), home_suitable=True)
    assert (ninth.kind, ninth.form, ninth.tests) == ("isolation", "centralized", ())
    assert ninth.rule_values["review_source"] == "platform default"
    tenth = order_rules.case_plan(DAY0, load_preset("cn-10-measures-2022"), home_suitable=True)
    assert tenth.form == "home" and [t.day for t in tenth.tests] == [6, 7]
