"""`epidesk synth city`: progress, a summary, one clear line on bad input."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from epidesk import db as dbmod
from epidesk.cli import app, main
from epidesk.db import make_engine
from epidesk.migrate import upgrade
from epidesk.synth.city import repository
from epidesk.synth.city.service import city_tables


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A migrated, empty SQLite database that the CLI is configured to use."""
    url = f"sqlite:///{tmp_path}/synth.db"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    monkeypatch.setenv("EPIDESK_DATABASE_URL", url)
    dbmod.reset_engine()
    yield url
    dbmod.reset_engine()


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with dbmod.sessionmaker(bind=engine)() as session:
            return repository.row_counts(session, city_tables())
    finally:
        engine.dispose()


def run_main(args: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    """Run the real entry point in this process; returns its exit status."""
    monkeypatch.setattr(sys, "argv", ["epidesk", *args])
    try:
        main()
    except SystemExit as exit_:
        return int(exit_.code or 0)
    return 0


def test_city_builds_and_prints_a_summary(database: str) -> None:
    result = CliRunner().invoke(app, ["synth", "city", "--people", "1500", "--seed", "4"])
    assert result.exit_code == 0, result.output
    assert "resident" in result.output and "1,500" in result.output
    assert "total" in result.output
    assert counts(database)["resident"] == 1500


@pytest.mark.parametrize(("people", "message"), [
    ("0", "people must be at least 1"),
    ("-3", "people must be at least 1"),
    ("40000000", "people must be at most 30,000,000"),
])
def test_bad_people_give_one_clear_line(database: str, people: str, message: str,
                                        monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    status = run_main(["synth", "city", "--people", people], monkeypatch)
    err = capsys.readouterr().err
    assert status == 1
    assert message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert set(counts(database).values()) == {0}


def test_second_city_is_refused_and_counts_stay(database: str,
                                                monkeypatch: pytest.MonkeyPatch,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["synth", "city", "--people", "1200", "--seed", "1"], monkeypatch) == 0
    before = counts(database)
    capsys.readouterr()
    assert run_main(["synth", "city", "--people", "900", "--seed", "2"], monkeypatch) == 1
    err = capsys.readouterr().err
    assert "already holds the city" in err and len(err.strip().splitlines()) == 1
    assert counts(database) == before


def test_skip_existing_succeeds_without_building(database: str,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["synth", "city", "--people", "800"], monkeypatch) == 0
    before = counts(database)
    capsys.readouterr()
    assert run_main(["synth", "city", "--people", "800", "--skip-existing"], monkeypatch) == 0
    assert "nothing built" in capsys.readouterr().out
    assert counts(database) == before


def test_installed_command_end_to_end(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cmd.db"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    env = {**os.environ, "EPIDESK_DATABASE_URL": url}
    cmd = [sys.executable, "-c", "from epidesk.cli import main; main()",
           "synth", "city", "--people", "1000", "--seed", "3"]
    built = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    assert "1,000" in built.stdout
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1
    assert again.stderr.strip().startswith("error: Conflict: the database already holds")
    assert len(again.stderr.strip().splitlines()) == 1
