"""The preset schema: bad files are rejected with the file and the field named."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from epidesk.errors import PresetError, UnknownPresetError
from epidesk.policy import service
from epidesk.policy.schemas import PLATFORM_DEFAULT, Preset, iter_records

WritePreset = Callable[..., Path]

SHIPPED = ["cn-9th-2022", "cn-20-measures-2022", "cn-10-measures-2022"]


def rejected(path: Path) -> PresetError:
    """The error a preset file gives; it must name the file."""
    with pytest.raises(PresetError) as caught:
        service.load_preset(path)
    assert str(path) in caught.value.detail
    return caught.value


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_presets_validate(name: str) -> None:
    preset = service.load_preset(name)
    assert preset.name == name
    assert preset.shipped
    assert preset.format == 1


@pytest.mark.parametrize("name", SHIPPED)
def test_every_record_cites_a_declared_source(name: str) -> None:
    preset = service.load_preset(name)
    records = list(iter_records(preset))
    assert len(records) > 30
    for _, record in records:
        assert record.source == PLATFORM_DEFAULT or record.source in preset.sources


def test_missing_field_is_named(write_preset: WritePreset) -> None:
    path = write_preset(replace=[("days_before = 4\n", "")])
    error = rejected(path)
    assert "contacts.close_window.days_before: required field is missing" in error.detail
    assert error.extra["errors"] == [
        {"path": "contacts.close_window.days_before", "message": "required field is missing"}
    ]


def test_wrong_type_is_named(write_preset: WritePreset) -> None:
    path = write_preset(replace=[("days_before = 4", 'days_before = "four"')])
    error = rejected(path)
    assert "contacts.close_window.days_before: Input should be a valid integer" in error.detail
    assert "'four'" in error.detail


def test_strings_are_not_coerced_to_numbers(write_preset: WritePreset) -> None:
    path = write_preset(replace=[("days_before = 4", 'days_before = "4"')])
    assert "contacts.close_window.days_before" in rejected(path).detail


def test_unknown_key_is_named(write_preset: WritePreset) -> None:
    path = write_preset(
        replace=[("report_within_hours = 2", "report_within_hours = 2\ncolour = 1")]
    )
    assert "cases.reporting.colour: unknown key" in rejected(path).detail


def test_test_day_beyond_the_stage_is_named(write_preset: WritePreset) -> None:
    path = write_preset(replace=[("test_days = [1, 2, 3, 5, 7]", "test_days = [1, 2, 9]")])
    error = rejected(path)
    assert error.detail == (
        f"{path}: quarantine.categories.close_contact.stages[0].test_days[2]: "
        "9 is after the stage's 7 days"
    )


def test_test_days_must_ascend(write_preset: WritePreset) -> None:
    path = write_preset(replace=[("test_days = [1, 4, 7]", "test_days = [1, 7, 4]")])
    assert (
        "quarantine.categories.sub_close_contact.stages[0].test_days[2]: 4 is not after 7"
        in rejected(path).detail
    )


def test_step_down_must_go_down(write_preset: WritePreset) -> None:
    path = write_preset(replace=[('to_level = "medium"', 'to_level = "high"')])
    assert (
        "zoning.step_down.high_to_medium.to_level: 'high' is not below 'high'"
        in rejected(path).detail
    )


def test_step_down_target_must_exist(write_preset: WritePreset) -> None:
    path = write_preset(
        base="cn-10-measures-2022", replace=[('to_level = "lifted"', 'to_level = "low"')]
    )
    assert (
        "zoning.step_down.high_lifted.to_level: 'low' is not a level of this preset"
        in rejected(path).detail
    )


def test_every_zone_level_needs_an_end(write_preset: WritePreset) -> None:
    path = write_preset(
        base="cn-20-measures-2022",
        replace=[
            ('from_level = "high"\nto_level = "low"', 'from_level = "low"\nto_level = "lifted"')
        ],
    )
    assert "zoning.levels.high: no step_down rule ends this level" in rejected(path).detail


def test_pool_sizes_must_be_positive(write_preset: WritePreset) -> None:
    path = write_preset(replace=[("pool_sizes = [5, 10, 20]", "pool_sizes = [0, 10, 20]")])
    assert "testing.pooling.pool_sizes[0]: Input should be greater than 0" in rejected(path).detail


def test_unknown_area_unit_is_named(write_preset: WritePreset) -> None:
    path = write_preset(replace=[('units = ["compound"]', 'units = ["planet"]')])
    assert "zoning.high_risk_unit.units[0]: Input should be" in rejected(path).detail


def test_unknown_zone_level_is_named(write_preset: WritePreset) -> None:
    path = write_preset(replace=[("[zoning.levels.medium]", "[zoning.levels.severe]")])
    assert "zoning.levels.severe: not an allowed name" in rejected(path).detail


def test_source_must_be_declared(write_preset: WritePreset) -> None:
    path = write_preset(replace=[('source = "2020-rules"', 'source = "rumour"')])
    assert (
        "cases.reporting.source: 'rumour' is not a key of [sources]" in rejected(path).detail
    )


def test_sub_close_rules_must_match_quarantine(write_preset: WritePreset) -> None:
    path = write_preset(
        base="cn-20-measures-2022",
        replace=[(
            'label = "Sub-close contact"\napplies = false',
            'label = "Sub-close contact"\napplies = true\ntests = { tests = 1, within_days = 1 }',
        )],
    )
    assert (
        "quarantine.categories.sub_close_contact.applies: is true but "
        "contacts.sub_close.identified is false" in rejected(path).detail
    )


def test_sub_close_contacts_not_identified_carry_no_rules(write_preset: WritePreset) -> None:
    path = write_preset(
        base="cn-20-measures-2022",
        replace=[(
            "identified = false",
            'identified = false\nwindow_from = "close_contact_first_exposure"',
        )],
    )
    assert (
        "contacts.sub_close.window_from: must be left out when identified = false"
        in rejected(path).detail
    )


def test_missing_category_must_be_stated(write_preset: WritePreset) -> None:
    text = service.SHIPPED_DIR.joinpath("cn-20-measures-2022.toml").read_text(encoding="utf-8")
    start = text.index("[quarantine.categories.low_risk_area]")
    end = text.index("# ----", start)
    path = write_preset(text=text[:start] + text[end:])
    assert "quarantine.categories.low_risk_area: required category is missing" in (
        rejected(path).detail
    )


def test_release_after_negative_test_needs_a_last_day_test(write_preset: WritePreset) -> None:
    path = write_preset(
        base="cn-10-measures-2022", replace=[("test_days = [5]", "test_days = [4]")]
    )
    assert (
        "quarantine.categories.close_contact.stages[0].test_days: release after a negative "
        "test needs a test on day 5" in rejected(path).detail
    )


def test_toml_syntax_error_names_file_and_line(write_preset: WritePreset) -> None:
    path = write_preset(replace=[("days_before = 4", "days_before = = 4")])
    line = path.read_text(encoding="utf-8").splitlines().index("days_before = = 4") + 1
    error = rejected(path)
    assert f"{path}: line {line}, column" in error.detail
    assert "invalid TOML" in error.detail


def test_loader_keys_are_refused(write_preset: WritePreset) -> None:
    path = write_preset(replace=[("format = 1", 'format = 1\nname = "other"')])
    assert "name: unknown key" in rejected(path).detail


def test_file_name_must_be_a_preset_name(write_preset: WritePreset) -> None:
    path = write_preset("My Preset")
    assert "is not a valid preset name" in rejected(path).detail


def test_unknown_preset_name() -> None:
    with pytest.raises(UnknownPresetError) as caught:
        service.load_preset("cn-11th-2023")
    assert "unknown preset 'cn-11th-2023'" in caught.value.detail
    assert "cn-9th-2022" in caught.value.detail
    assert caught.value.status == 404


def test_missing_file_is_unknown(tmp_path: Path) -> None:
    with pytest.raises(UnknownPresetError, match="no such preset file"):
        service.load_preset(tmp_path / "absent.toml")


def test_many_errors_are_all_reported(write_preset: WritePreset) -> None:
    path = write_preset(
        replace=[("days_before = 4", 'days_before = "x"'), ("doses = 2", "doses = -2")]
    )
    error = rejected(path)
    paths = [issue["path"] for issue in error.extra["errors"]]
    assert "contacts.close_window.days_before" in paths
    assert "vaccination.primary_series.doses" in paths


def test_preset_model_rejects_unknown_top_level_key(ninth: Preset) -> None:
    data = ninth.model_dump()
    data["colour"] = "red"
    with pytest.raises(ValueError, match="colour"):
        Preset.model_validate(data)
