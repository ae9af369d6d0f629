"""Hotline benchmark: the public figures per day and category, refreshed from every ticket.

    python benchmarks/run.py hotline --scale small|full --json

Fills a fresh database (migrated) with tickets (small: 100,000, full: 1,000,000) received
over 90 days in the seven categories, three in four answered and two in three resolved at
random delays around their targets, then:

- `rebuild_s`: every day's figures recomputed from every ticket (`epidesk hotline stats
  --rebuild`): the tickets' category and five times read by one binary COPY, the figures
  of every day and category computed on arrays (counts, within-target counts, medians)
  and the table replaced; best of three;
- `stats_refresh_s`: the refresh job (`epidesk hotline stats --refresh`) after an hour's
  activity that bypassed the per-change upkeep: `changed` tickets of the last three days
  answered or resolved by SQL; only their days and categories are recomputed; best of
  three rounds (new changes each round);
- `sql_stats_s`: the same figures by one straightforward PostgreSQL statement (GROUP BY
  with two percentile_cont), what a page would run without the table; best of three;
  `identical` compares the table after the refresh with it (medians as published, to 0.01 minute);
- `touch_s`: keeping one day and category up to date after one ticket changes (what every
  change does through the service), mean of 20.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from epidesk.db import make_engine
from epidesk.hotline.models import Ticket
from epidesk.hotline.stats import repository, service
from epidesk.kit import clock
from epidesk.migrate import upgrade

TICKETS = {"small": 100_000, "full": 1_000_000}
# Tickets changed in an hour between two refreshes (a busy hour of a city-wide lockdown).
CHANGED = {"small": 1_000, "full": 10_000}
CATEGORIES = ("medical_emergency", "supplies", "quarantine_conditions",
              "classification_appeal", "zone_question", "information", "other")
TARGETS = ((5, 60), (60, 1440), (120, 1440), (240, 4320), (240, 2880), (240, 1440),
           (480, 4320))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _fresh(pg_url: str, name: str) -> str:
    admin = make_engine(pg_url)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return make_url(pg_url).set(database=name).render_as_string(hide_password=False)


def _fill(session: Session, count: int) -> None:
    cats = "(ARRAY[" + ",".join(f"'{c}'" for c in CATEGORIES) + "])"
    firsts = "(ARRAY[" + ",".join(str(t[0]) for t in TARGETS) + "])"
    resolutions = "(ARRAY[" + ",".join(str(t[1]) for t in TARGETS) + "])"
    session.execute(text(f"""
        INSERT INTO hotline_ticket (reference, channel, category, description, status,
            first_response_minutes, resolution_minutes, received_at, first_response_due,
            resolution_due, first_response_at, resolved_at, updated_at, breach, escalation,
            created_by)
        SELECT lpad(to_hex(g), 11, '0'), 'phone', {cats}[k], 'benchmark',
               CASE WHEN r2 < 0.66 THEN 'resolved' WHEN r1 < 0.75 THEN 'answered'
                    ELSE 'open' END,
               {firsts}[k], {resolutions}[k], t, t + make_interval(mins => {firsts}[k]),
               t + make_interval(mins => {resolutions}[k]),
               CASE WHEN r1 < 0.75 OR r2 < 0.66 THEN
                    t + make_interval(secs => r3 * 120 * {firsts}[k]) END,
               CASE WHEN r2 < 0.66 THEN
                    t + make_interval(secs => 60 * {firsts}[k] + r4 * 90 * {resolutions}[k])
               END, t, 'none', 0, 'bench'
        FROM (SELECT g, 1 + (g % 7) AS k,
                     timestamptz '2026-09-01 00:00:00+08' + make_interval(
                         secs => (g::float8 / :n) * 90 * 86400) AS t,
                     random() AS r1, random() AS r2, random() AS r3, random() AS r4
              FROM generate_series(1, :n) AS g) AS s
    """), {"n": count})
    session.commit()
    session.execute(text("ANALYZE hotline_ticket"))
    session.commit()


def _activity(session: Session, changed: int) -> None:
    """An hour's changes made directly in SQL (bypassing the per-change upkeep): tickets of
    the last three days answered, or resolved, now."""
    session.execute(text("""
        UPDATE hotline_ticket SET
            first_response_at = coalesce(first_response_at, now()),
            resolved_at = CASE WHEN random() < 0.5 THEN coalesce(resolved_at, now())
                          ELSE resolved_at END,
            updated_at = now()
        WHERE id IN (SELECT id FROM hotline_ticket
                     WHERE received_at >= (SELECT max(received_at) FROM hotline_ticket)
                                          - interval '3 days'
                     ORDER BY random() LIMIT :n)
    """), {"n": changed})
    session.commit()


def _best(fn: Any, times: int = 3) -> tuple[float, Any]:
    best, out = math.inf, None
    for _ in range(times):
        started = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - started)
    return best, out


def _same(stored: list[Any], sql: list[Any]) -> bool:
    def near(a: float | None, b: float | None) -> bool:
        return (a is None and b is None) or (
            a is not None and b is not None and abs(a - b) < 0.006)

    if len(stored) != len(sql):
        return False
    for s, q in zip(stored, sql, strict=True):
        if (s.day, s.category, s.received, s.responded, s.responded_in_time, s.resolved,
                s.resolved_in_time) != tuple(q[:7]):
            return False
        if not (near(s.median_response_minutes, q[7]) and near(s.median_resolution_minutes,
                                                               q[8])):
            return False
    return True


def run(scale: str, pg_url: str) -> dict[str, Any]:
    count = TICKETS[scale]
    url = _fresh(pg_url, f"bench_hotline_{scale}")
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        started = time.perf_counter()
        _fill(session, count)
        log(f"{count:,} tickets in {time.perf_counter() - started:.1f} s")

        def rebuild() -> int:
            rows = service.rebuild(session)
            session.commit()
            return rows

        rebuild_s, rows = _best(rebuild)
        refresh_s = math.inf
        for _ in range(3):
            _activity(session, CHANGED[scale])
            started = time.perf_counter()
            service.refresh(session)
            session.commit()
            refresh_s = min(refresh_s, time.perf_counter() - started)
        zone = clock.city_zone()
        sql_s, sql_rows = _best(lambda: repository.sql_figures(session, str(zone)))
        stored = service.stored(session)
        identical = _same(stored, sql_rows)
        ids = [int(i) for i in session.execute(text(
            "SELECT id FROM hotline_ticket ORDER BY random() LIMIT 20")).scalars()]
        started = time.perf_counter()
        for i in ids:
            ticket = session.get(Ticket, i)
            assert ticket is not None
            service.touch(session, ticket)
        session.commit()
        touch_s = (time.perf_counter() - started) / len(ids)
    engine.dispose()
    return {"tickets": count, "rows": rows, "changed": CHANGED[scale],
            "stats_refresh_s": round(refresh_s, 3), "rebuild_s": round(rebuild_s, 3),
            "sql_stats_s": round(sql_s, 3), "speedup": round(sql_s / refresh_s, 1),
            "rebuild_speedup": round(sql_s / rebuild_s, 2),
            "identical": identical, "touch_s": round(touch_s, 4)}
