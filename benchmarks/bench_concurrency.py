"""Concurrency benchmark: many staff at once, on the embedded database and on PostgreSQL.

    python benchmarks/run.py concurrency --scale small|full --json

For each backend (SQLite file, PostgreSQL) a city is built (small: 20,000 residents,
full: 100,000), the real application is served by uvicorn in a child process, and 1 then
16 client threads send a fixed-seed mix of staff requests for a bounded time: resident
searches, resident, household and testing-history reads (each appends an audit entry),
the resident page, recorded exposures and new API tokens (writes). Reports per backend
and client count: clients, requests, errors, rps, p50_ms, p95_ms, and the ratio of the
throughput at 16 clients to that at 1 client.
"""

from __future__ import annotations

import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

from bench_browse import bearer_token, percentile, serve
from cities import city_database
from epidesk.db import make_engine, session_scope, sessionmaker
from epidesk.migrate import upgrade

PEOPLE = {"small": 20_000, "full": 100_000}
SECONDS = {"small": 8.0, "full": 30.0}
CLIENTS = (1, 16)
SEED = 5
SAMPLE = 2000

Request = Callable[[httpx.Client, random.Random], httpx.Response]


def log(message: str) -> None:
    """Progress to stderr, so stdout holds only the figures."""
    print(f"[concurrency] {message}", file=sys.stderr, flush=True)


def sqlite_city(folder: Path, people: int) -> str:
    """A SQLite file holding a city of that size."""
    from epidesk.synth.city.service import build_city

    url = f"sqlite:///{folder}/city.db"
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(sessionmaker(bind=engine)) as session:
        build_city(session, people=people, seed=SEED)
    engine.dispose()
    return url


def sample(url: str) -> dict[str, Any]:
    """Residents and surnames to ask for."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT id, household_id, name_search FROM resident ORDER BY id")).all()
    finally:
        engine.dispose()
    rng = random.Random(SEED)
    chosen = rng.sample(rows, min(SAMPLE, len(rows)))
    return {"residents": chosen,
            "surnames": sorted({r.name_search.split(" ")[0] for r in chosen})[:50]}


def request_mix(city: dict[str, Any]) -> list[tuple[str, int, Request]]:
    """(kind, weight, request) of the staff mix: mostly audited reads, some writes."""
    residents = city["residents"]
    moment = datetime(2022, 9, 5, 10, tzinfo=UTC)

    def exposure(c: httpx.Client, rng: random.Random) -> httpx.Response:
        a, b = rng.sample(residents, 2)
        at = moment - timedelta(minutes=rng.randrange(60 * 24 * 5))
        return c.post("/api/tracing/exposures", json={
            "resident_a_id": a.id, "resident_b_id": b.id, "at": at.isoformat(),
            "setting": "investigator_judgement", "place": "benchmark"})

    return [
        ("search", 25, lambda c, rng: c.get("/api/people", params={
            "q": rng.choice(city["surnames"]), "limit": 25})),
        ("resident", 20, lambda c, rng: c.get(f"/api/people/{rng.choice(residents).id}")),
        ("household", 10, lambda c, rng: c.get(
            f"/api/households/{rng.choice(residents).household_id}")),
        ("testing_history", 10, lambda c, rng: c.get(
            f"/api/testing/residents/{rng.choice(residents).id}")),
        ("resident_page", 15, lambda c, rng: c.get(f"/people/{rng.choice(residents).id}",
                                                   headers={"Accept": "text/html"})),
        ("exposure", 15, exposure),
        ("token", 5, lambda c, rng: c.post("/api/auth/tokens", json={"name": "bench", "days": 1})),
    ]


def drive(base: str, token: str, city: dict[str, Any], clients: int, seconds: float
          ) -> dict[str, Any]:
    """Run `clients` threads for `seconds`; latencies of good answers, errors counted."""
    mix = request_mix(city)
    kinds = [m[0] for m in mix]
    weights = [m[1] for m in mix]
    by_kind = {m[0]: m[2] for m in mix}
    latencies: list[float] = []
    errors: list[str] = []
    guard = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at: list[float] = [0.0]

    def client(n: int) -> None:
        rng = random.Random(SEED * 100 + n)
        mine: list[float] = []
        failed: list[str] = []
        with httpx.Client(base_url=base, timeout=60,
                          headers={"Authorization": f"Bearer {token}"}) as c:
            start.wait()
            while time.perf_counter() < stop_at[0]:
                kind = rng.choices(kinds, weights=weights)[0]
                began = time.perf_counter()
                try:
                    response = by_kind[kind](c, rng)
                    ok = response.status_code in (200, 201)
                    detail = f"{kind} {response.status_code} {response.text[:120]}"
                except httpx.HTTPError as exc:
                    ok, detail = False, f"{kind} {type(exc).__name__}"
                if ok:
                    mine.append((time.perf_counter() - began) * 1000)
                else:
                    failed.append(detail)
        with guard:
            latencies.extend(mine)
            errors.extend(failed)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds
    start.wait()
    for t in threads:
        t.join()
    wall = time.perf_counter() - began
    if errors:
        log(f"{len(errors)} errors at {clients} clients, e.g. {errors[:3]}")
    return {"clients": clients, "requests": len(latencies) + len(errors),
            "errors": len(errors), "rps": round(len(latencies) / wall, 1),
            "p50_ms": round(percentile(latencies, 50), 1),
            "p95_ms": round(percentile(latencies, 95), 1)}


def measure_backend(url: str, seconds: float) -> dict[str, Any]:
    """Serve the city at url and drive it with each client count."""
    city = sample(url)
    token = bearer_token(url)
    runs = []
    with serve(url) as base:
        drive(base, token, city, 2, 2.0)  # warm-up: caches, connections
        for clients in CLIENTS:
            log(f"{make_engine_name(url)}: {clients} clients for {seconds:g} s")
            runs.append(drive(base, token, city, clients, seconds))
    one, many = runs[0]["rps"], runs[-1]["rps"]
    return {"runs": runs, "throughput_ratio_16_to_1": round(many / one, 3) if one else None,
            "errors": sum(r["errors"] for r in runs)}


def make_engine_name(url: str) -> str:
    """The backend's name, for progress lines."""
    return "sqlite" if url.startswith("sqlite") else "postgresql"


def run(scale: str, pg_url: str) -> dict[str, Any]:
    """Both backends, 1 and 16 clients each."""
    people = PEOPLE[scale]
    with tempfile.TemporaryDirectory() as folder:
        log(f"building a {people:,}-resident city in SQLite")
        sqlite_url = sqlite_city(Path(folder), people)
        sqlite = measure_backend(sqlite_url, SECONDS[scale])
    postgres_url, _ = city_database(pg_url, people, seed=SEED, log=log)
    postgres = measure_backend(postgres_url, SECONDS[scale])
    return {"people": people, "seconds_per_run": SECONDS[scale],
            "sqlite": sqlite, "postgresql": postgres,
            "errors": sqlite["errors"] + postgres["errors"]}
