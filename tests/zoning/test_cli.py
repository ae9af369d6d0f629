"""`epidesk zones ...` against a migrated SQLite file holding the tiny city and a case."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epidesk import db as dbmod
from epidesk.cli import app
from epidesk.migrate import upgrade
from tests.zoning.scene import scene

runner = CliRunner()
TEN = "cn-10-measures-2022"


@pytest.fixture
def city_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    url = f"sqlite:///{tmp_path}/zones.db"
    engine = dbmod.make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        city, _ = scene(session)
        building = city.buildings[0].id
        session.commit()
    engine.dispose()
    monkeypatch.setenv("EPIDESK_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    dbmod.reset_engine()
    yield building
    monkeypatch.undo()
    dbmod.reset_engine()


def test_the_daily_job_list_footprint_lookup_and_change(city_db: int) -> None:
    first = runner.invoke(app, ["zones", "step-down", "--day", "2026-11-20", "--preset", TEN])
    assert first.exit_code == 0, first.output
    assert "zones opened: 1" in first.output
    again = runner.invoke(app, ["zones", "step-down", "--day", "2026-11-20", "--preset", TEN])
    assert "zones opened: 0" in again.output
    listed = runner.invoke(app, ["zones", "list", "--preset", TEN])
    assert listed.exit_code == 0 and "1 zones in force" in listed.output
    cost = runner.invoke(app, ["zones", "footprint", "--day", "2026-11-21", "--preset", TEN])
    assert "3 residents in high-risk zones" in cost.output
    assert "1 households told to stay home" in cost.output
    bad = runner.invoke(app, ["zones", "step-down", "--day", "20-11-2026"])
    assert bad.exit_code != 0
    unknown = runner.invoke(app, ["zones", "list", "--preset", "nope"])
    assert unknown.exit_code != 0


def test_lookup_speaks_both_languages(city_db: int) -> None:
    runner.invoke(app, ["zones", "step-down", "--day", "2026-11-20"])
    found = runner.invoke(app, ["zones", "lookup", "--community", "Willow Court",
                                "--building", "1", "--unit", "1", "--flat", "101",
                                "--lang", "zh"])
    assert found.exit_code == 0, found.output
    assert "高风险区" in found.output or "风险区" in found.output


def test_change_needs_a_reason_and_beyond_the_preset_an_override(city_db: int) -> None:
    runner.invoke(app, ["zones", "step-down", "--day", "2026-11-20", "--preset", TEN])
    with dbmod.session_scope() as session:
        from epidesk.policy.service import get_preset
        from epidesk.zoning import service

        zone = service.active_zones(session, preset=get_preset(TEN))[0].id
    blank = runner.invoke(app, ["zones", "change", str(zone), "--to", f"building:{city_db}",
                                "--reason", " "])
    assert blank.exit_code != 0 and "written reason" in str(blank.exception)
    done = runner.invoke(app, ["zones", "change", str(zone), "--to", f"building:{city_db}",
                               "--reason", "shared stairwell"])
    assert done.exit_code == 0, done.output
    assert "10 residents" in done.output
    # The zone was drawn under the 10 measures: a whole compound needs an override.
    compound = runner.invoke(app, ["zones", "change", str(zone), "--to", "compound:1",
                                   "--reason", "spread"])
    assert compound.exit_code != 0 and "override" in str(compound.exception)
