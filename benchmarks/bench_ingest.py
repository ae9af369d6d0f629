"""Ingest benchmark: a whole testing round from a lab file, against a raw binary COPY.

    python benchmarks/run.py ingest --scale small|full --json

Builds a synthetic city in PostgreSQL (small: 100,000 residents, full: 10,000,000)
unless the database at pg_url already holds one (a city built by the browse benchmark
is reused), and writes a lab batch CSV for one full testing round of that city: every
resident swabbed once, 95 % in 10-in-1 pools (a few pools of 5 and 20), 5 % in single
tubes, with about one resident in 10,000 infected (their pools and single tubes
positive). Then, in the same run:

- baseline: the round's sample rows, already encoded as a PGCOPY binary stream in
  memory (encoding untimed), are copied into the `sample` table itself (same columns,
  primary key, unique index on the sample id and indexes on tube and resident) in a
  transaction that is rolled back. `copy_rows_per_s` is sample rows over its seconds.
  In the same transaction, after it and timed apart, the round's tube rows are copied
  into `tube` the same way (`tubes_copy_seconds_each`): on one connection, in one
  transaction, the ingest writes both, so the turn's COPY seconds over the two COPYs'
  seconds (`ratio_bound_each`, median `ratio_bound_one_connection`) is the most it can
  reach there. Where the server allows prepared transactions (the benchmark's own
  cluster does; `halves` says whether this one does), the ingest copies a large batch's
  second half of sample rows on a second connection, in a prepared transaction settled
  with its own (`epidesk.testing.ingest.halves`), and may pass that bound.
  Then, from the same starting point, the sample rows are copied once more with their
  ids given (`copy_given_ids_seconds_each`): the ingest reserves its rows' ids from the
  sequence at once, so that its COPY evaluates no default per row, as that one does
  not; the ingest over it is `ratio_to_copy_given_ids`.
- ingest: `epidesk.cases.service.ingest_results_file` end to end from the CSV on disk:
  read and hash the file, parse, validate, write the batch, tubes, samples, retest
  orders, resolutions and cases, and commit. `rows_per_s` is sample rows over that.
  As in the command line and the API, zoning's tallies and zones follow testing once
  that commit is done, in a transaction of their own (kit.events): their seconds are
  given apart (`followed_seconds`, `followed_seconds_each`).

The same round is also ingested from a Parquet file (`parquet_*` figures). The three
are measured in turns, alternately (COPY, CSV ingest, Parquet ingest, then again): five
turns at the full scale, eleven at the small one, where a turn lasts under two seconds
and a moment's load on a shared machine weighs on one of its 0.4 s measurements far
more than on a minute's. `ratio_to_copy` is the median over the turns of the turn's
COPY seconds over its ingest seconds (`ratio_each`), and the seconds given are the
medians; every time is reported. At the small scale one turn is run first and not
counted (`warmup_seconds`): the process's first ingest pays once for what every later
one finds ready (imports, compiled statements, the database connections' caches), about
a fifth of a turn at 100,000 samples and nothing that shows at 10,000,000.

Before each measurement the testing and cases tables are emptied (when they were
empty before the run) or vacuumed, and a CHECKPOINT is taken, so that every
measurement starts from the same state (the zones' tallies of sampled residents are put
back as they were before the first turn, so that every turn tallies the same residents
anew). The same generator then writes a round for a SQLite city (small: the
same 100,000 residents; full: 1,000,000) and ingests it end to end;
`sqlite_rows_per_s` is its rate. The rows ingested are removed afterwards
(the testing and cases tables are truncated when they were empty before the run).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from cities import build_city, city_database
from epidesk.db import is_postgres, make_engine
from epidesk.kit import bulk, events
from epidesk.kit.domains import load_models
from epidesk.migrate import upgrade

PEOPLE = {"small": 100_000, "full": 10_000_000}
SQLITE_PEOPLE = {"small": 100_000, "full": 1_000_000}
SEED = 20221
POOL_SHARE = 0.95
INFECTED_PER_10K = 1.0
# The COPY and the two ingests are measured this many times, alternately (COPY, CSV,
# Parquet, COPY, ...); each ingest is compared with the COPY of its own turn and the
# ratio given is the median of the turns', as the machine may be busy at any moment.
REPEATS = {"small": 11, "full": 5}
WARMUP = {"small": 1, "full": 0}  # turns run first and not counted
TESTING_TABLES = ("case_event", "case_episode", "positive_result", "retest_order", "sample",
                  "tube", "lab_batch")


def log(message: str) -> None:
    """Progress to stderr, so stdout holds only the figures."""
    print(f"[ingest] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ the city database


# ------------------------------------------------------------------ the round


def resident_ids(engine: Engine) -> np.ndarray:
    """Every resident id of the city."""
    from epidesk.people.columns import repository as people_columns

    with Session(engine) as session:
        return people_columns.resident_ids(session)


def round_table(ids: np.ndarray, seed: int, now: datetime) -> pa.Table:
    """A lab batch holding one testing round of the given residents."""
    rng = np.random.default_rng(seed)
    people = rng.permutation(ids)
    n = len(people)
    pooled = int(n * POOL_SHARE)
    # Pool sizes: mostly 10, some 20 and 5, all validated sizes; the rest in single tubes.
    draws = rng.choice([10, 20, 5], size=pooled // 5 + 1, p=[0.9, 0.05, 0.05])
    stop = int(np.searchsorted(np.cumsum(draws), pooled, side="right"))
    pool_sizes = draws[:stop]
    singles = n - int(pool_sizes.sum())
    tube_size = np.concatenate([pool_sizes, np.ones(singles, dtype=np.int64)])
    tubes = len(tube_size)
    tube_of_row = np.repeat(np.arange(tubes), tube_size)
    is_pooled_tube = np.arange(tubes) < len(pool_sizes)

    infected = rng.random(n) < INFECTED_PER_10K / 10_000
    positive_tube = np.zeros(tubes, dtype=bool)
    positive_tube[tube_of_row[infected]] = True

    # The day before yesterday (UTC), so that every result (at most 22 hours after its
    # day began) lies in the past whenever the benchmark runs.
    day = (now - timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    start = np.datetime64(day.replace(tzinfo=None), "s") + np.timedelta64(6 * 3600, "s")
    tube_collected = start + rng.integers(0, 12 * 3600, tubes).astype("timedelta64[s]")
    collected = (tube_collected[tube_of_row]
                 + rng.integers(0, 300, n).astype("timedelta64[s]"))
    result = tube_collected + (6 * 3600 + rng.integers(0, 4 * 3600, tubes)).astype(
        "timedelta64[s]")
    ct1 = np.where(positive_tube, np.round(rng.uniform(18, 32, tubes), 1), np.nan)
    ct2 = np.where(positive_tube, np.round(rng.uniform(18, 32, tubes), 1), np.nan)
    sites = np.array([f"Site {i:03d}" for i in range(200)], dtype=object)
    site_of_tube = rng.integers(0, len(sites), tubes)
    lab_of_tube = rng.integers(0, 4, tubes)

    def codes(prefix: str, count: int) -> pa.Array:
        numbers = pa.array(np.arange(1, count + 1, dtype=np.int64)).cast(pa.string())
        return pc.binary_join_element_wise(prefix, pc.utf8_lpad(numbers, 9, "0"), "")

    tube_codes = pc.if_else(pa.array(is_pooled_tube), codes("P", tubes), codes("T", tubes))
    utc = pa.timestamp("s", tz="UTC")
    return pa.table({
        "sample_id": codes("S", n),
        "tube_id": tube_codes.take(pa.array(tube_of_row)),
        "tube_type": pa.array(np.where(is_pooled_tube, "pooled", "single")[tube_of_row]),
        "pool_size": pa.array(tube_size[tube_of_row]),
        "resident_id": pa.array(people),
        "collected_at": pa.array(collected).cast(utc),
        "collection_site": pa.array(sites[site_of_tube][tube_of_row]),
        "lab": pa.array(np.array(["Lab A", "Lab B", "Lab C", "Lab D"],
                                 dtype=object)[lab_of_tube][tube_of_row]),
        "result_at": pa.array(result[tube_of_row]).cast(utc),
        "outcome": pa.array(np.where(positive_tube, "positive", "negative")[tube_of_row]),
        "ct_orf1ab": pa.array(ct1[tube_of_row], from_pandas=True),
        "ct_n": pa.array(ct2[tube_of_row], from_pandas=True),
    })


def write_round(table: pa.Table, folder: Path, name: str) -> Path:
    """The round as a CSV file (Parquet when the name ends in .parquet)."""
    path = folder / name
    if path.suffix == ".parquet":
        pq.write_table(table, path)
        return path
    with pa.OSFile(str(path), "wb") as sink:
        pacsv.write_csv(table, sink, write_options=pacsv.WriteOptions(
            include_header=True, quoting_style="none", batch_size=1_000_000))
    return path


# ------------------------------------------------------------------ measurements


def copy_baseline(engine: Engine, path: Path, empty_before: bool) -> dict[str, float]:
    """Seconds of a raw binary COPY of the round's sample rows into `sample`, then of its
    tube rows into `tube` on the same connection (both rolled back); then, from the same
    starting point, of the sample rows given their ids (rolled back too)."""
    from epidesk.policy.service import load_preset
    from epidesk.testing import engine as ingest_engine
    from epidesk.testing.ingest import engine as reading
    from epidesk.testing.tubes import engine as tubes

    tables = load_models().tables
    parsed = ingest_engine.parse(reading.read_table(path.read_bytes(), "csv"), "csv")
    names = ["code", "tube_id", "resident_id", "collected_at"]
    columns: list[bulk.Column] = [
        tubes.char_matrix(parsed.sample_code),
        np.arange(1, parsed.tubes + 1)[parsed.tube_of_row], parsed.resident_id,
        parsed.collected_at]
    kinds = [bulk.column_kind(tables["sample"].columns[c].type) for c in names]
    encode_started = time.perf_counter()
    stream = [bytes(chunk) for chunk in bulk.encode_copy_binary(columns, kinds)]
    encode_seconds = time.perf_counter() - encode_started
    with engine.connect() as conn:
        top = conn.execute(text("SELECT coalesce(max(id), 0) FROM tube")).scalar_one()
        top_sample = conn.execute(text("SELECT coalesce(max(id), 0) FROM sample")).scalar_one()
    with_ids = [bytes(chunk) for chunk in bulk.encode_copy_binary(
        [np.arange(top_sample + 1, top_sample + 1 + parsed.rows, dtype=np.int64), *columns],
        [bulk.column_kind(tables["sample"].columns["id"].type), *kinds])]
    outcome = tubes.read_outcomes(parsed, load_preset("cn-9th-2022").cases.positivity)
    tube_columns = tubes.tube_columns(
        parsed, np.arange(top + 1, top + 1 + parsed.tubes, dtype=np.int64), 0, outcome)
    tube_kinds = [bulk.column_kind(tables["tube"].columns[c].type) for c in tube_columns]
    tube_stream = [bytes(chunk) for chunk in
                   bulk.encode_copy_binary(list(tube_columns.values()), tube_kinds)]
    tube_names = ", ".join(tube_columns)
    del columns, parsed, tube_columns
    with Session(engine) as session:
        seconds = _copied(session, f"sample ({', '.join(names)})", stream)
        tube_seconds = _copied(session, f"tube ({tube_names})", tube_stream)
        session.rollback()
    settle(engine, empty_before)
    with Session(engine) as session:
        given_seconds = _copied(session, f"sample (id, {', '.join(names)})", with_ids)
        session.rollback()
    return {"copy_seconds": seconds, "encode_seconds": encode_seconds,
            "tubes_copy_seconds": tube_seconds, "copy_given_ids_seconds": given_seconds}


def _copied(session: Session, target: str, chunks: list[bytes]) -> float:
    """Seconds of one binary COPY of the chunks into target (a table and its columns)."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor:
        started = time.perf_counter()
        with cursor.copy(f"COPY {target} FROM STDIN (FORMAT BINARY)") as copy:
            for chunk in chunks:
                copy.write(chunk)
        return time.perf_counter() - started


def settle(engine: Engine, empty_before: bool) -> None:
    """The same starting point for every measurement: empty (or vacuumed) tables, checkpoint."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if empty_before:
            conn.execute(text(f"TRUNCATE {', '.join(TESTING_TABLES)} CASCADE"))
        conn.execute(text(f"VACUUM ANALYZE {', '.join(TESTING_TABLES)}"))
        try:
            conn.execute(text("CHECKPOINT"))
        except Exception:  # not allowed for this role: measure without it
            log("CHECKPOINT refused; measuring without it")


def ingest(engine: Engine, path: Path) -> dict[str, Any]:
    """Seconds of the full ingest, end to end from the file, committed."""
    from epidesk.cases import service as cases
    from epidesk.policy.service import load_preset

    preset = load_preset("cn-9th-2022")
    phases: dict[str, float] = {}
    started = time.perf_counter()
    last = [started]

    def progress(label: str, done: int, total: int) -> None:
        if done >= total:
            moment = time.perf_counter()
            phases[label] = round(phases.get(label, 0.0) + moment - last[0], 3)
            last[0] = moment

    committed: list[float] = []

    with Session(engine) as session:
        result = cases.ingest_results_file(session, path=path, received_by="benchmark",
                                           preset=preset, progress=progress, deferred=True)
        # Once the transaction is committed with what stands or falls with it (a second
        # half of the samples), before zoning's deferred follow (kit.events).
        events.commit_with(session, lambda: committed.append(time.perf_counter()))
        session.commit()
        batch = result.batch
        figures = {"status": batch.status, "tubes": batch.tubes,
                   "positive_tubes": batch.positive_tubes,
                   "retests_ordered": batch.retests_ordered,
                   "cases_created": batch.cases_created,
                   "problems": result.report.summary() if not result.accepted else ""}
    ended = time.perf_counter()
    return {"seconds": committed[0] - started, "followed_seconds": ended - committed[0],
            "phases": phases, **figures}


def _median_by(measured: list[dict[str, Any]], key: str) -> dict[str, Any]:
    """The measurement whose `key` is the median (the lower middle one for an even count)."""
    return sorted(measured, key=lambda m: m[key])[(len(measured) - 1) // 2]


def was_empty(engine: Engine) -> bool:
    """True when the testing and cases tables hold no row."""
    with engine.connect() as conn:
        return all(conn.execute(text(f"SELECT NOT EXISTS (SELECT 1 FROM {t})")).scalar()
                   in (True, 1) for t in TESTING_TABLES)


ZONE_TABLES = ("zone_sample", "zone_tally")


def keep_zone_tallies(engine: Engine, keep: bool) -> None:
    """Copy the zones' tallies aside before the first turn (keep) or drop the copies."""
    with engine.begin() as conn:
        for table in ZONE_TABLES:
            conn.execute(text(f"DROP TABLE IF EXISTS bench_kept_{table}"))
            if keep:
                conn.execute(text(f"CREATE UNLOGGED TABLE bench_kept_{table} AS TABLE {table}"))


def clean(engine: Engine, empty_before: bool) -> None:
    """Remove what the benchmark ingested, and put the zones' tallies back."""
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {', '.join(ZONE_TABLES)}"))
        for table in ZONE_TABLES:
            conn.execute(text(f"INSERT INTO {table} SELECT * FROM bench_kept_{table}"))
        if empty_before and is_postgres(engine):
            conn.execute(text(f"TRUNCATE {', '.join(TESTING_TABLES)} CASCADE"))
        elif empty_before:
            for table in TESTING_TABLES:
                conn.execute(text(f"DELETE FROM {table}"))
        else:
            batch = "(SELECT id FROM lab_batch WHERE received_by = 'benchmark')"
            tubes = f"(SELECT id FROM tube WHERE batch_id IN {batch})"
            conn.execute(text(f"DELETE FROM case_event WHERE episode_id IN (SELECT id FROM "
                              f"case_episode WHERE batch_id IN {batch})"))
            conn.execute(text(f"DELETE FROM case_episode WHERE batch_id IN {batch}"))
            conn.execute(text(f"DELETE FROM retest_order WHERE tube_id IN {tubes}"))
            conn.execute(text(f"DELETE FROM sample WHERE tube_id IN {tubes}"))
            conn.execute(text(f"DELETE FROM tube WHERE batch_id IN {batch}"))
            conn.execute(text("DELETE FROM lab_batch WHERE received_by = 'benchmark'"))


def sqlite_rate(people: int, folder: Path, now: datetime) -> dict[str, Any]:
    """Rows per second of the same ingest on a SQLite city of `people` residents."""
    url = f"sqlite:///{folder}/city.db"
    engine = make_engine(url)
    try:
        upgrade(engine)
        build_city(engine, people, seed=SEED, log=log)
        path = write_round(round_table(resident_ids(engine), SEED + 1, now), folder,
                           "round-sqlite.csv")
        figures = ingest(engine, path)
        return {"rows": people, **figures}
    finally:
        engine.dispose()


def run(scale: str, pg_url: str) -> dict[str, Any]:
    """Build or reuse a city, write a round, time a raw COPY and the full ingest."""
    people = PEOPLE[scale]
    url, _ = city_database(pg_url, people, seed=SEED, log=log)
    now = datetime.now(UTC)
    engine = make_engine(url)
    folder = Path(tempfile.mkdtemp(prefix="epidesk-ingest-"))
    try:
        empty_before = was_empty(engine)
        with engine.connect() as conn:
            halves = bool(conn.scalar(text(
                "SELECT current_setting('max_prepared_transactions')::int > 0")))
        ids = resident_ids(engine)
        log(f"writing a round of {len(ids):,} samples")
        table = round_table(ids, SEED, now)
        path = write_round(table, folder, "round.csv")
        parquet = write_round(table, folder, "round.parquet")
        del table
        size = path.stat().st_size
        log(f"round.csv: {size / 2**20:,.0f} MiB, round.parquet: "
            f"{parquet.stat().st_size / 2**20:,.0f} MiB; measuring the raw COPY")
        keep_zone_tallies(engine, True)
        warmup: dict[str, float] = {}
        for _ in range(WARMUP[scale]):
            settle(engine, empty_before)
            warmup["copy"] = round(copy_baseline(engine, path, empty_before)["copy_seconds"],
                                   3)
            for source in (path, parquet):
                settle(engine, empty_before)
                try:
                    warmup[source.suffix[1:]] = round(ingest(engine, source)["seconds"], 3)
                finally:
                    clean(engine, empty_before)
            log(f"warm-up turn, not counted: {warmup}")
        copies: list[dict[str, float]] = []
        ingests: list[dict[str, Any]] = []
        parquets: list[dict[str, Any]] = []
        for attempt in range(1, REPEATS[scale] + 1):
            settle(engine, empty_before)
            copies.append(copy_baseline(engine, path, empty_before))
            log(f"COPY {attempt}: {copies[-1]['copy_seconds']:.1f} s; ingesting the CSV")
            for source, kept in ((path, ingests), (parquet, parquets)):
                settle(engine, empty_before)
                try:
                    kept.append(ingest(engine, source))
                finally:
                    clean(engine, empty_before)
                log(f"ingest {attempt} of {source.name}: {kept[-1]['seconds']:.1f} s "
                    f"({kept[-1]['status']})")
        settle(engine, empty_before)
        keep_zone_tallies(engine, False)
        ratios = [c["copy_seconds"] / m["seconds"] for c, m in zip(copies, ingests, strict=True)]
        # What one connection can reach at most: the samples' and the tubes' COPY one
        # after the other, with nothing else.
        bounds = [c["copy_seconds"] / (c["copy_seconds"] + c["tubes_copy_seconds"])
                  for c in copies]
        # The ingest's early rows bring their ids: against a COPY given its ids too.
        given_ratios = [c["copy_given_ids_seconds"] / m["seconds"]
                        for c, m in zip(copies, ingests, strict=True)]
        parquet_ratios = [c["copy_seconds"] / m["seconds"]
                          for c, m in zip(copies, parquets, strict=True)]
        baseline = _median_by(copies, "copy_seconds")
        measured = _median_by(ingests, "seconds")
        best_parquet = _median_by(parquets, "seconds")
        path.unlink()
        parquet.unlink()
        lite = sqlite_rate(SQLITE_PEOPLE[scale], folder, now)
        rows = len(ids)
        rate = rows / measured["seconds"]
        copy_rate = rows / baseline["copy_seconds"]
        return {
            "rows": rows,
            "backend": "postgresql",
            "halves": halves,
            "file_format": "csv",
            "file_mib": round(size / 2**20, 1),
            "status": measured["status"],
            "tubes": measured["tubes"],
            "positive_tubes": measured["positive_tubes"],
            "retests_ordered": measured["retests_ordered"],
            "cases_created": measured["cases_created"],
            "seconds": round(measured["seconds"], 2),
            "rows_per_s": round(rate),
            "copy_seconds": round(baseline["copy_seconds"], 2),
            "copy_seconds_each": [round(c["copy_seconds"], 2) for c in copies],
            "ingest_seconds_each": [round(m["seconds"], 2) for m in ingests],
            "followed_seconds": round(statistics.median(m["followed_seconds"] for m in ingests),
                                      2),
            "followed_seconds_each": [round(m["followed_seconds"], 2) for m in ingests],
            "copy_rows_per_s": round(copy_rate),
            "copy_encode_seconds": round(baseline["encode_seconds"], 2),
            "ratio_to_copy": round(statistics.median(ratios), 3),
            "ratio_each": [round(r, 3) for r in ratios],
            "warmup_seconds": warmup,
            "tubes_copy_seconds_each": [round(c["tubes_copy_seconds"], 3) for c in copies],
            "ratio_bound_one_connection": round(statistics.median(bounds), 3),
            "ratio_bound_each": [round(b, 3) for b in bounds],
            "copy_given_ids_seconds_each": [round(c["copy_given_ids_seconds"], 3)
                                            for c in copies],
            "ratio_to_copy_given_ids": round(statistics.median(given_ratios), 3),
            "ratio_to_copy_given_ids_each": [round(r, 3) for r in given_ratios],
            "parquet_seconds": round(best_parquet["seconds"], 2),
            "parquet_seconds_each": [round(m["seconds"], 2) for m in parquets],
            "parquet_rows_per_s": round(rows / best_parquet["seconds"]),
            "parquet_ratio_to_copy": round(statistics.median(parquet_ratios), 3),
            "parquet_ratio_each": [round(r, 3) for r in parquet_ratios],
            "parquet_phases_seconds": best_parquet["phases"],
            "phases_seconds": measured["phases"],
            "sqlite_rows": lite["rows"],
            "sqlite_seconds": round(lite["seconds"], 2),
            "sqlite_rows_per_s": round(lite["rows"] / lite["seconds"]),
            "sqlite_status": lite["status"],
        }
    finally:
        engine.dispose()
        for leftover in folder.glob("*"):
            leftover.unlink()
        os.rmdir(folder)

