"""Zoning benchmark: every zone of 1,000 active cases, in memory against PostgreSQL queries.

    python benchmarks/run.py zoning --scale small|full --json

Builds (or reuses) a synthetic city in PostgreSQL (small: 100,000 residents, full:
10,000,000) and two weeks of venue visits (as the tracing benchmark does, same seed and
days), replaces its cases with 1,000 active cases of random residents sampled on one day,
then, under the 20 measures (unit zones; venues a case visited while infectious):

- `load_s`: the one-time load: the geometry tree read and its resident counts rolled up
  (`tree_load_s`), and the contact graph (household memberships and visits) read and
  indexed (`graph_load_s`);
- `recompute_s`: every zone computed after the load: the active cases read, their homes
  and visits looked up in the graph, the zones and their populations computed; the best
  of three; `engine_s` the engine alone; `read_cases_s` the cases;
- `sql_recompute_s`: the same zones as PostgreSQL queries (joins and group-bys over the
  same tables); `identical` compares areas, levels, residents and trigger cases;
- `write_s`: the resulting zones and their history written (first recomputation);
- `stepdown_s`: the daily job's step-down for the day the zones lift.
"""

from __future__ import annotations

import sys
import time
from datetime import date, timedelta
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from cities import city_database
from epidesk.db import make_engine
from epidesk.kit.domains import load_models
from epidesk.policy.service import load_preset
from epidesk.tracing.graph import service as graphs
from epidesk.tracing.visits import repository as visits_repository
from epidesk.tracing.visits import service as visits_service
from epidesk.zoning import service
from epidesk.zoning.engine import KIND_CODES, LEVEL_CODES, ComputedZones, build_tree, compute_zones
from epidesk.zoning.tree import service as trees

PEOPLE = {"small": 100_000, "full": 10_000_000}
CASES = 1_000
FIRST_DAY = date(2026, 11, 1)
DAYS = 14
SAMPLED = FIRST_DAY + timedelta(days=10)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _add_cases(session: Session, seed: int) -> None:
    session.execute(text("DELETE FROM zone_sample; DELETE FROM zone_tally; "
                         "DELETE FROM zone_change; DELETE FROM zone_trigger; DELETE FROM zone"))
    session.execute(text("DELETE FROM case_event"))
    session.execute(text("DELETE FROM case_episode"))
    ids = np.asarray(session.execute(text("SELECT id FROM resident")).scalars().all())
    chosen = np.random.default_rng(seed).choice(ids, size=CASES, replace=False)
    session.execute(text(
        "INSERT INTO case_episode (resident_id, classification, status, sampling_date, "
        "isolation_date, reported_on, diagnosed_at, recorded_at, asymptomatic_on, "
        "district_id, community_id, imported) "
        "SELECT r.id, 'asymptomatic', 'active', :d, :d, :d, now(), now(), :d, s.district_id, "
        "r.community_id, false FROM resident r JOIN community c ON c.id = r.community_id "
        "JOIN subdistrict s ON s.id = c.subdistrict_id WHERE r.id = ANY(:ids)"),
        {"d": SAMPLED, "ids": [int(i) for i in chosen]})
    session.commit()


SQL_ZONES = """
WITH cases AS (
  SELECT id, resident_id, sampling_date,
         (coalesce(onset_date, sampling_date) - :before) AS first_day,
         greatest(coalesce(isolation_date, sampling_date),
                  coalesce(onset_date, sampling_date) - :before) AS last_day
  FROM case_episode WHERE status = 'active'),
homes AS (
  SELECT DISTINCT a.unit_id AS ref, c.id AS case_id, c.sampling_date
  FROM cases c JOIN household_membership m ON m.resident_id = c.resident_id
  JOIN household h ON h.id = m.household_id JOIN address a ON a.id = h.address_id
  WHERE m.start_date <= c.last_day AND coalesce(m.end_date, 'infinity'::date) >= c.first_day),
stays AS (
  SELECT DISTINCT v.venue_id AS ref, c.id AS case_id, c.sampling_date
  FROM cases c JOIN venue_visit v ON v.resident_id = c.resident_id
  WHERE (v.started_at AT TIME ZONE :tz)::date BETWEEN c.first_day AND c.last_day),
unit_people AS (
  SELECT a.unit_id AS ref, count(r.id) AS residents, count(DISTINCT h.id) AS households
  FROM resident r JOIN household h ON h.id = r.household_id JOIN address a ON a.id = h.address_id
  WHERE a.unit_id IN (SELECT ref FROM homes) GROUP BY a.unit_id)
SELECT 'unit' AS kind, h.ref, array_agg(h.case_id ORDER BY h.case_id), coalesce(max(u.residents), 0)
FROM homes h LEFT JOIN unit_people u ON u.ref = h.ref GROUP BY h.ref
UNION ALL
SELECT 'venue', s.ref, array_agg(s.case_id ORDER BY s.case_id), 0
FROM stays s WHERE s.ref IN (SELECT id FROM venue) GROUP BY s.ref
"""


def _sql_zones(session: Session, before: int) -> list[tuple[str, int, tuple[int, ...], int]]:
    rows = session.execute(text(SQL_ZONES), {"before": before, "tz": "Asia/Shanghai"}).all()
    return sorted((k, int(r), tuple(sorted(c)), int(n)) for k, r, c, n in rows)


def _mine(zones: ComputedZones) -> list[tuple[str, int, tuple[int, ...], int]]:
    names = {v: k for k, v in KIND_CODES.items()}
    cases: dict[int, list[int]] = {}
    for z, c in zip(zones.trigger_zone.tolist(), zones.trigger_case.tolist(), strict=True):
        cases.setdefault(z, []).append(c)
    return sorted((names[int(k)], int(r), tuple(sorted(cases.get(i, []))), int(n))
                  for i, (k, r, n) in enumerate(zip(zones.kind, zones.ref, zones.residents,
                                                    strict=True)))


def run(scale: str, pg_url: str) -> dict[str, Any]:
    url, built = city_database(pg_url, PEOPLE[scale], seed=2022, log=log)
    load_models()
    engine = make_engine(url)
    preset = load_preset("cn-20-measures-2022")
    drawing = trees.drawing(preset)
    before = preset.contacts.close_window.days_before
    try:
        with Session(engine) as session:
            if visits_repository.visit_count(session) == 0:
                log("writing two weeks of venue visits")
                visits_service.synthesize_visits(session, days=DAYS, seed=20221,
                                                 first_day=FIRST_DAY)
                session.commit()
            _add_cases(session, seed=7)
            people = int(session.execute(text("SELECT count(*) FROM resident")).scalar() or 0)
            started = time.perf_counter()
            arrays = trees.tree_arrays(session)
            tree_read_s = time.perf_counter() - started
            tree = build_tree(arrays)
            tree_load_s = time.perf_counter() - started
            started = time.perf_counter()
            graph = graphs.load_graph(session)
            graph_load_s = time.perf_counter() - started
            session.commit()
            best = best_engine = best_read = float("inf")
            zones = None
            for _ in range(3):
                started = time.perf_counter()
                cases = trees.case_arrays_in_memory(session, preset, tree, graph)
                mid = time.perf_counter()
                zones = compute_zones(tree, cases, drawing)
                done = time.perf_counter()
                best, best_engine = min(best, done - started), min(best_engine, done - mid)
                best_read = min(best_read, mid - started)
            assert zones is not None
            sql_best = float("inf")
            sql = []
            for _ in range(2):
                started = time.perf_counter()
                sql = _sql_zones(session, before)
                sql_best = min(sql_best, time.perf_counter() - started)
            identical = _mine(zones) == sql
            assert all(int(level) == LEVEL_CODES["high"] for level in zones.level)
            started = time.perf_counter()
            service.recompute(session, actor="bench", preset=preset, tree=tree, day=SAMPLED,
                              graph=graph)
            session.commit()
            write_s = time.perf_counter() - started
            started = time.perf_counter()
            stepped = service.step_down(session, actor="bench", preset=preset, tree=tree,
                                        day=SAMPLED + timedelta(days=5))
            session.commit()
            stepdown_s = time.perf_counter() - started
            return {"people": people, "cases": CASES, "zones": len(zones),
                    "city_build_s": None if built is None else round(built, 1),
                    "load_s": round(tree_load_s + graph_load_s, 2),
                    "tree_load_s": round(tree_load_s, 2),
                    "tree_read_s": round(tree_read_s, 2), "graph_load_s": round(graph_load_s, 2),
                    "recompute_s": round(best, 4), "engine_s": round(best_engine, 4),
                    "read_cases_s": round(best_read, 4), "sql_recompute_s": round(sql_best, 4),
                    "speedup_vs_sql": round(sql_best / best, 1), "identical": identical,
                    "write_s": round(write_s, 3), "stepdown_s": round(stepdown_s, 3),
                    "lifted": stepped.lifted,
                    "venue_zones": int((zones.kind == KIND_CODES["venue"]).sum())}
    finally:
        engine.dispose()
