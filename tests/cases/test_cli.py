"""`epidesk cases` (and `ingest results`) on a committed SQLite database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.cells import cell_len
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epidesk import db as dbmod
from epidesk.cli import app
from epidesk.migrate import upgrade
from epidesk.testing.ingest import repository
from tests.factories import tiny_city
from tests.testing import tables as testing
from tests.testing.batches import csv_bytes, pool, single

runner = CliRunner()


@pytest.fixture
def city_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """A migrated SQLite file holding the tiny city, configured for the CLI."""
    url = f"sqlite:///{tmp_path}/cases.db"
    engine = dbmod.make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        city = tiny_city(session)
        ids = {key: r.id for key, r in city.residents.items()}
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
        return testing.table_counts(session)


def write(tmp_path: Path, rows: list[dict[str, Any]], name: str = "lab.csv") -> str:
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows))
    return str(path)


def test_ingest_a_good_batch_then_again(city_db: dict[str, int], tmp_path: Path):
    path = write(tmp_path, [single("S1", city_db["li_na"], outcome="positive", ct=(22, 23)),
                            *pool("P1", [city_db[k] for k in ("wang_xiuying", "wang_xiulan",
                                                              "wang_wei", "zhang_wei",
                                                              "zhang_min")])])
    result = runner.invoke(app, ["cases", "ingest", path])
    assert result.exit_code == 0, result.output
    assert "accepted" in result.output and "1 new cases" in result.output
    assert "registering cases" in result.output
    again = runner.invoke(app, ["ingest", "results", path])
    assert again.exit_code == 0 and "already ingested" in again.output
    assert counts() == {"lab_batch": 1, "tube": 2, "sample": 6, "retest_order": 0}


def test_a_bad_batch_prints_its_report_and_exits_1(city_db: dict[str, int], tmp_path: Path):
    path = write(tmp_path, [single("S1", city_db["li_na"]), single("S2", 777777)])
    result = runner.invoke(app, ["cases", "ingest", path])
    assert result.exit_code == 1
    assert "unknown resident" in result.output
    assert "no registered resident has the id 777777" in result.output
    assert "nothing of this file was written" in result.output
    assert counts() == {"lab_batch": 1, "tube": 0, "sample": 0, "retest_order": 0}
    listed = runner.invoke(app, ["testing", "batches"])
    assert "rejected" in listed.output
    shown = runner.invoke(app, ["testing", "batch", "1"])
    assert "777777" in shown.output


def test_a_batch_killed_half_way_leaves_the_database_as_before(
        city_db: dict[str, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    first = write(tmp_path, [single("S0", city_db["chen_jie"])], name="first.csv")
    assert runner.invoke(app, ["cases", "ingest", first]).exit_code == 0
    before = counts()
    real = repository.write_rows

    def dying(session: Any, table: Any, columns: Any, progress: Any = None) -> int:
        written = real(session, table, columns, progress)
        if table.name == "sample":
            raise KeyboardInterrupt
        return written

    monkeypatch.setattr(repository, "write_rows", dying)
    path = write(tmp_path, pool("P1", [city_db[k] for k in ("wang_xiuying", "wang_xiulan",
                                                            "wang_wei", "zhang_wei",
                                                            "zhang_min")]), name="second.csv")
    result = runner.invoke(app, ["cases", "ingest", path])
    assert result.exit_code == 130
    monkeypatch.setattr(repository, "write_rows", real)
    dbmod.reset_engine()
    assert counts() == before


def test_cases_commands(city_db: dict[str, int], tmp_path: Path):
    path = write(tmp_path, [single("S1", city_db["li_na"], outcome="positive", ct=(22, 23))])
    runner.invoke(app, ["cases", "ingest", path])
    listed = runner.invoke(app, ["cases", "list"])
    assert listed.exit_code == 0 and "Li Na" in listed.output and "asymptomatic" in listed.output
    shown = runner.invoke(app, ["cases", "show", "1"])
    assert "reported by cli:" in shown.output
    re = runner.invoke(app, ["cases", "reclassify", "1", "--on", "2026-11-22", "--onset",
                             "2026-11-21"])
    assert re.exit_code == 0
    assert "confirmed from 2026-11-22 (asymptomatic from 2026-11-21)" in re.output
    csv = runner.invoke(app, ["cases", "bulletin", "--day", "2026-11-22", "--csv"])
    assert "2026-11-22,TD1,Rencheng,local,0,0,1,1" in csv.output
    table = runner.invoke(app, ["cases", "bulletin", "--day", "2026-11-21"])
    assert "Rencheng" in table.output and "Whole city" in table.output
    # Without a day, the bulletin opens on the latest day with data, and says so.
    latest = runner.invoke(app, ["cases", "bulletin"])
    assert latest.exit_code == 0 and "Daily bulletin 2026-11-2" in latest.output
    assert "the latest day with data" in latest.output
    bad = runner.invoke(app, ["cases", "bulletin", "--as-of", "yesterday"])
    assert bad.exit_code == 2 and "--as-of" in bad.output
    gone = runner.invoke(app, ["cases", "withdraw", "1", "--reason", "false positive"])
    assert gone.exit_code == 0 and "withdrawn: false positive" in gone.output
    refused = runner.invoke(app, ["cases", "withdraw", "1", "--reason", "again, really"])
    assert refused.exit_code != 0


def test_testing_commands(city_db: dict[str, int], tmp_path: Path):
    members = [city_db[k] for k in ("wang_xiuying", "wang_xiulan", "wang_wei", "zhang_wei",
                                    "zhang_min")]
    path = write(tmp_path, pool("P1", members, outcome="positive", ct=(20, 21)))
    runner.invoke(app, ["cases", "ingest", path])
    tube = runner.invoke(app, ["testing", "tube", "P1"])
    assert tube.exit_code == 0 and "positive" in tube.output and "Wang Xiuying" in tube.output
    history = runner.invoke(app, ["testing", "history", str(members[0])])
    assert "pool positive, retest" in history.output
    retests = runner.invoke(app, ["testing", "retests"])
    assert retests.output.count("pool positive") == 5
    missing = runner.invoke(app, ["testing", "tube", "NOPE"])
    assert missing.exit_code != 0


def narrow_lines(args: list[str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The lines a command writes at COLUMNS=80 with its output captured (not a terminal)."""
    monkeypatch.setenv("COLUMNS", "80")
    result = runner.invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    return result.output.splitlines()


def test_lists_fit_80_columns_in_a_log(city_db: dict[str, int], tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch):
    members = [city_db[k] for k in ("wang_xiuying", "wang_xiulan", "wang_wei", "zhang_wei",
                                    "zhang_min")]
    good = write(tmp_path, [single("S1", city_db["li_na"], outcome="positive", ct=(22, 23)),
                            *pool("P1", members, outcome="positive", ct=(20, 21))],
                 name="a-lab-batch-file-with-a-rather-long-name-from-the-laboratory.csv")
    runner.invoke(app, ["cases", "ingest", good])
    bad = write(tmp_path, [single("S9", 777777)], name="bad.csv")
    printed: dict[str, list[str]] = {}
    for args in (["people", "search", "wang"], ["people", "search", "王"],
                 ["people", "household", "1"], ["cases", "list"], ["cases", "bulletin"],
                 ["testing", "batches"], ["testing", "retests"],
                 ["testing", "history", str(members[0])], ["users", "list"],
                 ["policy", "list"], ["policy", "diff", "cn-9th-2022", "cn-10-measures-2022"],
                 ["ingest", "results", bad]):
        printed[" ".join(args)] = narrow_lines(args, monkeypatch)
    for command, lines in printed.items():
        wide = [line for line in lines if cell_len(line) > 80]
        assert not wide, (command, wide)
        frames = [line for line in lines if any(ch in line for ch in "━─┃│┏┡╇")]
        assert not frames, (command, frames)
    assert any("王秀英" in line for line in printed["people search 王"])
    assert any("Wang Xiuying" in line for line in printed["people search wang"])
    assert printed["cases list"][-1] == "1 in all"
    assert printed["testing retests"][-1] == "5 in all"
    assert any("777777" in line for line in printed[f"ingest results {bad}"])


def entry_point(*args: str) -> subprocess.CompletedProcess[str]:
    """Run `epidesk ARGS` as a process (the exit code scripts see), on the configured file."""
    return subprocess.run([sys.executable, "-c", "from epidesk.cli import main; main()", *args],
                          capture_output=True, text=True, env={**os.environ}, timeout=300)


def test_ingest_results_exit_codes_for_scripts(city_db: dict[str, int], tmp_path: Path):
    bad = write(tmp_path, [single("S1", city_db["li_na"]), single("S2", 777777)], name="bad.csv")
    rejected = entry_point("ingest", "results", bad)
    assert rejected.returncode == 1, rejected.stderr
    assert rejected.stdout == ""
    assert "no registered resident has the id 777777" in rejected.stderr
    assert "nothing of this file was written" in rejected.stderr
    good = write(tmp_path, [single("S3", city_db["li_na"], outcome="positive", ct=(22, 23))])
    accepted = entry_point("ingest", "results", good)
    assert accepted.returncode == 0, accepted.stderr
    assert "accepted" in accepted.stdout and "1 new cases" in accepted.stdout
    again = entry_point("ingest", "results", good)
    assert again.returncode == 0 and "already ingested" in again.stdout
    missing = entry_point("ingest", "results", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "does not exist" in missing.stderr
    assert counts() == {"lab_batch": 2, "tube": 1, "sample": 1, "retest_order": 0}


def test_ingest_results_as_json(city_db: dict[str, int], tmp_path: Path):
    bad = write(tmp_path, [single("S1", city_db["li_na"]), single("S2", 777777),
                           single("S3", 888888)], name="bad.csv")
    rejected = runner.invoke(app, ["ingest", "results", bad, "--json"])
    assert rejected.exit_code == 1
    assert rejected.stderr == ""
    report = json.loads(rejected.stdout)
    assert report["status"] == "rejected" and report["kind"] == "lab_batch"
    assert report["counts"] == {} and report["problem_count"] == 2
    assert report["problem_counts"] == {"unknown_resident": 2}
    assert report["problems"][0] == {
        "line": 3, "column": "resident_id", "kind": "unknown_resident",
        "problem": "no registered resident has the id 777777"}
    good = write(tmp_path, [single("S4", city_db["li_na"], outcome="positive", ct=(22, 23))])
    accepted = runner.invoke(app, ["ingest", "results", good, "--json"])
    assert accepted.exit_code == 0, accepted.output
    done = json.loads(accepted.stdout)
    assert done["status"] == "accepted" and done["file"] == "lab.csv"
    assert done["counts"]["rows"] == 1 and done["counts"]["cases_created"] == 1
    assert done["problems"] == [] and done["problem_count"] == 0
    again = runner.invoke(app, ["ingest", "results", good, "--json"])
    assert again.exit_code == 0
    assert json.loads(again.stdout)["status"] == "already_imported"
    assert json.loads(again.stdout)["id"] == done["id"]
