"""Tracing rules on plain values: windows, preset parameters, tiers, words, follow-up."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from epidesk.kit.reports import Problem
from epidesk.tracing import rules
from epidesk.tracing.contacts import rules as contact_rules
from epidesk.tracing.exposures import rules as exposure_rules
from epidesk.tracing.visits import rules as visit_rules
from tests.tracing.helpers import CITY, preset


def local(text: str) -> int:
    return rules.seconds_of(datetime.fromisoformat(text))


NOW = local("2026-11-22T20:00:00+08:00")


def window(classification: str, sampling: date, onset: date | None, isolation: date | None,
           name: str = "cn-9th-2022") -> tuple[int, int]:
    return rules.case_window(classification=classification, sampling_date=sampling,
                             onset_date=onset, isolation_date=isolation, preset=preset(name),
                             now=NOW, zone=CITY)


def test_an_asymptomatic_infection_counts_from_days_before_sampling_to_isolation():
    assert window("asymptomatic", date(2026, 11, 20), None, date(2026, 11, 21)) == (
        local("2026-11-16T00:00:00+08:00"), local("2026-11-22T00:00:00+08:00"))


def test_a_confirmed_case_counts_from_the_earlier_of_onset_and_sampling():
    assert window("confirmed", date(2026, 11, 20), date(2026, 11, 18), date(2026, 11, 21))[0] \
        == local("2026-11-14T00:00:00+08:00")
    # Symptoms after sampling (a reclassification) never shorten the window.
    assert window("confirmed", date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 21))[0] \
        == local("2026-11-16T00:00:00+08:00")


def test_a_case_not_yet_isolated_exposes_people_until_now():
    assert window("asymptomatic", date(2026, 11, 20), None, None)[1] == NOW


def test_a_case_isolated_before_its_window_opens_has_an_empty_window():
    start, end = window("asymptomatic", date(2026, 11, 20), None, date(2026, 11, 10))
    assert start == end


def test_memberships_run_from_their_first_to_their_last_day():
    assert rules.membership_interval(date(2026, 1, 1), date(2026, 1, 31), CITY) == (
        local("2026-01-01T00:00:00+08:00"), local("2026-02-01T00:00:00+08:00"))
    assert rules.membership_interval(date(2026, 1, 1), None, CITY)[1] == rules.FOREVER


def test_civil_dates_and_the_last_exposure_day():
    assert rules.local_date(local("2026-11-21T23:59:59+08:00"), CITY) == date(2026, 11, 21)
    end = local("2026-11-22T00:00:00+08:00")
    assert rules.last_exposure_date(end - 3600, end, CITY) == date(2026, 11, 21)
    assert rules.last_exposure_date(end, end, CITY) == date(2026, 11, 22)


def test_the_9th_edition_identifies_sub_close_contacts_and_promotes_them():
    found = rules.tracing_rules(preset("cn-9th-2022"))
    assert found.sub_close and found.promote and found.min_overlap_seconds == 15 * 60
    assert found.close_settings == {"household", "work_group", "school_class", "venue",
                                    "exposure"}
    assert found.sub_close_settings == {"household", "work_group", "school_class", "exposure"}
    assert "carer" in found.exposure_settings


@pytest.mark.parametrize("name", ["cn-20-measures-2022", "cn-10-measures-2022"])
def test_later_presets_identify_no_sub_close_contacts(name: str):
    found = rules.tracing_rules(preset(name))
    assert not found.sub_close and found.sub_close_settings is None and not found.promote


def test_the_tier_is_close_when_any_evidence_is_close():
    assert rules.tier_of(["sub_close", "close"]) == "close"
    assert rules.tier_of(["sub_close"]) == "sub_close"
    assert rules.tier_of([]) is None


def test_each_kind_of_evidence_names_the_preset_rule():
    assert rules.rule_path("household", "close", "direct", None) == \
        "contacts.close_settings.settings.household"
    assert rules.rule_path("school_class", "close", "direct", None) == \
        "contacts.close_settings.settings.shared_workplace"
    assert rules.rule_path("exposure", "close", "direct", "carer") == \
        "contacts.close_settings.settings.carer"
    assert rules.rule_path("venue", "close", "direct", None) == "contacts.venue_co_visit"
    assert rules.rule_path("household", "sub_close", "via_close_contact", None) == \
        "contacts.sub_close"
    assert rules.derivation_of("close", 5) == rules.PROMOTED
    assert rules.derivation_of("sub_close", 5) == rules.VIA_CLOSE_CONTACT
    assert rules.derivation_of("close", None) == rules.DIRECT


def facts(**kw: object) -> contact_rules.EvidenceFacts:
    base: dict[str, object] = dict(
        tier="close", derivation="direct", setting="venue", place="Willow Market",
        case_label="asymptomatic case 7 (Wang Xiulan, resident 2)", via_label=None,
        start=local("2026-11-19T10:30:00+08:00"), end=local("2026-11-19T11:05:00+08:00"))
    base.update(kw)
    return contact_rules.EvidenceFacts(**base)


def test_staff_read_the_case_and_the_time_and_the_resident_reads_no_names():
    staff = contact_rules.explain_for_staff(facts(), min_overlap_minutes=15, zone=CITY)
    assert staff == ("Was at Willow Market at the same time with asymptomatic case 7 "
                     "(Wang Xiulan, resident 2) on 2026-11-19 from 10:30 to 11:05: 35 min "
                     "together (at least 15 min count), inside the case's close-contact window.")
    mine = contact_rules.explain_for_resident(facts(), min_overlap_minutes=15, zone=CITY)
    assert "Wang" not in mine and "case 7" not in mine
    assert mine.startswith("You were at Willow Market at the same time")
    sub = facts(tier="sub_close", derivation="via_close_contact", setting="household",
                place="Willow Court, building 1", via_label="Li Na (resident 4)",
                end=local("2026-11-22T20:00:00+08:00"))
    assert "Li Na" in contact_rules.explain_for_staff(sub, min_overlap_minutes=15, zone=CITY)
    assert "Li Na" not in contact_rules.explain_for_resident(sub, min_overlap_minutes=15, zone=CITY)
    moment = facts(setting="exposure", place="Pine Court", exposure_setting="carer",
                   exposure_setting_label="Cared for the case", end=local(
                       "2026-11-19T10:30:00+08:00"))
    assert "at 2026-11-19 10:30" in contact_rules.explain_for_staff(
        moment, min_overlap_minutes=15, zone=CITY)


def test_the_follow_up_plan_comes_from_the_preset():
    close = rules.follow_up_plan("close", date(2026, 11, 21), preset())
    assert [(t.day, t.due_on, t.place) for t in close][:2] == [
        (1, date(2026, 11, 22), "centralized"), (2, date(2026, 11, 23), "centralized")]
    assert [t.day for t in close] == [1, 2, 3, 5, 7, 10]
    assert [t.day for t in rules.follow_up_plan("sub_close", date(2026, 11, 21), preset())] \
        == [1, 4, 7]
    assert rules.follow_up_plan("sub_close", date(2026, 11, 21),
                                preset("cn-20-measures-2022")) == []
    assert [t.day for t in rules.follow_up_plan("close", date(2026, 11, 21),
                                                preset("cn-10-measures-2022"))] == [5]


def test_a_planned_test_is_done_missed_due_planned_or_ended():
    day = date(2026, 11, 23)
    assert rules.test_status(day, [day], today=date(2026, 11, 30)) == "done"
    assert rules.test_status(day, [], today=date(2026, 11, 24)) == "missed"
    assert rules.test_status(day, [], today=day) == "due"
    assert rules.test_status(day, [], today=date(2026, 11, 22)) == "planned"
    assert rules.test_status(day, [], today=date(2026, 11, 30), ended_on=day) == "ended"


def test_exposures_need_two_people_a_known_setting_and_a_past_time():
    settings = {"carer": "Cared for the case"}
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    ok = dict(resident_a=1, resident_b=2, at=now - timedelta(hours=1), setting="carer",
              settings=settings, now=now)
    assert exposure_rules.exposure_problem(**ok) is None
    assert "two different" in (exposure_rules.exposure_problem(**{**ok, "resident_b": 1}) or "")
    assert "UTC offset" in (exposure_rules.exposure_problem(
        **{**ok, "at": datetime(2026, 11, 22)}) or "")
    assert "future" in (exposure_rules.exposure_problem(
        **{**ok, "at": now + timedelta(hours=1)}) or "")
    assert "unknown setting" in (exposure_rules.exposure_problem(**{**ok, "setting": "x"}) or "")


def test_visit_reports_list_problems_by_line_then_column():
    report = visit_rules.visit_report([
        Problem(3, "ended_at", "visit_too_long", "b"), Problem(3, "resident_id",
                                                               "unknown_resident", "a"),
        Problem(1, "mask", "unknown_column", "c")])
    assert [(p.line, p.column) for p in report.problems] == [
        (1, "mask"), (3, "resident_id"), (3, "ended_at")]
    assert list(report.counts) == ["unknown_column", "unknown_resident", "visit_too_long"]
    assert "resident_id" in visit_rules.VISIT_LOG_FORMAT
