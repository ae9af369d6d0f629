"""The city database the benchmarks share: reused when it exists, else built once.

A benchmark calls `city_database(pg_url, people, seed=..., log=...)`. It reuses the
database at pg_url when that holds a city (EPIDESK_BENCH_DATABASE_URL pointing at a
prepared city), else a database named after the city's size and seed in the same
cluster (so one big city serves several runs), else builds the city there.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session

from epidesk.db import make_engine
from epidesk.migrate import upgrade

Log = Callable[[str], None]


def holds_city(engine: Engine) -> bool:
    """True when the database is migrated and has residents."""
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT to_regclass('public.resident') IS NOT NULL"))
        if not exists.scalar():
            return False
        return bool(conn.execute(text("SELECT EXISTS (SELECT 1 FROM resident)")).scalar())


def analyze(engine: Engine, tables: str = "") -> None:
    """VACUUM ANALYZE the database (or some tables)."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"VACUUM ANALYZE {tables}"))


def _reused(url: str, log: Log) -> bool:
    engine = make_engine(url)
    try:
        if holds_city(engine):
            upgrade(engine)
            log(f"reusing the city in {engine.url.database}")
            return True
        return False
    finally:
        engine.dispose()


def city_database(pg_url: str, people: int, *, seed: int, log: Log
                  ) -> tuple[str, float | None]:
    """The URL of a database holding a city, and the seconds its build took (None: reused)."""
    if _reused(pg_url, log):
        return pg_url, None
    name = f"epidesk_city_{people}_s{seed}"
    url = make_url(pg_url).set(database=name).render_as_string(hide_password=False)
    admin = create_engine(pg_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            found = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                 {"n": name}).scalar()
            if found is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    if found is not None and _reused(url, log):
        return url, None
    engine = make_engine(url)
    try:
        upgrade(engine)
        started = time.perf_counter()
        build_city(engine, people, seed=seed, log=log)
        analyze(engine)
        return url, time.perf_counter() - started
    finally:
        engine.dispose()


def build_city(engine: Engine, people: int, *, seed: int, log: Log) -> None:
    """Build a synthetic city into an empty, migrated database (either backend)."""
    from epidesk.synth.city.service import build_city as build

    log(f"building a city of {people:,} residents in {engine.url.database}")
    started = time.perf_counter()
    with Session(engine) as session:
        build(session, people=people, seed=seed)
        session.commit()
    log(f"built in {time.perf_counter() - started:.0f} s")
