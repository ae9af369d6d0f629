"""`epidesk trace` on a committed SQLite database."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.cells import cell_len
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


def test_a_recorded_exposure_is_classified_by_the_next_trace_run(city_db: dict[str, int]):
    assert runner.invoke(app, ["trace", "run"]).exit_code == 0
    # Zhang Min drove the case on 2026-11-21, inside her window; recorded after tracing.
    made = runner.invoke(app, ["trace", "record-exposure", str(city_db["wang_xiulan"]),
                               str(city_db["zhang_min"]), "--at", "2026-11-21T09:00:00+08:00",
                               "--setting", "shared_vehicle"])
    assert made.exit_code == 0, made.output
    assert (f"the next `epidesk trace run` classifies again the 1 traced case it concerns "
            f"(case {city_db['case']})") in made.output
    followed = runner.invoke(app, ["trace", "run"])
    assert followed.exit_code == 0, followed.output
    assert re.search(r"contacts identified\W+2\b", followed.output), followed.output
    contacts = runner.invoke(app, ["trace", "contacts", str(city_db["case"])])
    assert "Close contacts: 6" in contacts.output
    again = runner.invoke(app, ["trace", "run"])
    assert again.exit_code == 0 and "nothing to do" in again.output


def test_import_visits_good_bad_and_again(city_db: dict[str, int], tmp_path: Path):
    before = counts()["venue_visit"]
    good = tmp_path / "visits.csv"
    good.write_bytes(visit_csv([(city_db["li_na"], city_db["venue"],
                                 "2026-11-20T09:00:00+08:00", "2026-11-20T09:30:00+08:00")]))
    result = runner.invoke(app, ["trace", "import-visits", str(good)])
    assert result.exit_code == 0, result.output
    assert "accepted, 1 visits" in result.output and "writing visits" in result.output
    assert "no traced case's window holds it" in result.output
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


def visit_file(tmp_path: Path, name: str, resident: int, venue: int) -> str:
    path = tmp_path / name
    path.write_bytes(visit_csv([(resident, venue, "2026-11-20T09:00:00+08:00",
                                 "2026-11-20T09:30:00+08:00")]))
    return str(path)


def test_ingest_visits_exit_codes_for_scripts(city_db: dict[str, int], tmp_path: Path):
    def entry_point(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", "from epidesk.cli import main; main()",
                               *args], capture_output=True, text=True, env={**os.environ},
                              timeout=300)

    before = counts()["venue_visit"]
    bad = visit_file(tmp_path, "bad.csv", 777_777, city_db["venue"])
    rejected = entry_point("ingest", "visits", bad)
    assert rejected.returncode == 1, rejected.stderr
    assert rejected.stdout == ""
    assert "no registered resident has the id 777777" in rejected.stderr
    assert "nothing of this file was written" in rejected.stderr
    good = visit_file(tmp_path, "good.csv", city_db["li_na"], city_db["venue"])
    accepted = entry_point("ingest", "visits", good)
    assert accepted.returncode == 0, accepted.stderr
    assert "accepted, 1 visits" in accepted.stdout
    again = entry_point("ingest", "visits", good)
    assert again.returncode == 0 and "already imported" in again.stdout
    assert counts()["venue_visit"] == before + 1


def test_ingest_visits_as_json(city_db: dict[str, int], tmp_path: Path):
    bad = visit_file(tmp_path, "bad.csv", 777_777, city_db["venue"])
    rejected = runner.invoke(app, ["ingest", "visits", bad, "--json"])
    assert rejected.exit_code == 1 and rejected.stderr == ""
    report = json.loads(rejected.stdout)
    assert report["status"] == "rejected" and report["kind"] == "visit_log"
    assert report["problem_count"] == 1 and report["problems_listed"] == 1
    [problem] = report["problems"]
    assert problem["line"] == 2 and problem["column"] == "resident_id"
    good = visit_file(tmp_path, "good.csv", city_db["li_na"], city_db["venue"])
    accepted = runner.invoke(app, ["ingest", "visits", good, "--json"])
    assert accepted.exit_code == 0 and accepted.stderr == ""
    done = json.loads(accepted.stdout)
    assert done["status"] == "accepted"
    assert done["counts"] == {"rows": 1, "residents": 1, "venues": 1}
    again = runner.invoke(app, ["trace", "import-visits", good, "--json"])
    assert again.exit_code == 0
    assert json.loads(again.stdout) | {"heading": None} == {
        "status": "already_imported", "kind": "visit_log", "id": done["id"], "file": "good.csv",
        "counts": {}, "problem_count": 0, "problem_counts": {}, "problems": [],
        "problems_listed": 0, "heading": None}


def test_trace_lists_fit_80_columns_and_say_how_many(city_db: dict[str, int],
                                                      monkeypatch: pytest.MonkeyPatch):
    assert runner.invoke(app, ["trace", "run"]).exit_code == 0
    monkeypatch.setenv("COLUMNS", "80")
    for args in (["trace", "contacts", str(city_db["case"])], ["trace", "missed"],
                 ["trace", "missed", "--limit", "1"], ["trace", "graph"],
                 ["trace", "run", "--all"], ["trace", "why", str(city_db["li_qiang"])]):
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        wide = [line for line in result.output.splitlines() if cell_len(line) > 80]
        assert not wide, (args, wide)
    everything = runner.invoke(app, ["trace", "missed", "--limit", "500"]).output.splitlines()
    total = len(everything) - 1
    assert total > 1 and everything[-1] == f"{total} in all"
    first = runner.invoke(app, ["trace", "missed", "--limit", "1"]).output.splitlines()
    assert first == [everything[0], f"showing 1-1 of {total}; use --limit/--offset (next: "
                                    "--offset 1)"]


def test_an_investigators_decision_from_the_command_line(city_db: dict[str, int]):
    assert runner.invoke(app, ["trace", "run"]).exit_code == 0
    bad = runner.invoke(app, ["trace", "decide", str(city_db["chen_jing"]), "--kind", "changed",
                              "--tier", "neighbour", "--reason", "x"])
    assert bad.exit_code == 1 and "tier: one of close, sub_close" in str(bad.exception)
    done = runner.invoke(app, ["trace", "decide", str(city_db["chen_jing"]), "--kind",
                               "changed", "--tier", "sub_close", "--reason", "far stalls"])
    assert done.exit_code == 0, done.output
    assert "close active -> sub_close active" in done.output
    again = runner.invoke(app, ["trace", "run"])
    assert again.exit_code == 0
    why = runner.invoke(app, ["trace", "why", str(city_db["chen_jing"])])
    assert "sub-close contact" in why.output
