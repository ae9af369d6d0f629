"""Backups that restore: one file per copy, taken while the platform runs.

PostgreSQL is copied by `pg_dump --format=custom` and put back by `pg_restore`; the
password travels in the child's PGPASSWORD, never on its command line. SQLite is
copied page by page through its online backup API, so writers can keep going.
A restore refuses a database that already holds tables unless forced.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import URL

from epidesk.db import make_engine, parse_database_url
from epidesk.errors import BackupError, ConfigurationError

PG_MAGIC = b"PGDMP"
SQLITE_MAGIC = b"SQLite format 3\x00"
FORMATS = {"postgresql": "a PostgreSQL custom-format dump (pg_dump --format=custom)",
           "sqlite": "an SQLite database file"}


@dataclass(frozen=True)
class BackupResult:
    """What a backup or restore did: the backend, the file and its size in bytes."""

    backend: str
    file: Path
    size: int


def find_pg_tool(name: str) -> Path:
    """A PostgreSQL client program: on PATH, else the newest /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return Path(found)
    candidates = []
    for path in glob.glob(f"/usr/lib/postgresql/*/bin/{name}"):
        try:
            candidates.append((int(Path(path).parent.parent.name), Path(path)))
        except ValueError:
            continue
    if not candidates:
        raise ConfigurationError(
            f"{name} not found on PATH nor under /usr/lib/postgresql/*/bin "
            "(install the PostgreSQL client programs)")
    return max(candidates)[1]


def file_format(path: Path) -> str:
    """The backend a backup file belongs to ("postgresql" or "sqlite"), or a clear error."""
    if not path.exists():
        raise BackupError(f"backup file {path} does not exist")
    if not path.is_file():
        raise BackupError(f"backup file {path} is not a regular file")
    with path.open("rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    if head.startswith(PG_MAGIC):
        return "postgresql"
    if head == SQLITE_MAGIC:
        return "sqlite"
    raise BackupError(f"{path} is not an Epidesk backup: expected {FORMATS['postgresql']} "
                      f"or {FORMATS['sqlite']}")


def table_names(engine: Engine) -> list[str]:
    """The tables the database holds (any schema PostgreSQL users create tables in)."""
    return sorted(inspect(engine).get_table_names())


def backup(raw_url: str, target: Path) -> BackupResult:
    """Copy the database at raw_url into the file target (replaced atomically when done)."""
    url = parse_database_url(raw_url)
    target = Path(target)
    if not target.parent.is_dir():
        raise BackupError(f"cannot write {target}: folder {target.parent} does not exist")
    partial = target.with_name(f".{target.name}.partial")
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_copy(_sqlite_path(url, must_exist=True), partial)
        else:
            _run_pg(url, "pg_dump", ["--format=custom", f"--file={partial}"])
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    return BackupResult(url.get_backend_name(), target, target.stat().st_size)


def restore(raw_url: str, source: Path, *, force: bool = False) -> BackupResult:
    """Put the backup file source into the database at raw_url, which must hold no tables
    unless force is given."""
    url = parse_database_url(raw_url)
    source = Path(source)
    backend = url.get_backend_name()
    found = file_format(source)
    if found != backend:
        raise BackupError(f"{source} is {FORMATS[found]}, but the configured database is "
                          f"{backend}; restore it into a {found} database")
    if not force:
        _refuse_non_empty(url)
    if backend == "sqlite":
        _sqlite_copy(source, _sqlite_path(url, must_exist=False))
    else:
        extra = ["--clean", "--if-exists"] if force else []
        _run_pg(url, "pg_restore", ["--no-owner", "--exit-on-error", "--single-transaction",
                                    *extra, str(source)])
    return BackupResult(backend, source, source.stat().st_size)


def _refuse_non_empty(url: URL) -> None:
    if url.get_backend_name() == "sqlite" and not _sqlite_path(url, must_exist=False).exists():
        return
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        tables = table_names(engine)
    finally:
        engine.dispose()
    if tables:
        safe = url.render_as_string(hide_password=True)
        raise BackupError(f"the database {safe} is not empty ({len(tables)} tables); "
                          "restore into an empty database, or pass --force to replace it")


def _sqlite_path(url: URL, *, must_exist: bool) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up or restored")
    path = Path(url.database)
    if must_exist and not path.exists():
        raise BackupError(f"the SQLite database {path} does not exist")
    return path


def _sqlite_copy(source: Path, target: Path) -> None:
    # The online backup API copies a consistent snapshot while others keep writing.
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"copying {source} to {target} failed: {exc}") from exc
    finally:
        src.close()


def _run_pg(url: URL, tool: str, args: list[str]) -> None:
    # libpq reads the connection from a URI without the password, and the password
    # from the environment, so neither `ps` nor shell history ever shows it.
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False)
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    argv = [str(find_pg_tool(tool)), f"--dbname={conninfo}", *args]
    result = subprocess.run(argv, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        reason = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{tool} failed: {reason[0] if reason else 'no message'}"
                          + (f" (and {len(reason) - 1} more lines)" if len(reason) > 1 else ""))
