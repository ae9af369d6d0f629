"""The `epidesk` command: bad settings give one clear line and a non-zero exit."""

from __future__ import annotations

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
