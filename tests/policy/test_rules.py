"""Pure rules with plain values: quarantine timelines, positivity, windows, comparison."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from epidesk.errors import PresetError
from epidesk.policy.rules import (
    ABSENT,
    close_contact_window,
    describe_category,
    format_value,
    high_risk_unit_allowed,
    is_positive,
    meets_release_ct,
    preset_diff,
    quarantine_end,
    quarantine_plan,
    record_views,
    step_down_rule,
)
from epidesk.policy.schemas import Preset

D = dt.date


def dates(*days: int, month: int = 7) -> tuple[dt.date, ...]:
    """Dates of 2022 in one month."""
    return tuple(D(2022, month, day) for day in days)


# ------------------------------------------------------------------------------ quarantine plans


def test_9th_close_contact_timeline(ninth: Preset) -> None:
    centralized, monitoring = quarantine_plan("close_contact", D(2022, 7, 1), ninth)
    assert centralized.place == "centralized"
    assert (centralized.start, centralized.end) == (D(2022, 7, 2), D(2022, 7, 8))
    assert centralized.test_days == (1, 2, 3, 5, 7)
    assert centralized.test_dates == dates(2, 3, 4, 6, 8)
    assert monitoring.place == "home_health_monitoring"
    assert (monitoring.first_day, monitoring.last_day) == (8, 10)
    assert (monitoring.start, monitoring.end) == (D(2022, 7, 9), D(2022, 7, 11))
    assert monitoring.test_days == (10,)
    assert monitoring.test_dates == dates(11)
    assert quarantine_end("close_contact", D(2022, 7, 1), ninth) == D(2022, 7, 11)


def test_9th_sub_close_and_area_timelines(ninth: Preset) -> None:
    (home,) = quarantine_plan("sub_close_contact", D(2022, 7, 1), ninth)
    assert (home.place, home.test_dates) == ("home", dates(2, 5, 8))
    (medium,) = quarantine_plan("visited_medium_risk_area", D(2022, 7, 1), ninth)
    assert medium.if_home_unsuitable == "centralized"
    assert medium.end == D(2022, 7, 8)
    assert quarantine_plan("low_risk_area", D(2022, 7, 1), ninth) == []
    assert quarantine_end("low_risk_area", D(2022, 7, 1), ninth) is None


def test_20m_close_contact_timeline(twenty: Preset) -> None:
    centralized, home = quarantine_plan("close_contact", D(2022, 11, 11), twenty)
    assert (centralized.start, centralized.end) == (D(2022, 11, 12), D(2022, 11, 16))
    assert centralized.test_dates == dates(12, 13, 14, 16, month=11)
    assert (home.place, home.start, home.end) == ("home", D(2022, 11, 17), D(2022, 11, 19))
    assert home.test_dates == dates(17, 19, month=11)
    (area,) = quarantine_plan("visited_high_risk_area", D(2022, 11, 11), twenty)
    assert area.test_dates == dates(12, 14, 16, 18, month=11)


def test_10m_close_contact_timeline(ten: Preset) -> None:
    (home,) = quarantine_plan("close_contact", D(2022, 12, 7), ten)
    assert (home.place, home.if_home_unsuitable) == ("home", "centralized")
    assert (home.start, home.end) == (D(2022, 12, 8), D(2022, 12, 12))
    assert home.test_dates == (D(2022, 12, 12),)


def test_plan_accepts_a_datetime(twenty: Preset) -> None:
    plan = quarantine_plan("close_contact", dt.datetime(2022, 11, 11, 23, 30), twenty)
    assert plan[0].start == D(2022, 11, 12)


def test_plan_for_a_category_that_does_not_apply(twenty: Preset) -> None:
    with pytest.raises(PresetError, match="sub_close_contact does not apply"):
        quarantine_plan("sub_close_contact", D(2022, 11, 11), twenty)


def test_plan_for_an_unknown_category(ninth: Preset) -> None:
    with pytest.raises(PresetError, match="no quarantine category 'tourist'"):
        quarantine_plan("tourist", D(2022, 7, 1), ninth)


# ------------------------------------------------------------------------------ positivity


def test_positive_when_every_gene_is_below_35(ninth: Preset) -> None:
    assert is_positive({"ORF1ab": 30.1, "N": 28.0}, ninth)
    assert not is_positive({"ORF1ab": 30.1, "N": 36.0}, ninth)
    assert not is_positive({"ORF1ab": 35.0, "N": 35.0}, ninth)
    assert not is_positive({"ORF1ab": 30.0, "N": None}, ninth)
    assert not is_positive({"ORF1ab": 30.0, "N": math.nan}, ninth)
    assert not is_positive({}, ninth)


def test_per_gene_threshold_and_any_gene(ninth: Preset) -> None:
    positivity = ninth.cases.positivity.model_copy(
        update={"per_gene_ct_below": {"N": 37.0}, "require": "any"}
    )
    preset = ninth.model_copy(
        update={"cases": ninth.cases.model_copy(update={"positivity": positivity})}
    )
    assert is_positive({"ORF1ab": None, "N": 36.0}, preset)
    assert not is_positive({"ORF1ab": 36.0, "N": 38.0}, preset)


def test_release_ct(ten: Preset) -> None:
    assert meets_release_ct({"ORF1ab": 36.0, "N": None}, ten)
    assert meets_release_ct({"ORF1ab": 35.0, "N": 35.0}, ten)
    assert not meets_release_ct({"ORF1ab": 34.9, "N": 38.0}, ten)


# ------------------------------------------------------------------------------ contact window


def test_close_contact_window_with_dates(ninth: Preset) -> None:
    window = close_contact_window(D(2022, 7, 10), D(2022, 7, 12), ninth)
    assert window.start == dt.datetime(2022, 7, 6)
    assert window.end == dt.datetime(2022, 7, 13)
    assert window.contains(dt.datetime(2022, 7, 6, 0, 0))
    assert window.contains(dt.datetime(2022, 7, 12, 23, 59))
    assert not window.contains(dt.datetime(2022, 7, 5, 23, 59))
    assert window.overlaps(dt.datetime(2022, 7, 5, 20), dt.datetime(2022, 7, 6, 1))


def test_close_contact_window_with_times(ten: Preset) -> None:
    tz = dt.timezone(dt.timedelta(hours=8))
    sampled = dt.datetime(2022, 12, 10, 9, 0, tzinfo=tz)
    isolated = dt.datetime(2022, 12, 11, 15, 30, tzinfo=tz)
    window = close_contact_window(sampled, isolated, ten)
    assert window.start == dt.datetime(2022, 12, 6, tzinfo=tz)
    assert window.end == isolated
    assert not window.contains(isolated)


def test_window_is_empty_when_isolated_before_it_opens(ninth: Preset) -> None:
    window = close_contact_window(D(2022, 7, 20), D(2022, 7, 1), ninth)
    assert window.start == window.end
    assert not window.contains(window.start)


# ------------------------------------------------------------------------------ zoning


def test_high_risk_unit_allowed(ninth: Preset, ten: Preset) -> None:
    assert high_risk_unit_allowed("compound", ninth)
    assert not high_risk_unit_allowed("compound", ten)
    assert not high_risk_unit_allowed("subdistrict", ten)
    assert high_risk_unit_allowed("floor", ten)
    assert not high_risk_unit_allowed("galaxy", ten)


def test_step_down_rule_prefers_the_rule_for_the_former_level(ninth: Preset, ten: Preset) -> None:
    general = step_down_rule("medium", ninth)
    assert general is not None and general.days_without_new_infection == 7
    former = step_down_rule("medium", ninth, formerly="high")
    assert former is not None and former.days_without_new_infection == 3
    assert step_down_rule("low", ninth) is None
    lifted = step_down_rule("high", ten)
    assert lifted is not None and lifted.to_level == "lifted"


# ------------------------------------------------------------------------------ comparison


def test_diff_of_a_preset_with_itself_is_empty(ninth: Preset) -> None:
    assert preset_diff(ninth, ninth) == []
    assert preset_diff(ninth, ninth, include_provenance=True) == []


def test_diff_9th_and_20m(ninth: Preset, twenty: Preset) -> None:
    rows = {d.path: (d.a, d.b) for d in preset_diff(ninth, twenty)}
    assert rows["quarantine.categories.close_contact.stages[0].days"] == (7, 5)
    assert rows["quarantine.categories.close_contact.stages[0].test_days"] == (
        [1, 2, 3, 5, 7], [1, 2, 3, 5]
    )
    assert rows["quarantine.categories.close_contact.stages[1].place"] == (
        "home_health_monitoring", "home"
    )
    assert rows["contacts.sub_close.identified"] == (True, False)
    assert rows["contacts.sub_close.release.on_day"] == (7, ABSENT)
    assert rows["zoning.levels.medium.label"] == ("Medium risk", ABSENT)
    assert rows["zoning.step_down.high_to_low.days_without_new_infection"] == (ABSENT, 5)
    assert "contacts.close_window.days_before" not in rows
    assert "cases.positivity.confirmed" not in rows
    assert not any(path.endswith(".note") for path in rows)


def test_diff_keeps_file_order(ninth: Preset, ten: Preset) -> None:
    paths = [d.path for d in preset_diff(ninth, ten)]
    assert paths.index("cases.isolation.place") < paths.index("contacts.sub_close.identified")
    assert paths.index("zoning.high_risk_unit.units") < paths.index(
        "zoning.step_down.high_lifted.to_level"
    )


def test_diff_with_provenance(ninth: Preset, twenty: Preset) -> None:
    rows = {d.path: (d.a, d.b) for d in preset_diff(ninth, twenty, include_provenance=True)}
    assert rows["cases.positivity.confirmed"] == (False, True)


# ------------------------------------------------------------------------------ display


def test_describe_categories(ninth: Preset, ten: Preset, twenty: Preset) -> None:
    assert describe_category(ninth.quarantine.categories["close_contact"]) == (
        "7 days centralized quarantine (tests on days 1, 2, 3, 5, 7), "
        "then 3 days home health monitoring (test on day 3)."
    )
    assert describe_category(ten.quarantine.categories["close_contact"]) == (
        "5 days home quarantine (centralized quarantine if the home is unsuitable) "
        "(test on day 5); released after a negative last test."
    )
    assert describe_category(ninth.quarantine.categories["low_risk_area"]) == (
        "2 tests within 3 days."
    )
    assert describe_category(twenty.quarantine.categories["sub_close_contact"]) == (
        "Does not apply."
    )


def test_format_value() -> None:
    assert format_value(True) == "yes"
    assert format_value(35.0) == "35"
    assert format_value([1, 2]) == "1, 2"
    assert format_value([]) == "none"
    assert format_value(None) == "not set"
    assert format_value(ABSENT) == "—"
    assert format_value(D(2022, 6, 28)) == "2022-06-28"


def test_record_views_flag_unconfirmed(ninth: Preset) -> None:
    views = {v.path: v for v in record_views(ninth)}
    assert views["cases.reporting"].confirmed is False
    assert ("report_within_hours", "2") in views["cases.reporting"].fields
    assert views["cases.reporting"].source_text.startswith("COVID-19 prevention and control")
    close = views["quarantine.categories.close_contact"]
    assert close.section == "quarantine" and close.name == "categories.close_contact"
    assert close.summary is not None and close.summary.startswith("7 days centralized")


def test_differences_unpack_as_path_and_values(ninth: Preset, ten: Preset) -> None:
    first_path, a, b = preset_diff(ninth, ten)[0]
    assert (first_path, a, b) == ("cases.isolation.place", "centralized", "home")
