"""`epidesk policy`: list, show, diff and validate, with exit codes and messages."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from epidesk.cli import app, main
from epidesk.errors import PresetError, UnknownPresetError

WritePreset = Callable[..., Path]

runner = CliRunner()
WIDE = {"COLUMNS": "240"}


def test_list() -> None:
    result = runner.invoke(app, ["policy", "list"], env=WIDE)
    assert result.exit_code == 0, result.output
    for name in ("cn-9th-2022", "cn-20-measures-2022", "cn-10-measures-2022"):
        assert name in result.output
    assert "2022-06-28" in result.output
    assert "cn-9th-2022 (active)" in result.output
    assert "Unconfirmed" in result.output


def test_show_marks_unconfirmed_values() -> None:
    result = runner.invoke(app, ["policy", "show", "cn-9th-2022"], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "10 records to check against the original text" in result.output
    assert "reporting  source: 2020-rules   UNCONFIRMED" in result.output
    assert "test_days: 1, 2, 3, 5, 7" in result.output
    assert "7 days centralized quarantine (tests on days 1, 2, 3, 5, 7)" in result.output


def test_show_json() -> None:
    result = runner.invoke(app, ["policy", "show", "cn-10-measures-2022", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["zoning"]["high_risk_unit"]["forbidden"] == ["compound", "community", "subdistrict"]


def test_show_unknown_preset_fails() -> None:
    result = runner.invoke(app, ["policy", "show", "cn-11th"])
    assert result.exit_code == 1
    assert isinstance(result.exception, UnknownPresetError)
    assert "unknown preset 'cn-11th'" in result.exception.detail


def test_unknown_preset_gives_one_red_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["epidesk", "policy", "show", "cn-11th"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert "error: Unknown protocol preset: unknown preset 'cn-11th'" in err
    assert "Traceback" not in err


def test_diff() -> None:
    result = runner.invoke(
        app, ["policy", "diff", "cn-9th-2022", "cn-20-measures-2022"], env=WIDE
    )
    assert result.exit_code == 0, result.output
    assert "values differ" in result.output
    line = next(
        ln for ln in result.output.splitlines()
        if "quarantine.categories.close_contact.stages[0].days " in ln
    )
    assert "7" in line and "5" in line


def test_diff_json_and_same() -> None:
    result = runner.invoke(app, ["policy", "diff", "cn-9th-2022", "cn-10-measures-2022", "--json"])
    rows = {row["path"]: row for row in json.loads(result.output)}
    assert rows["zoning.levels.medium.label"]["b"] is None
    same = runner.invoke(app, ["policy", "diff", "cn-9th-2022", "cn-9th-2022"])
    assert "set the same values" in same.output


def test_validate_a_good_file(write_preset: WritePreset) -> None:
    path = write_preset("ours")
    result = runner.invoke(app, ["policy", "validate", str(path)], env=WIDE)
    assert result.exit_code == 0, result.output
    assert "is a valid preset 'ours' (10 unconfirmed records)" in result.output


def test_validate_a_bad_file(write_preset: WritePreset) -> None:
    path = write_preset("ours", replace=[("test_days = [1, 2, 3, 5, 7]", "test_days = [1, 9]")])
    result = runner.invoke(app, ["policy", "validate", str(path)])
    assert result.exit_code == 1
    assert isinstance(result.exception, PresetError)
    assert result.exception.detail == (
        f"{path}: quarantine.categories.close_contact.stages[0].test_days[1]: "
        "9 is after the stage's 7 days"
    )
