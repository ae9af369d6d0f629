"""Synthetic city build: `epidesk synth city` into PostgreSQL and into SQLite.

small: 100,000 residents into PostgreSQL; full: 10,000,000 (target: under 5 minutes
end to end on 2 cores). Both scales also build 100,000 residents into a temporary
SQLite file (target: under 30 seconds).

The PostgreSQL build goes into a fresh database created next to the one `pg_url`
names (which may be a user's own database and is left untouched), dropped afterwards.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import sessionmaker

from epidesk.db import make_engine, parse_database_url, session_scope
from epidesk.migrate import upgrade
from epidesk.synth.city.service import CitySummary, build_city

PEOPLE = {"small": 100_000, "full": 10_000_000}
SQLITE_PEOPLE = 100_000
SEED = 1
# One database per run, so that runs against the same server never meet.
BENCH_DATABASE = f"epidesk_bench_synth_{os.getpid()}"
TARGET_SECONDS = {"postgresql": 300.0, "sqlite": 30.0}


def _admin_url(pg_url: str) -> str:
    """The same server, its maintenance database `postgres`."""
    url = parse_database_url(pg_url)
    return url.set(database="postgres").render_as_string(hide_password=False)


def _bench_url(pg_url: str) -> str:
    url = parse_database_url(pg_url)
    return url.set(database=BENCH_DATABASE).render_as_string(hide_password=False)


def _recreate_database(pg_url: str, *, drop_only: bool = False) -> None:
    admin = make_engine(_admin_url(pg_url))
    try:
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{BENCH_DATABASE}" WITH (FORCE)'))
            if not drop_only:
                conn.execute(sa.text(f'CREATE DATABASE "{BENCH_DATABASE}"'))
    finally:
        admin.dispose()


def _build(url: str, people: int) -> tuple[CitySummary, float, float, int]:
    """Migrate, build and commit: (summary, migrate seconds, build seconds, residents)."""
    engine = make_engine(url)
    try:
        started = time.perf_counter()
        upgrade(engine)
        migrated = time.perf_counter()
        with session_scope(sessionmaker(bind=engine)) as session:
            summary = build_city(session, people=people, seed=SEED)
        committed = time.perf_counter()
        with engine.connect() as conn:
            residents = int(conn.execute(sa.text("SELECT count(*) FROM resident")).scalar_one())
        return summary, migrated - started, committed - migrated, residents
    finally:
        engine.dispose()


def _phases(summary: CitySummary) -> dict[str, float]:
    return {"generate": summary.generate_seconds, "encode": summary.encode_seconds,
            "copy": summary.copy_seconds, "index": summary.index_seconds}


def run(scale: str, pg_url: str) -> dict[str, Any]:
    """Build the synthetic city on PostgreSQL (scale) and SQLite (100,000) and time it."""
    people = PEOPLE[scale]
    load_before = os.getloadavg()
    _recreate_database(pg_url)
    try:
        pg, pg_migrate, pg_seconds, pg_residents = _build(_bench_url(pg_url), people)
    finally:
        _recreate_database(pg_url, drop_only=True)
    load_after_pg = os.getloadavg()

    with tempfile.TemporaryDirectory(prefix="epidesk-bench-synth-") as folder:
        lite, _, lite_seconds, lite_residents = _build(
            f"sqlite:///{Path(folder) / 'city.db'}", SQLITE_PEOPLE)
    assert pg_residents == people and lite_residents == SQLITE_PEOPLE

    peak_gib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    return {
        "people": people,
        "backend": "postgresql",
        "seconds": round(pg_seconds, 2),
        "target_seconds": TARGET_SECONDS["postgresql"] if scale == "full" else None,
        "phases": _phases(pg),
        "phases_note": "generate and encode run in a thread alongside copy and index: they overlap",
        "migrate_seconds": round(pg_migrate, 2),
        "rows": pg.rows,
        "rows_total": sum(pg.rows.values()),
        "residents_per_second": round(people / pg_seconds),
        "sqlite_people": SQLITE_PEOPLE,
        "sqlite_seconds": round(lite_seconds, 2),
        "sqlite_target_seconds": TARGET_SECONDS["sqlite"],
        "sqlite_phases": _phases(lite),
        "sqlite_rows_total": sum(lite.rows.values()),
        "city": pg.city,
        "seed": SEED,
        "peak_rss_gib": round(peak_gib, 2),
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after_postgresql": [round(x, 2) for x in load_after_pg],
    }
