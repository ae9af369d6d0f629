"""`epidesk trace` on a committed SQLite database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epidesk import db as dbmod
from epidesk.cli import app
from epidesk.migrate import upgrade
from tests.tracing.helpers import NOW, scene, table_counts, visit_csv

runner = CliRunner()


@pytest.fixture
def city_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """A migrated SQLite file holding the traced scene, configured for the CLI."""
    url = f"sqlite:///{tmp_path}/tracing.db"
    engine = dbmod.make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        s = scene(session)
        ids = {key: r.id for key, r in s.city.residents.items()}
        ids["case"] = s.case.id
        ids["venue"] = s.city.venue.id
        session.commit()
    engine.dispose()
    monkeypatch.setenv("EPIDESK_DATABASE_URL", url)
    monkeypatch.setenv("COLUMNS", "200")
    dbmod.reset_engine()
    yield ids
    monkeypatch.undo()
    dbmod.reset_engine()


def counts() -> dict[str, int]:
    with dbmod.session_scope() as session:
        return table_counts(session)


def test_run_then_ask_why(city_db: dict[str, int]):
    result = runner.invoke(app, ["trace", "run"])
    assert result.exit_code == 0, result.output
    assert "contacts identified" in result.output and "classifying" in result.output
    contacts = runner.invoke(app, ["trace", "contacts", str(city_db["case"])])
    assert "Close contacts: 5" in contacts.output and "Sub-close contacts: 2" in contacts.output
    why = runner.invoke(app, ["trace", "why", str(city_db["li_qiang"])])
    assert why.exit_code == 0 and "sub-close contact" in why.output
    assert "Li Na" in why.output and "contacts.sub_close" in why.output
    assert "1. sub-close contact, household" in why.output
    letter = runner.invoke(app, ["trace", "why", str(city_db["chen_jing"]), "--for-resident"])
    assert "You were at Willow Market" in letter.output and "Xiulan" not in letter.output
    assert "venue visit:" in letter.output and "centralized quarantine" in letter.output
    again = runner.invoke(app, ["trace", "run", "--case", str(city_db["case"]),
                                "--preset", "cn-9th-2022"])
    assert again.exit_code == 0 and "evidence added" in again.output
    missed = runner.invoke(app, ["trace", "missed"])
    assert missed.exit_code == 0


def test_import_visits_good_bad_and_again(city_db: dict[str, int], tmp_path: Path):
    before = counts()["venue_visit"]
    good = tmp_path / "visits.csv"
    good.write_bytes(visit_csv([(city_db["li_na"], city_db["venue"],
                                 "2026-11-20T09:00:00+08:00", "2026-11-20T09:30:00+08:00")]))
    result = runner.invoke(app, ["trace", "import-visits", str(good)])
    assert result.exit_code == 0, result.output
    assert "accepted, 1 visits" in result.output and "writing visits" in result.output
    again = runner.invoke(app, ["trace", "import-visits", str(good)])
    assert again.exit_code == 0 and "already imported" in again.output
    bad = tmp_path / "bad.csv"
    bad.write_bytes(visit_csv([(777_777, city_db["venue"], "2026-11-20T09:00:00+08:00",
                                "2026-11-20T09:30:00+08:00")]))
    rejected = runner.invoke(app, ["trace", "import-visits", str(bad)])
    assert rejected.exit_code == 1
    assert "no registered resident has the id 777777" in rejected.output
    assert "nothing of this file was written" in rejected.output
    assert counts()["venue_visit"] == before + 1


def test_record_an_exposure_synthesize_visits_and_load_the_graph(city_db: dict[str, int]):
    made = runner.invoke(app, ["trace", "record-exposure", str(city_db["wang_xiulan"]),
                               str(city_db["zhao_lei"]), "--at", "2026-11-18T10:00:00+08:00",
                               "--setting", "shared_enclosed_space"])
    assert made.exit_code == 0 and "recorded" in made.output
    wrong = runner.invoke(app, ["trace", "record-exposure", "1", "1", "--at",
                                NOW.isoformat()])
    assert wrong.exit_code != 0
    synth = runner.invoke(app, ["trace", "synth-visits", "--days", "2", "--seed", "3",
                                "--start", "2026-11-01"])
    assert synth.exit_code == 0, synth.output
    assert "visits over 2 days from 2026-11-01 (seed 3)" in synth.output
    graph = runner.invoke(app, ["trace", "graph", "--opportunities"])
    assert graph.exit_code == 0 and "household pairs" in graph.output
    assert "recorded exposures" in graph.output
    described = runner.invoke(app, ["trace", "format"])
    assert "resident_id" in described.output and "ISO 8601" in described.output
