"""Tracing benchmark: classify 1,000 new cases on the contact graph, against SQL joins.

    python benchmarks/run.py tracing --scale small|full --json

Builds a synthetic city in PostgreSQL (small: 100,000 residents, full: 10,000,000)
unless the database already holds one (the ingest and browse benchmarks' cities are
reused), and two weeks of venue visits unless it already holds visits
(`epidesk.tracing.service.synthesize_visits`, seed 20221, from FIRST_DAY), plus one
recorded exposure per 1,000 residents. Then:

- `load_s`: the contact graph read from PostgreSQL and indexed (household, work-group
  and class memberships with their dates, exposures, visits), split into `load_read_s`
  and `load_index_s`.
- `opportunities`: exposure opportunities, counted as pairs of residents sharing a
  household, pairs of members of the same work group or class, pairs of visits to the
  same venue that overlap in time (any overlap), and recorded exposures.
- `classify_s`: `epidesk.tracing.runs.engine.classify` of 1,000 random residents as new cases
  (sampled in the second week, 30 % with symptom onset, isolated the next day) under
  cn-9th-2022: close contacts by household, work group, class, venue co-visits of at
  least 15 minutes and recorded exposures; sub-close contacts; promotions. The best of
  three runs; `classify_first_s` is the first.
- `sql_classify_s`: the same classification as PostgreSQL joins over the same tables
  (indexed), with the results fetched; `identical` compares both sets of evidence rows
  (contact, case, tier, setting, place, via, start, end) and `speedup_vs_sql` divides.
- `refresh_s`: one more day of visits for 10 % of residents written to the database,
  then added to the graph in memory (delta segment, no rebuild);
  `classify_after_refresh_s` classifies again, and `identical_after_refresh` compares
  with a graph loaded afresh. The added visits are deleted afterwards.
"""

from __future__ import annotations

import resource
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

import numpy as np
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from cities import analyze, city_database
from epidesk.db import is_postgres, make_engine
from epidesk.kit import bulk, clock
from epidesk.kit.domains import load_models
from epidesk.people.columns import repository as people_columns
from epidesk.policy.service import load_preset
from epidesk.tracing import rules
from epidesk.tracing.graph import engine as graph_engine
from epidesk.tracing.graph import repository as graph_repository
from epidesk.tracing.graph import service as graph_service
from epidesk.tracing.runs import engine as runs_engine
from epidesk.tracing.runs import service as runs_service
from epidesk.tracing.visits import engine as visits_engine
from epidesk.tracing.visits import repository as visits_repository
from epidesk.tracing.visits import rules as visit_rules
from epidesk.tracing.visits import service as visits_service

PEOPLE = {"small": 100_000, "full": 10_000_000}
SEED = 20221
CASES = 1_000
FIRST_DAY = date(2026, 11, 1)
DAYS = 14
PRESET = "cn-9th-2022"
ONSET_SHARE = 0.3


def log(message: str) -> None:
    """Progress to stderr, so stdout holds only the figures."""
    print(f"[tracing] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ the city database


def ensure_visits(engine: Engine, people: int) -> dict[str, Any]:
    """Two weeks of visits and some recorded exposures, unless the database has them."""
    with Session(engine) as session:
        visits = visits_repository.visit_count(session)
        if visits:
            log(f"reusing {visits:,} visits")
            figures: dict[str, Any] = {"visits_generated_s": None}
        else:
            log(f"generating {DAYS} days of visits")
            started = time.perf_counter()
            made = visits_service.synthesize_visits(session, days=DAYS, seed=SEED,
                                                    first_day=FIRST_DAY)
            session.commit()
            figures = {"visits_generated_s": round(time.perf_counter() - started, 1)}
            log(f"{made.visits:,} visits written in {made.seconds:.0f} s")
        exposures = session.execute(text("SELECT count(*) FROM exposure")).scalar() or 0
        if not exposures:
            write_exposures(session, people)
            session.commit()
    if figures["visits_generated_s"] is not None:
        analyze(engine, "venue_visit, exposure")
    return figures


def write_exposures(session: Session, people: int) -> None:
    """One recorded exposure per 1,000 residents, 10 % of them protected."""
    ids = people_columns.resident_ids(session)
    settings = ("carer", "shared_vehicle", "shared_enclosed_space", "investigator_judgement")
    a, b, at, setting, protected = visits_engine.synthetic_exposures(
        ids, count=max(10, people // 1000), first_day=rules.local_midnight(FIRST_DAY,
                                                                           clock.city_zone()),
        days=DAYS, settings=settings, seed=SEED)
    now = np.full(len(a), np.datetime64(datetime.now(UTC).replace(tzinfo=None), "s"))
    bulk.copy_rows(session, load_models().tables["exposure"], {
        "id": np.arange(1, len(a) + 1, dtype=np.int64),
        "resident_a_id": a, "resident_b_id": b,
        "at": at.astype("datetime64[s]"),
        "setting": bulk.Categorical(settings, setting),
        "protected": protected,
        "place": bulk.Categorical.constant("benchmark", len(a)),
        "recorded_by": bulk.Categorical.constant("benchmark", len(a)),
        "recorded_at": now,
    })
    session.execute(text("SELECT setval(pg_get_serial_sequence('exposure', 'id'), "
                         "(SELECT max(id) FROM exposure))"))


# ------------------------------------------------------------------ cases


class NewCases(NamedTuple):
    """The benchmark's cases: their dates, and the batch the engine classifies."""

    resident: np.ndarray
    sampling: list[date]
    onset: list[date | None]
    batch: runs_engine.CaseBatch
    now: int


def new_cases(ids: np.ndarray) -> NewCases:
    """1,000 random residents as new cases, and the moment classification runs at."""
    preset = load_preset(PRESET)
    rng = np.random.default_rng(SEED + 1)
    chosen = np.sort(rng.choice(ids, size=CASES, replace=False))
    sampling_offsets = rng.integers(7, DAYS - 1, CASES)
    onset_back = rng.integers(0, 3, CASES)
    symptomatic = rng.random(CASES) < ONSET_SHARE
    now = rules.local_midnight(FIRST_DAY + timedelta(days=DAYS), clock.city_zone())
    starts, ends, sampled_on, onsets = [], [], [], []
    for i in range(CASES):
        sampled = FIRST_DAY + timedelta(days=int(sampling_offsets[i]))
        onset = sampled - timedelta(days=int(onset_back[i])) if symptomatic[i] else None
        start, end = rules.case_window(
            classification="confirmed" if symptomatic[i] else "asymptomatic",
            sampling_date=sampled, onset_date=onset,
            isolation_date=sampled + timedelta(days=1), preset=preset, now=now,
            zone=clock.city_zone())
        starts.append(start)
        ends.append(end)
        sampled_on.append(sampled)
        onsets.append(onset)
    batch = runs_engine.CaseBatch.of(np.arange(1, CASES + 1), chosen, starts, ends)
    return NewCases(resident=chosen, sampling=sampled_on, onset=onsets, batch=batch, now=now)


def parameters(now: int) -> runs_engine.Parameters:
    """The engine's parameters under the benchmark's preset."""
    return runs_engine.Parameters.of(rules.tracing_rules(load_preset(PRESET)), now)


def isolation_of(cases: runs_engine.CaseBatch) -> runs_engine.Lookup:
    """Cases are isolated at the end of their window; everyone else counts at now."""
    return runs_engine.Lookup.of(cases.resident, cases.end)


# ------------------------------------------------------------------ the SQL baseline

FOREVER = rules.FOREVER
# The SQL baseline assumes one UTC offset over the benchmark's days.
OFFSET = int(clock.utc_offsets(np.asarray([rules.seconds_of(datetime.combine(
    FIRST_DAY, datetime.min.time(), tzinfo=UTC))], dtype=np.int64))[0])


def _day(column: str) -> str:
    return f"(({column} - DATE '1970-01-01')::bigint * 86400 - {OFFSET})"


def _until(column: str) -> str:
    return (f"(CASE WHEN {column} IS NULL THEN {FOREVER}::bigint "
            f"ELSE (({column} - DATE '1970-01-01')::bigint + 1) * 86400 - {OFFSET} END)")


def _epoch(column: str) -> str:
    return f"extract(epoch FROM {column})::bigint"


def shared_sql(centre: str, settings: frozenset[int]) -> str:
    """SQL: (cid, other, setting, place, s, e) of everyone sharing a setting with a centre.

    The centre table has columns cid, resident_id, ws, we (seconds since the epoch).
    """
    parts = []
    for code, table, group in ((graph_engine.HOUSEHOLD, "household_membership",
                                "household_id"),
                               (graph_engine.WORK_GROUP, "work_group_membership",
                                "work_group_id"),
                               (graph_engine.SCHOOL_CLASS, "class_membership",
                                "school_class_id")):
        if code not in settings:
            continue
        s = f"greatest(c.ws, {_day('m.start_date')}, {_day('o.start_date')})"
        e = f"least(c.we, {_until('m.end_date')}, {_until('o.end_date')})"
        parts.append(f"""
SELECT c.cid, o.resident_id AS other, {code} AS setting, m.{group} AS place, {s} AS s,
       {e} AS e
FROM {centre} c JOIN {table} m ON m.resident_id = c.resident_id
JOIN {table} o ON o.{group} = m.{group}
WHERE o.resident_id <> c.resident_id AND {s} < {e}""")
    if graph_engine.EXPOSURE in settings:
        for me, other in (("resident_a_id", "resident_b_id"), ("resident_b_id", "resident_a_id")):
            t = _epoch("x.at")
            parts.append(f"""
SELECT c.cid, x.{other}, {graph_engine.EXPOSURE}, x.id, {t}, {t}
FROM {centre} c JOIN exposure x ON x.{me} = c.resident_id
WHERE NOT x.protected AND {t} >= c.ws AND {t} < c.we AND x.{other} <> c.resident_id""")
    return "\nUNION ALL\n".join(parts)


def covisits_sql(centre: str, minimum: int) -> str:
    """SQL: visitors overlapping the centres' visits by at least `minimum` seconds."""
    longest = int(visit_rules.MAX_VISIT.total_seconds())
    return f"""
SELECT c.cid, o.resident_id, {graph_engine.VENUE}, v.venue_id,
       greatest(w.a, {_epoch('o.started_at')}), least(w.b, {_epoch('o.ended_at')})
FROM {centre} c JOIN venue_visit v ON v.resident_id = c.resident_id
CROSS JOIN LATERAL (SELECT greatest({_epoch('v.started_at')}, c.ws) AS a,
                           least({_epoch('v.ended_at')}, c.we) AS b) w
JOIN venue_visit o ON o.venue_id = v.venue_id
  AND o.started_at <= to_timestamp(w.b - {minimum})
  AND o.started_at >= to_timestamp(w.a + {minimum} - {longest})
  AND o.ended_at >= to_timestamp(w.a + {minimum})
WHERE w.b - w.a >= {minimum} AND o.resident_id <> c.resident_id
  AND least(w.b, {_epoch('o.ended_at')}) - greatest(w.a, {_epoch('o.started_at')}) >= {minimum}"""


def classify_sql(session: Session, cases: runs_engine.CaseBatch,
                 params: runs_engine.Parameters) -> tuple[runs_engine.Evidence, float]:
    """The engine's classification as PostgreSQL joins; returns the evidence and seconds."""
    conn = session.connection()
    started = time.perf_counter()
    conn.exec_driver_sql("CREATE TEMP TABLE bench_case (cid bigint, resident_id int, "
                         "ws bigint, we bigint) ON COMMIT DROP")
    conn.exec_driver_sql(
        "INSERT INTO bench_case SELECT * FROM unnest(%(c)s::bigint[], %(r)s::int[], "
        "%(s)s::bigint[], %(e)s::bigint[])",
        {"c": cases.case_id.tolist(), "r": cases.resident.tolist(),
         "s": cases.start.tolist(), "e": cases.end.tolist()})
    conn.exec_driver_sql("ANALYZE bench_case")
    now = params.now
    conn.exec_driver_sql(f"""
CREATE TEMP TABLE bench_iso ON COMMIT DROP AS
SELECT resident_id, least(min(we), {now}) AS t FROM bench_case GROUP BY resident_id""")
    conn.exec_driver_sql(f"""
CREATE TEMP TABLE bench_direct ON COMMIT DROP AS
{shared_sql('bench_case', params.close_settings)}
UNION ALL
{covisits_sql('bench_case', params.min_overlap)}""")
    conn.exec_driver_sql("ANALYZE bench_direct")
    conn.exec_driver_sql(f"""
CREATE TEMP TABLE bench_result ON COMMIT DROP AS
SELECT other AS contact, cid AS case_id, {graph_engine.CLOSE} AS tier, setting,
       place::bigint, -1::bigint AS via, s, e FROM bench_direct""")
    sub = params.sub_close_settings
    if sub is not None:
        conn.exec_driver_sql(f"""
CREATE TEMP TABLE bench_pair ON COMMIT DROP AS
SELECT row_number() OVER () AS cid, d.cid AS case_id, d.other AS resident_id, d.f AS ws,
       coalesce(i.t, {now}) AS we
FROM (SELECT cid, other, min(s) AS f FROM bench_direct GROUP BY cid, other) d
LEFT JOIN bench_iso i ON i.resident_id = d.other
WHERE d.f < coalesce(i.t, {now})""")
        conn.exec_driver_sql("ANALYZE bench_pair")
        conn.exec_driver_sql(f"""
INSERT INTO bench_result
SELECT x.other, p.case_id, {graph_engine.SUB_CLOSE}, x.setting, x.place, p.resident_id,
       x.s, x.e
FROM ({shared_sql('bench_pair', sub)}) x (cid, other, setting, place, s, e)
JOIN bench_pair p ON p.cid = x.cid
JOIN bench_case k ON k.cid = p.case_id
WHERE x.other <> k.resident_id""")
        if params.promote:
            conn.exec_driver_sql(f"""
CREATE TEMP TABLE bench_promote ON COMMIT DROP AS
SELECT c.cid, c.resident_id, f.f AS ws, coalesce(i.t, {now}) AS we
FROM bench_case c
JOIN (SELECT other, min(s) AS f FROM bench_direct GROUP BY other) f ON f.other = c.resident_id
LEFT JOIN bench_iso i ON i.resident_id = c.resident_id
WHERE f.f < coalesce(i.t, {now})""")
            conn.exec_driver_sql(f"""
INSERT INTO bench_result
SELECT x.other, x.cid, {graph_engine.CLOSE}, x.setting, x.place, p.resident_id, x.s, x.e
FROM ({shared_sql('bench_promote', sub)}) x (cid, other, setting, place, s, e)
JOIN bench_promote p ON p.cid = x.cid""")
    driver = conn.connection.driver_connection
    assert driver is not None
    columns = ("contact", "case_id", "tier", "setting", "place", "via", "s", "e")
    with driver.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(columns)} FROM bench_result")
        rows = cursor.fetchall()
    seconds = time.perf_counter() - started
    data = np.asarray(rows, dtype=np.int64).reshape(-1, len(columns))
    evidence = runs_engine.Evidence.canonical(
        dict(zip(runs_engine.EVIDENCE_COLUMNS, data.T, strict=True)))
    session.rollback()
    return evidence, seconds


def same(a: runs_engine.Evidence, b: runs_engine.Evidence) -> bool:
    """Whether two canonical evidence sets hold the same rows."""
    return len(a) == len(b) and all(
        np.array_equal(getattr(a, c), getattr(b, c)) for c in runs_engine.EVIDENCE_COLUMNS)


# ------------------------------------------------------------------ measurements


def timed_classify(graph: graph_engine.ContactGraph, cases: runs_engine.CaseBatch,
                   params: runs_engine.Parameters, runs: int = 3
                   ) -> tuple[runs_engine.Evidence, float, float]:
    """The evidence, the first and the best of `runs` classification times."""
    times = []
    evidence = runs_engine.Evidence.empty()
    for _ in range(runs):
        started = time.perf_counter()
        evidence = runs_engine.classify(graph, cases, params, isolation=isolation_of(cases))
        times.append(time.perf_counter() - started)
    return evidence, times[0], min(times)


def service_run(engine: Engine, made: NewCases, graph: graph_engine.ContactGraph
                ) -> dict[str, Any]:
    """The cases registered, then `run_tracing` on the graph in memory, rolled back."""
    moment = rules.moment_of(made.now)
    with Session(engine) as session:
        session.execute(text("""
INSERT INTO case_episode (resident_id, classification, status, sampling_date, onset_date,
    isolation_date, reported_on, diagnosed_at, recorded_at, asymptomatic_on, confirmed_on,
    district_id, community_id, imported)
SELECT r.id, CASE WHEN c.onset IS NULL THEN 'asymptomatic' ELSE 'confirmed' END, 'active',
       c.sampled, c.onset, c.sampled + 1, c.sampled + 1, :now, :now,
       CASE WHEN c.onset IS NULL THEN c.sampled + 1 END,
       CASE WHEN c.onset IS NOT NULL THEN c.sampled + 1 END,
       s.district_id, r.community_id, false
FROM unnest(CAST(:ids AS int[]), CAST(:sampled AS date[]), CAST(:onset AS date[]))
     AS c(id, sampled, onset)
JOIN resident r ON r.id = c.id
JOIN community m ON m.id = r.community_id
JOIN subdistrict s ON s.id = m.subdistrict_id"""),
            {"ids": made.resident.tolist(), "sampled": made.sampling, "onset": made.onset,
             "now": moment})
        started = time.perf_counter()
        run = runs_service.run_tracing(session, actor="benchmark", preset=load_preset(PRESET),
                                  now=moment, graph=graph)
        seconds = time.perf_counter() - started
        figures = {"service_run_s": round(seconds, 2),
                   "service_evidence_written": run.evidence_added,
                   "service_contacts": run.contacts_identified}
        session.rollback()
    return figures


def add_visits(engine: Engine, now: int) -> tuple[int, int]:
    """One more day of visits for 10 % of residents, committed; returns (count, watermark)."""
    with Session(engine) as session:
        watermark = graph_repository.max_visit_id(session)
        ids, communities = people_columns.residents_with_community(session)
        rng = np.random.default_rng(SEED + 2)
        some = np.sort(rng.choice(len(ids), size=max(1, len(ids) // 10), replace=False))
        venue_id, venue_community, kinds = people_columns.venues_with_kind(session)
        written = 0
        for resident, venue, start, end in visits_engine.synthetic_visits(
                ids[some], communities[some],
                visits_engine.VenueTable(venue_id, venue_community, kinds),
                first_day=now - 86_400, days=1, seed=SEED + 3):
            # Days already in the table would collide; these start in the last day only.
            written += bulk.copy_rows(session, load_models().tables["venue_visit"], {
                "resident_id": resident, "venue_id": venue,
                "started_at": (start + 1).astype("datetime64[s]"),
                "ended_at": (end + 1).astype("datetime64[s]")})
        session.commit()
    return written, watermark


def remove_visits(engine: Engine, watermark: int) -> None:
    """Delete the visits added by add_visits."""
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM venue_visit WHERE id > :w"), {"w": watermark})
    analyze(engine, "venue_visit")


def peak_rss_gib() -> float:
    """The process's peak resident memory."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)


def run(scale: str, pg_url: str) -> dict[str, Any]:
    """Build or reuse a city with visits; time loading, classifying, SQL, refreshing."""
    people = PEOPLE[scale]
    url, _ = city_database(pg_url, people, seed=SEED, log=log)
    engine = make_engine(url)
    assert is_postgres(engine), "the tracing benchmark runs on PostgreSQL"
    try:
        figures: dict[str, Any] = ensure_visits(engine, people)
        log("loading the graph")
        with Session(engine) as session:
            started = time.perf_counter()
            arrays = graph_repository.graph_arrays(session)
            read = time.perf_counter() - started
            graph = graph_engine.build_graph(arrays)
            load = time.perf_counter() - started
            visits = graph.visit_count
            del arrays
            ids = people_columns.resident_ids(session)
        made = new_cases(ids)
        cases, now = made.batch, made.now
        log(f"loaded in {load:.1f} s ({read:.1f} s reading); counting opportunities")
        opportunities = graph.opportunities()
        params = parameters(now)
        log("classifying")
        evidence, first, best = timed_classify(graph, cases, params)
        tiers = evidence.tier
        log(f"classified in {best:.3f} s: {len(evidence):,} evidence rows; SQL next")
        with Session(engine) as session:
            sql_evidence, sql_seconds = classify_sql(session, cases, params)
        identical = same(evidence.sorted(), sql_evidence)
        log("running the service end to end (written, then rolled back)")
        service_figures = service_run(engine, made, graph)
        log(f"SQL: {sql_seconds:.1f} s, identical: {identical}; adding visits")
        added, watermark = add_visits(engine, now)
        try:
            with Session(engine) as session:
                started = time.perf_counter()
                refreshed = graph_service.refresh_graph(session, graph)
                refresh = time.perf_counter() - started
            after, _first_after, after_best = timed_classify(graph, cases, params)
            log(f"refreshed {refreshed:,} visits in {refresh:.2f} s; loading afresh to compare")
            del graph
            with Session(engine) as session:
                fresh = graph_service.load_graph(session)
            fresh_evidence = runs_engine.classify(fresh, cases, params,
                                                     isolation=isolation_of(cases))
            identical_after = same(after.sorted(), fresh_evidence.sorted())
            del fresh
        finally:
            remove_visits(engine, watermark)
        close = np.unique(evidence.contact[tiers == graph_engine.CLOSE])
        sub_close = np.setdiff1d(np.unique(evidence.contact[tiers == graph_engine.SUB_CLOSE]),
                                 close)
        return {
            "people": len(ids),
            "cases": len(cases),
            "backend": "postgresql",
            "preset": PRESET,
            "visits": visits,
            "opportunities": opportunities,
            **figures,
            "load_s": round(load, 2),
            "load_read_s": round(read, 2),
            "load_index_s": round(load - read, 2),
            "classify_s": round(best, 3),
            "classify_first_s": round(first, 3),
            "evidence_rows": len(evidence),
            "close_contacts": len(close),
            "sub_close_contacts": len(sub_close),
            "sql_classify_s": round(sql_seconds, 2),
            **service_figures,
            "speedup_vs_sql": round(sql_seconds / best, 1),
            "identical": identical,
            "refresh_visits": refreshed,
            "refresh_s": round(refresh, 3),
            "classify_after_refresh_s": round(after_best, 3),
            "identical_after_refresh": identical_after,
            "added_visits": added,
            "peak_rss_gib": peak_rss_gib(),
        }
    finally:
        engine.dispose()

