"""`epidesk vaccination` on a committed SQLite database."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epidesk import db as dbmod
from epidesk.cli import app
from epidesk.migrate import upgrade
from epidesk.vaccination.sites.engine import write_sites_csv
from tests.vaccination.scene import scene

runner = CliRunner()


@pytest.fixture
def city_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, object]]:
    """A migrated SQLite file holding the vaccination scene, configured for the CLI."""
    url = f"sqlite:///{tmp_path}/vaccination.db"
    engine = dbmod.make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        s = scene(session)
        found = {"district": s.city.districts[0].id, "code": s.city.districts[0].code,
                 "today": s.today, "site": s.site.id}
        session.commit()
    engine.dispose()
    monkeypatch.setenv("EPIDESK_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    dbmod.reset_engine()
    yield found
    dbmod.reset_engine()


def test_products_and_sites(city_db: dict[str, object]) -> None:
    shown = runner.invoke(app, ["vaccination", "products"])
    assert shown.exit_code == 0 and "CoronaVac" in shown.output and "21-56" in shown.output
    sites = runner.invoke(app, ["vaccination", "sites"])
    assert sites.exit_code == 0 and "Rencheng health centre" in sites.output


def test_import_sites_accepts_then_rejects_with_a_report(city_db: dict[str, object],
                                                         tmp_path: Path) -> None:
    good = tmp_path / "sites.csv"
    good.write_bytes(write_sites_csv([{
        "code": "CLI-1", "name": "CLI site", "district": str(city_db["code"]),
        "address": "Road", "stations": "2", "doses_per_station_hour": "20",
        "mon": "08:00-12:00", "tue": "", "wed": "", "thu": "", "fri": "", "sat": "",
        "sun": ""}]))
    done = runner.invoke(app, ["vaccination", "import-sites", str(good), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output)["counts"] == {"rows": 1, "created": 1, "updated": 0}
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"code,name\nX,Y\n")
    refused = runner.invoke(app, ["vaccination", "import-sites", str(bad), "--json"])
    assert refused.exit_code == 1
    assert json.loads(refused.stdout)["problem_counts"]["missing_column"] >= 1


def test_check_refuses_an_infeasible_target_with_exit_1(city_db: dict[str, object]) -> None:
    first = city_db["today"] + timedelta(days=1)  # type: ignore[operator]
    last = first + timedelta(days=2)
    refused = runner.invoke(app, ["vaccination", "check", str(city_db["district"]),
                                  first.isoformat(), last.isoformat(), "54000", "--json"])
    assert refused.exit_code == 1
    found = json.loads(refused.stdout)
    assert found["feasible"] is False and found["shortfall"] == 54_000 - found["achievable"]
    text = runner.invoke(app, ["vaccination", "check", str(city_db["district"]),
                               first.isoformat(), last.isoformat(), "54000"])
    assert "NOT feasible" in text.output and "more days" in text.output
    bad = runner.invoke(app, ["vaccination", "check", "1", "someday", "2026-01-01", "5"])
    assert bad.exit_code == 2 and "first" in bad.output


def test_coverage_and_reminders(city_db: dict[str, object]) -> None:
    shown = runner.invoke(app, ["vaccination", "coverage", "--json"])
    assert shown.exit_code == 0
    rows = json.loads(shown.output)
    assert {r["age_band"] for r in rows} >= {"3-17", "18-59", "80+"}
    assert all(r["dose_1"] == 0 for r in rows)
    reminded = runner.invoke(app, ["vaccination", "remind"])
    assert reminded.exit_code == 0 and "0 reminders queued" in reminded.output
