"""Finding and loading presets, user folders, `extends`, caching, and the shipped facts."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from epidesk.config import get_settings
from epidesk.errors import PresetError, UnknownPresetError
from epidesk.policy import service
from epidesk.policy.schemas import Preset, QuarantineCategory

WritePreset = Callable[..., Path]


def stages(category: QuarantineCategory) -> list[tuple[str, int, list[int]]]:
    """A category's stages as (place, days, test days)."""
    return [(s.place, s.days, list(s.test_days)) for s in category.stages]


# ------------------------------------------------------------------------------ discovery


def test_list_presets_shows_the_shipped_ones_in_date_order() -> None:
    listed = service.list_presets()
    assert [p.name for p in listed] == [
        "cn-9th-2022", "cn-20-measures-2022", "cn-10-measures-2022"
    ]
    assert all(p.shipped and p.error is None for p in listed)
    assert [p.date for p in listed] == [
        dt.date(2022, 6, 28), dt.date(2022, 11, 11), dt.date(2022, 12, 7)
    ]
    assert all(p.unconfirmed and p.unconfirmed > 0 for p in listed)


def test_user_folder_from_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, write_preset: WritePreset
) -> None:
    folder = tmp_path / "presets"
    write_preset("city-2023", replace=[("days = 7\n", "days = 8\n")], folder=folder)
    monkeypatch.setenv("EPIDESK_PRESET_DIRS", f'["{folder}"]')
    get_settings.cache_clear()
    names = [p.name for p in service.list_presets()]
    assert "city-2023" in names
    preset = service.load_preset("city-2023")
    assert not preset.shipped
    assert preset.quarantine.categories["close_contact"].stages[0].days == 8


def test_a_broken_user_file_is_listed_with_its_error(
    tmp_path: Path, write_preset: WritePreset
) -> None:
    write_preset("broken", replace=[("days_before = 4", "days_before = -1")], folder=tmp_path)
    listed = {p.name: p for p in service.list_presets(dirs=[tmp_path])}
    assert listed["broken"].error is not None
    assert "contacts.close_window.days_before" in listed["broken"].error
    assert listed["cn-9th-2022"].error is None


def test_user_file_named_like_a_shipped_preset_is_an_error(
    tmp_path: Path, write_preset: WritePreset
) -> None:
    write_preset("cn-9th-2022", folder=tmp_path)
    with pytest.raises(PresetError, match="preset name 'cn-9th-2022' is used by two files"):
        service.list_presets(dirs=[tmp_path])
    with pytest.raises(PresetError, match="names must be unique"):
        service.load_preset("cn-9th-2022", dirs=[tmp_path])


def test_a_file_can_always_be_loaded_by_its_path(
    tmp_path: Path, write_preset: WritePreset
) -> None:
    path = write_preset("cn-9th-2022", folder=tmp_path / "mine")
    preset = service.load_preset(path)
    assert preset.file == str(path)
    assert not preset.shipped


def test_missing_user_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(PresetError, match="does not exist"):
        service.list_presets(dirs=[tmp_path / "nowhere"])


def test_get_preset_refuses_paths(write_preset: WritePreset) -> None:
    path = write_preset()
    with pytest.raises(UnknownPresetError):
        service.get_preset(str(path))


def test_active_preset_follows_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert service.active_preset().name == "cn-9th-2022"
    monkeypatch.setenv("EPIDESK_PRESET", "cn-10-measures-2022")
    get_settings.cache_clear()
    assert service.active_preset().name == "cn-10-measures-2022"


def test_cached_until_the_file_changes(write_preset: WritePreset) -> None:
    path = write_preset()
    first = service.load_preset(path)
    assert service.load_preset(path) is first
    path.write_text(
        path.read_text(encoding="utf-8").replace("days_before = 4", "days_before = 5", 1),
        encoding="utf-8",
    )
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    second = service.load_preset(path)
    assert second is not first
    assert second.contacts.close_window.days_before == 5


# ------------------------------------------------------------------------------ extends

EXTENDING = """
extends = "cn-20-measures-2022"
title = "City rules, winter 2022"
date = 2022-11-20
summary = "The 20 measures with a longer home stage for close contacts."

[sources]
"city" = "City notice 12/2022"

[quarantine.categories.close_contact]
source = "city"
confirmed = true

[[quarantine.categories.close_contact.stages]]
place = "centralized"
days = 5
test_days = [1, 2, 3, 5]

[[quarantine.categories.close_contact.stages]]
place = "home"
days = 5
test_days = [1, 3, 5]
"""


def test_extends_overrides_only_what_it_gives(
    tmp_path: Path, write_preset: WritePreset
) -> None:
    path = write_preset("city", text=EXTENDING, folder=tmp_path)
    preset = service.load_preset(path, dirs=[tmp_path])
    assert preset.extends == "cn-20-measures-2022"
    assert preset.title == "City rules, winter 2022"
    close = preset.quarantine.categories["close_contact"]
    assert stages(close) == [("centralized", 5, [1, 2, 3, 5]), ("home", 5, [1, 3, 5])]
    assert close.source == "city"
    assert close.label == "Close contact"
    assert preset.zoning.step_down["high_to_low"].days_without_new_infection == 5
    assert "20M" in preset.sources and "city" in preset.sources


def test_extends_needs_source_and_confirmed_on_a_changed_record(
    tmp_path: Path, write_preset: WritePreset
) -> None:
    text = EXTENDING.replace('source = "city"\nconfirmed = true\n', "")
    path = write_preset("city", text=text, folder=tmp_path)
    with pytest.raises(PresetError) as caught:
        service.load_preset(path, dirs=[tmp_path])
    assert caught.value.detail == (
        f"{path}: quarantine.categories.close_contact: changes a record of "
        "cn-20-measures-2022 without stating its own source and confirmed"
    )


def test_extends_an_unknown_preset(tmp_path: Path, write_preset: WritePreset) -> None:
    path = write_preset("city", text=EXTENDING.replace("cn-20-measures-2022", "nope"))
    with pytest.raises(PresetError, match="extends: unknown preset 'nope'"):
        service.load_preset(path, dirs=[tmp_path])


def test_extends_in_a_circle(tmp_path: Path, write_preset: WritePreset) -> None:
    write_preset("one", text=EXTENDING.replace("cn-20-measures-2022", "two"), folder=tmp_path)
    write_preset("two", text=EXTENDING.replace("cn-20-measures-2022", "one"), folder=tmp_path)
    with pytest.raises(PresetError, match="circular"):
        service.load_preset("one", dirs=[tmp_path])


# ------------------------------------------------------------------------------ facts: cases


def test_case_definitions(ninth: Preset, twenty: Preset, ten: Preset) -> None:
    for preset in (ninth, twenty, ten):
        asymptomatic = preset.cases.definitions["asymptomatic"]
        assert "without clinical symptoms" in asymptomatic.definition
        assert "imaging" in asymptomatic.definition
        assert asymptomatic.reclassify_to == ["confirmed"]
        assert asymptomatic.source == "9th" and asymptomatic.confirmed


def test_reporting_times_are_unconfirmed(ninth: Preset) -> None:
    reporting = ninth.cases.reporting
    assert (reporting.report_within_hours, reporting.investigate_within_hours) == (2, 24)
    assert reporting.source == "2020-rules"
    assert reporting.confirmed is False


def test_ct_threshold_is_a_preset_value(ninth: Preset, twenty: Preset, ten: Preset) -> None:
    for preset in (ninth, twenty, ten):
        assert preset.cases.positivity.ct_below == 35
        assert preset.cases.positivity.require == "all"
    assert twenty.cases.positivity.source == "20M"


def test_case_release(ninth: Preset, ten: Preset) -> None:
    release = ninth.cases.release
    assert (release.consecutive_tests, release.hours_apart, release.ct_at_least) == (2, 24, 35)
    assert release.source == "9th-treatment" and release.confirmed
    assert ten.cases.isolation.place == "home"
    assert ten.cases.release.on_isolation_days == [6, 7]
    assert ten.cases.release.ct_at_least == 35
    assert ten.cases.release.source == "10M"


def test_repositive_window_is_a_platform_default(ninth: Preset, ten: Preset) -> None:
    for preset in (ninth, ten):
        window = preset.cases.repositive_window
        assert window.days == 90
        assert window.source == "platform default"
        assert window.confirmed is False


# ------------------------------------------------------------------------------ facts: contacts


def test_close_contact_window(ninth: Preset, twenty: Preset, ten: Preset) -> None:
    for preset in (ninth, twenty, ten):
        window = preset.contacts.close_window
        assert window.days_before == 4
        assert (window.from_symptomatic, window.from_asymptomatic) == ("symptom_onset", "sampling")
        assert window.until == "case_isolated"
        assert window.confirmed


def test_close_contact_settings_are_unconfirmed(ninth: Preset, ten: Preset) -> None:
    for preset in (ninth, ten):
        settings = preset.contacts.close_settings
        assert list(settings.settings) == [
            "household", "carer", "shared_workplace", "shared_enclosed_space",
            "shared_vehicle", "contaminated_environment", "investigator_judgement",
        ]
        assert "1 m" in settings.settings["shared_vehicle"]
        assert settings.source == "8th"
        assert settings.confirmed is False


def test_sub_close_contacts_in_the_9th(ninth: Preset) -> None:
    sub = ninth.contacts.sub_close
    assert sub.identified
    assert sub.shared_activities == ["lived", "ate", "worked", "studied", "played"]
    assert sub.window_from == "close_contact_first_exposure"
    assert sub.window_until == "close_contact_isolated"
    assert sub.become_close_if_close_contact_positive
    assert sub.release is not None
    assert sub.release.on_day == 7
    assert sub.release.own_tests_negative
    assert sub.release.linked_close_contact_negative_tests == 2


def test_sub_close_contacts_absent_in_20m_and_10m(twenty: Preset, ten: Preset) -> None:
    for preset in (twenty, ten):
        assert preset.contacts.sub_close.identified is False
        assert preset.contacts.sub_close.release is None
        assert preset.quarantine.categories["sub_close_contact"].applies is False


def test_venue_co_visit_is_a_platform_default(ninth: Preset) -> None:
    co_visit = ninth.contacts.venue_co_visit
    assert co_visit.min_overlap_minutes == 15
    assert co_visit.source == "platform default" and co_visit.confirmed is False


# ------------------------------------------------------------------------------ facts: quarantine


def test_quarantine_forms(ninth: Preset, twenty: Preset, ten: Preset) -> None:
    assert ninth.quarantine.forms.forms == ["centralized", "home", "home_health_monitoring"]
    assert twenty.quarantine.forms.forms == ["centralized", "home"]
    assert set(ten.quarantine.forms.forms) == {"home", "centralized"}


def test_9th_quarantine(ninth: Preset) -> None:
    categories = ninth.quarantine.categories
    assert stages(categories["close_contact"]) == [
        ("centralized", 7, [1, 2, 3, 5, 7]), ("home_health_monitoring", 3, [3])
    ]
    assert stages(categories["sub_close_contact"]) == [("home", 7, [1, 4, 7])]
    high = categories["visited_high_risk_area"]
    assert stages(high) == [("centralized", 7, [1, 2, 3, 5, 7])]
    assert high.lookback_days == 7
    medium = categories["visited_medium_risk_area"]
    assert stages(medium) == [("home", 7, [1, 4, 7])]
    assert medium.stages[0].if_home_unsuitable == "centralized"
    assert medium.lookback_days == 7
    low = categories["low_risk_area"]
    assert low.stages == [] and low.tests is not None
    assert (low.tests.tests, low.tests.within_days) == (2, 3)
    assert all(c.source == "9th" and c.confirmed for c in categories.values())


def test_20m_quarantine(twenty: Preset) -> None:
    categories = twenty.quarantine.categories
    assert stages(categories["close_contact"]) == [
        ("centralized", 5, [1, 2, 3, 5]), ("home", 3, [1, 3])
    ]
    assert stages(categories["visited_high_risk_area"]) == [("home", 7, [1, 3, 5, 7])]
    assert categories["visited_medium_risk_area"].applies is False
    assert categories["low_risk_area"].applies is False
    assert categories["close_contact"].source == "20M"


def test_10m_quarantine(ten: Preset) -> None:
    categories = ten.quarantine.categories
    close = categories["close_contact"]
    assert stages(close) == [("home", 5, [5])]
    assert close.stages[0].if_home_unsuitable == "centralized"
    assert close.release_after_negative_test
    for name in ("sub_close_contact", "visited_high_risk_area", "visited_medium_risk_area",
                 "low_risk_area"):
        assert categories[name].applies is False


# ------------------------------------------------------------------------------ facts: zones


def test_zone_levels(ninth: Preset, twenty: Preset, ten: Preset) -> None:
    assert list(ninth.zoning.levels) == ["high", "medium", "low"]
    assert list(twenty.zoning.levels) == ["high", "low"]
    assert list(ten.zoning.levels) == ["high"]
    assert ninth.zoning.levels["low"].leave_city_test_within_hours == 48


def test_measures_per_zone_level(ninth: Preset) -> None:
    levels = ninth.zoning.levels
    assert list(levels["high"].measures) == ["stay_home", "door_delivery"]
    assert list(levels["medium"].measures) == ["stay_in_area", "staggered_pickup"]
    assert list(levels["low"].measures) == ["personal_protection", "avoid_gatherings"]


def test_high_risk_unit_granularity(ninth: Preset, twenty: Preset, ten: Preset) -> None:
    assert ninth.zoning.high_risk_unit.units == ["compound"]
    assert ninth.zoning.high_risk_unit.adjustable
    assert twenty.zoning.high_risk_unit.units == ["unit", "building"]
    assert twenty.zoning.high_risk_unit.largest == "building"
    unit = ten.zoning.high_risk_unit
    assert unit.units == ["household", "floor", "unit", "building"]
    assert (unit.smallest, unit.largest) == ("household", "building")
    assert unit.forbidden == ["compound", "community", "subdistrict"]
    for forbidden in ("compound", "community", "subdistrict"):
        assert not unit.allows(forbidden)
    for allowed in ("household", "floor", "unit", "building"):
        assert unit.allows(allowed)


def test_step_down_rules(ninth: Preset, twenty: Preset, ten: Preset) -> None:
    nine = ninth.zoning.step_down
    high = nine["high_to_medium"]
    assert (high.to_level, high.days_without_new_infection, high.negative_full_round_on_day) == (
        "medium", 7, 7
    )
    assert high.confirmed
    medium = nine["medium_to_low"]
    assert (medium.days_without_new_infection, medium.negative_full_round_on_day) == (7, 7)
    former = nine["former_high_medium_to_low"]
    assert former.only_if_formerly == "high"
    assert former.confirmed is False
    twenty_high = twenty.zoning.step_down["high_to_low"]
    assert (twenty_high.to_level, twenty_high.days_without_new_infection) == ("low", 5)
    assert twenty_high.negative_full_round_on_day is None
    ten_high = ten.zoning.step_down["high_lifted"]
    assert (ten_high.to_level, ten_high.days_without_new_infection) == ("lifted", 5)
    assert ten_high.confirmed is False


# ------------------------------------------------------------------------------ facts: testing


def test_mass_testing(ninth: Preset, ten: Preset) -> None:
    for preset in (ninth, ten):
        assert preset.testing.area_testing.within_hours == 24
        assert preset.testing.pooling.pool_sizes == [5, 10, 20]
        assert preset.testing.pooling.repool_in_lab is False
        assert preset.testing.positive_pool.isolate_members
        assert preset.testing.positive_pool.retest == "single_tube"
    rounds = ninth.testing.mass_testing
    assert rounds.whole_population and rounds.daily_in_affected_areas
    assert (rounds.initial_rounds_at_least, rounds.stop_after_clean_rounds) == (3, 3)
    assert rounds.confirmed is False
    targeted = ten.testing.mass_testing
    assert targeted.whole_population is False
    assert list(targeted.targets) == ["high_risk_zones", "high_risk_jobs"]


def test_facilities(ninth: Preset) -> None:
    rooms = ninth.facilities.rooms
    assert rooms.single_with_own_bathroom
    assert set(rooms.other_rooms) == {"multi_person", "accessible"}
    assert list(rooms.areas) == ["quarantine", "staff_service", "hygiene_transit"]
    assert ninth.facilities.reserve.rooms_per_10k_residents == 20


def test_vaccination(ninth: Preset, ten: Preset) -> None:
    for preset in (ninth, ten):
        vaccination = preset.vaccination
        assert vaccination.vaccine.platform == "inactivated"
        primary = vaccination.primary_series
        assert (primary.doses, primary.min_interval_days, primary.max_interval_days) == (2, 21, 56)
        first = vaccination.first_booster
        assert (first.min_age, first.after, first.min_months_after) == (18, "primary_series", 6)
        assert set(vaccination.contraindications.contraindications) == {
            "allergy", "severe_reaction", "neurological", "pregnancy"
        }
        assert set(vaccination.contraindications.deferrals) == {
            "fever", "acute_illness", "uncontrolled_chronic_disease"
        }
    assert ninth.vaccination.second_booster.offered is False
    second = ten.vaccination.second_booster
    assert second.offered and second.min_months_after == 6 and second.after == "first_booster"
    assert "age_60_plus" in second.eligible_groups


# ------------------------------------------------------------------------------ unconfirmed


def test_every_unconfirmed_value_is_flagged(ninth: Preset, twenty: Preset, ten: Preset) -> None:
    assert ninth.unconfirmed() == [
        "cases.definitions.confirmed",
        "cases.reporting",
        "cases.positivity",
        "cases.isolation",
        "cases.repositive_window",
        "contacts.close_settings",
        "contacts.venue_co_visit",
        "zoning.step_down.former_high_medium_to_low",
        "zoning.drawing",
        "testing.mass_testing",
    ]
    assert "zoning.drawing" in ten.unconfirmed()
    assert "zoning.step_down.high_lifted" in ten.unconfirmed()
    assert "contacts.close_settings" in twenty.unconfirmed()
    assert "zoning.step_down.high_to_low" not in twenty.unconfirmed()
