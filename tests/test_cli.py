"""The `epidesk` command: bad settings give one clear line and a non-zero exit; every
`--help` answers without loading the platform."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from epidesk.migrate import head_revision
from epidesk_dev.pgcluster import free_port


def epidesk(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    """Run the installed entry point with a given database URL."""
    env = {**os.environ, "EPIDESK_DATABASE_URL": database_url}
    cmd = [sys.executable, "-c", "from epidesk.cli import main; main()", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("nonsense", "is not a database URL"),
        ("oracle://scott@db/orcl", "supported: sqlite, postgresql"),
        ("postgresql://nobody@127.0.0.1:{port}/epi", "cannot reach the database"),
    ],
)
def test_bad_database_url_gives_one_clear_line(url: str, expected: str) -> None:
    result = epidesk("db", "upgrade", database_url=url.format(port=free_port()))
    assert result.returncode == 1
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) <= 3


def test_db_upgrade_then_current(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    first = epidesk("db", "upgrade", database_url=url)
    assert first.returncode == 0, first.stderr
    current = epidesk("db", "current", database_url=url)
    assert current.returncode == 0
    head = head_revision()
    assert head is not None
    assert current.stdout.count(head) == 2, current.stdout


def test_unknown_command_exits_non_zero(tmp_path: Path) -> None:
    result = epidesk("frobnicate", database_url=f"sqlite:///{tmp_path}/x.db")
    assert result.returncode != 0
    assert "No such command" in result.stderr


def test_bad_option_value_is_a_usage_error_not_a_traceback(tmp_path: Path) -> None:
    result = epidesk("synth", "city", "--people", "abc",
                     database_url=f"sqlite:///{tmp_path}/x.db")
    assert result.returncode == 2
    assert "Invalid value for '--people'" in result.stderr
    assert "Traceback" not in result.stderr


# Every `--help` of the command line, run in one fresh process: none may load the heavy
# libraries or a domain's service, models or web layer (they cost seconds under load).
HELP_PROBE = """
import json, sys
import typer
from epidesk.cli import app, main

def commands(group, path):
    yield path
    for name, sub in sorted(getattr(group, "commands", {}).items()):
        yield from commands(sub, [*path, name])

everything = list(commands(typer.main.get_command(app), []))
for path in everything:
    sys.argv = ["epidesk", *path, "--help"]
    try:
        main()
    except SystemExit as exc:
        assert exc.code in (0, None), (path, exc.code)
heavy = sorted(m for m in sys.modules
               if m.split(".")[0] in ("fastapi", "sqlalchemy", "pydantic", "pydantic_settings",
                                      "numpy", "starlette", "uvicorn", "alembic")
               or (m.startswith("epidesk.") and m.rsplit(".", 1)[-1] in (
                   "service", "models", "repository", "schemas", "deps", "engine", "api",
                   "pages", "app", "db", "config", "errors")))
print(json.dumps({"helped": [" ".join(p) for p in everything], "heavy": heavy}))
"""


def test_every_help_answers_without_loading_the_platform() -> None:
    result = subprocess.run([sys.executable, "-c", HELP_PROBE], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["heavy"] == []
    helped = set(found["helped"])
    assert {"", "ingest results", "ingest visits", "people search", "cases list", "db upgrade",
            "trace missed", "users list", "policy list", "serve", "synth city"} <= helped
    assert len(helped) > 50


def test_the_help_of_an_import_says_what_its_exit_codes_mean(tmp_path: Path) -> None:
    for command in (("ingest", "results"), ("ingest", "visits"), ("cases", "ingest"),
                    ("trace", "import-visits")):
        result = epidesk(*command, "--help", database_url=f"sqlite:///{tmp_path}/x.db")
        assert result.returncode == 0
        text = " ".join(result.stdout.split())
        assert "Exit codes: 0 the file was accepted" in text, command
        assert "1 it was rejected" in text and "--json" in text


def test_a_command_that_fails_exits_non_zero_through_the_entry_point(tmp_path: Path) -> None:
    result = epidesk("ingest", "results", str(tmp_path / "missing.csv"),
                     database_url=f"sqlite:///{tmp_path}/x.db")
    assert result.returncode == 2 and "does not exist" in result.stderr


def test_the_readme_command_table_names_commands_and_options_that_exist() -> None:
    import re

    import typer

    from epidesk.cli import app

    root = typer.main.get_command(app)
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `(epidesk [^`]+)` \|", readme, re.MULTILINE)
    assert len(rows) >= 12
    checked = 0
    for row in rows:
        words = row.split()[1:]
        group = root.commands[words[0]]  # type: ignore[attr-defined]
        parts = " ".join(words[1:]).split(" / ") if hasattr(group, "commands") else [""]
        for part in parts:
            tokens = part.split()
            command = group.commands[tokens[0]] if tokens else group  # type: ignore[attr-defined]
            known = {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
            for option in re.findall(r"--[a-z-]+", part):
                assert option in known, (row, option)
            checked += 1
    assert checked > 30


def test_an_import_that_cannot_run_still_answers_json(tmp_path: Path) -> None:
    path = tmp_path / "lab.csv"
    path.write_text("sample_code\n")
    unreachable = f"postgresql://nobody@127.0.0.1:{free_port()}/epi"
    for command in (("ingest", "results"), ("ingest", "visits")):
        result = epidesk(*command, str(path), "--json", database_url=unreachable)
        assert result.returncode == 1
        answer = json.loads(result.stdout)
        assert answer["status"] == "error"
        assert "cannot reach the database" in f"{answer['title']}: {answer['detail']}"
        assert "cannot reach the database" in result.stderr
