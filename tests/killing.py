"""Killing an import with SIGKILL while it writes: the shared part of the kill -9 tests.

The import runs as its own `epidesk ...` process. `kill_while_writing` waits until that
process has begun writing, then kills it without warning:
- PostgreSQL: its transaction has an id, which it gets with its first write;
- SQLite: the write-ahead log, emptied just before the process starts, has grown (every
  transaction on the embedded database takes the write lock when it begins, so holding
  the lock alone does not show that anything was written yet).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import sqlalchemy as sa

from epidesk.db import make_engine


def _wal(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///") + "-wal")


def _empty_wal(url: str) -> None:
    connection = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
    try:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def writing(url: str) -> bool:
    """Whether another process has begun writing inside its open transaction."""
    if url.startswith("sqlite"):
        wal = _wal(url)
        return wal.exists() and wal.stat().st_size > 0
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return bool(connection.scalar(sa.text(
                "SELECT count(*) FROM pg_stat_activity WHERE backend_xid IS NOT NULL "
                "AND datname = current_database() AND pid <> pg_backend_pid()")))
    finally:
        engine.dispose()


def kill_while_writing(url: str, command: Sequence[str], timeout: float = 120, *,
                       until: Callable[[], bool] | None = None, prelude: str = "") -> None:
    """Run `epidesk <command>` on the database at url and SIGKILL it once it writes (or,
    with `until`, once that says so); `prelude` is Python run in that process first."""
    if url.startswith("sqlite"):
        _empty_wal(url)
    env = {**os.environ, "EPIDESK_DATABASE_URL": url}
    process = subprocess.Popen(
        [sys.executable, "-c", f"{prelude}\nfrom epidesk.cli import main; main()", *command],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + timeout
    try:
        while not (until() if until is not None else writing(url)):
            assert process.poll() is None, (
                f"the import ended before it was caught writing: {process.stderr!r}")
            assert time.monotonic() < deadline, "the import never began to write"
            time.sleep(0.002)
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
