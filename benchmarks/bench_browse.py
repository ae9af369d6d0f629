"""Browse benchmark: latency of the people search and the place and resident pages.

    python benchmarks/run.py browse --scale small|full --json

Builds a synthetic city in PostgreSQL (small: 100,000 residents, full: 10,000,000)
unless the database at pg_url already holds one, serves the real application with
uvicorn in a child process on a free loopback port, and sends a fixed-seed mix of
requests one at a time: name searches with common and rare prefixes in pinyin and in
characters, deep result pages, id-number, phone and resident-id lookups, resident,
household, community, building, subdistrict and district pages, and the JSON API.
Reports p50/p95/p99/max latency overall and p95 per kind of request.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.orm import Session

from cities import city_database
from epidesk.db import make_engine
from epidesk_dev.pgcluster import free_port

PEOPLE = {"small": 100_000, "full": 10_000_000}
SEED = 20221
REQUESTS = 800
WARMUP = 60
SAMPLE = 4000
MAX_OFFSET = 1000
BENCH_USER = "bench-browse"
BENCH_ROLE = "epidemiologist"


def log(message: str) -> None:
    """Progress to stderr, so stdout holds only the figures."""
    print(f"[browse] {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ the city database


def bearer_token(url: str) -> str:
    """A one-day API token of a city-wide reader, created for the benchmark."""
    from epidesk.auth import service as auth
    from epidesk.errors import NotFoundError

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            try:
                user = auth.get_user(session, BENCH_USER)
            except NotFoundError:
                user = auth.create_user(session, username=BENCH_USER,
                                        display_name="Browse benchmark",
                                        password=auth.generate_password())
                auth.grant_role(session, username=BENCH_USER, role=BENCH_ROLE,
                                granted_by="benchmark")
            token = auth.create_token(session, user_id=user.id, name="browse benchmark", days=1)
            session.commit()
            return token.secret
    finally:
        engine.dispose()


# ------------------------------------------------------------------------- the sample


def sample_city(url: str, rng: random.Random) -> dict[str, Any]:
    """Ids, names, phones and places drawn at random from the city to request."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            people = int(conn.execute(text("SELECT count(*) FROM resident")).scalar_one())
            low, high = conn.execute(text("SELECT min(id), max(id) FROM resident")).one()
            ids = sorted({rng.randint(low, high) for _ in range(SAMPLE)})
            rows = conn.execute(
                text("SELECT id, household_id, community_id, id_number, name, name_search, "
                     "phone FROM resident WHERE id = ANY(:ids) ORDER BY id"),
                {"ids": ids},
            ).all()
            communities = sorted({r.community_id for r in rows})
            buildings = [b for (b,) in conn.execute(
                text("SELECT DISTINCT u.building_id FROM household h "
                     "JOIN address a ON a.id = h.address_id JOIN unit u ON u.id = a.unit_id "
                     "WHERE h.id = ANY(:ids)"),
                {"ids": sorted({r.household_id for r in rows})},
            )]
            subdistricts = [s for (s,) in conn.execute(
                text("SELECT DISTINCT subdistrict_id FROM community WHERE id = ANY(:ids)"),
                {"ids": communities},
            )]
            districts = [d for (d,) in conn.execute(text("SELECT id FROM district"))]
    finally:
        engine.dispose()
    surnames = Counter(r.name_search.split(" ")[0] for r in rows)
    local_surnames = Counter(r.name[:1] for r in rows)
    return {
        "people": people,
        "residents": rows,
        "common": [s for s, _ in surnames.most_common(5)],
        "common_local": [s for s, _ in local_surnames.most_common(5)],
        "communities": communities,
        "buildings": sorted(buildings),
        "subdistricts": sorted(subdistricts),
        "districts": sorted(districts),
    }


def plan_requests(sample: dict[str, Any], rng: random.Random, n: int) -> list[tuple[str, str,
                                                                                   dict[str, Any]]]:
    """A fixed-seed list of (kind, path, query parameters) to request."""
    residents = sample["residents"]
    with_phone = [r for r in residents if r.phone]

    def resident() -> Any:
        return rng.choice(residents)

    makers: list[tuple[str, int, Any]] = [
        ("search_common", 10, lambda: ("/people", {"q": rng.choice(sample["common"])})),
        ("search_given", 10, lambda: ("/people", {"q": _given_prefix(resident().name_search)})),
        ("search_rare", 8, lambda: ("/people", {"q": resident().name_search})),
        ("search_local", 8, lambda: ("/people", {"q": resident().name[:2]})),
        ("search_local_common", 4,
         lambda: ("/people", {"q": rng.choice(sample["common_local"])})),
        ("search_deep_page", 6, lambda: ("/people", {
            "q": rng.choice(sample["common"]), "offset": rng.randrange(25, MAX_OFFSET, 25)})),
        ("search_id_number", 6, lambda: ("/people", {"q": resident().id_number})),
        ("search_phone", 5, lambda: ("/people", {"q": rng.choice(with_phone).phone}
                                     if with_phone else {"q": "13800000000"})),
        ("search_resident_id", 3, lambda: ("/people", {"q": str(resident().id)})),
        ("api_search", 8, lambda: ("/api/people", {
            "q": rng.choice([_given_prefix(resident().name_search),
                             rng.choice(sample["common"])]), "limit": 100})),
        ("resident_page", 10, lambda: (f"/people/{resident().id}", {})),
        ("api_resident", 3, lambda: (f"/api/people/{resident().id}", {})),
        ("household_page", 6, lambda: (f"/households/{resident().household_id}", {})),
        ("community_page", 5,
         lambda: (f"/places/communities/{rng.choice(sample['communities'])}", {})),
        ("building_page", 5, lambda: (f"/places/buildings/{rng.choice(sample['buildings'])}", {})),
        ("subdistrict_page", 2,
         lambda: (f"/places/subdistricts/{rng.choice(sample['subdistricts'])}", {})),
        ("district_page", 1, lambda: (f"/places/districts/{rng.choice(sample['districts'])}", {})),
        ("city_page", 1, lambda: ("/places", {})),
        ("api_districts", 1, lambda: ("/api/places/districts", {})),
    ]
    weighted = [(kind, weight, make) for kind, weight, make in makers if weight]
    kinds = [k for k, _, _ in weighted]
    weights = [w for _, w, _ in weighted]
    by_kind = {k: make for k, _, make in weighted}
    planned = []
    for kind in rng.choices(kinds, weights=weights, k=n):
        path, params = by_kind[kind]()
        planned.append((kind, path, params))
    return planned


def _given_prefix(name_search: str) -> str:
    surname, _, given = name_search.partition(" ")
    return f"{surname} {given[:3]}".strip()


# ------------------------------------------------------------------------- the server


@contextmanager
def serve(url: str) -> Iterator[str]:
    """The application under uvicorn in a child process; yields its base URL."""
    port = free_port()
    src = Path(__file__).resolve().parent.parent / "src"
    env = {**os.environ, "EPIDESK_DATABASE_URL": url,
           "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "epidesk.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--no-access-log"],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}")
            try:
                if httpx.get(f"{base}/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start in 60 s")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def measure(base: str, token: str, planned: list[tuple[str, str, dict[str, Any]]]
            ) -> tuple[dict[str, list[float]], list[str]]:
    """Send each request in turn; latencies in ms by kind, and the failures."""
    latencies: dict[str, list[float]] = defaultdict(list)
    failures: list[str] = []
    headers = {"Accept": "text/html", "Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=30, headers=headers) as client:
        for kind, path, params in planned:
            started = time.perf_counter()
            response = client.get(path, params=params)
            _ = response.content
            elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                failures.append(f"{response.status_code} {path} {params}")
                continue
            latencies[kind].append(elapsed)
    return latencies, failures


def run(scale: str, pg_url: str) -> dict[str, Any]:
    """Build or reuse a city, serve it, and time a fixed mix of browse requests."""
    url, build_seconds = city_database(pg_url, PEOPLE[scale], seed=SEED, log=log)
    rng = random.Random(SEED)
    sample = sample_city(url, rng)
    warmup = plan_requests(sample, rng, WARMUP)
    planned = plan_requests(sample, rng, REQUESTS)
    token = bearer_token(url)
    with serve(url) as base:
        log(f"warming up with {len(warmup)} requests")
        measure(base, token, warmup)
        log(f"measuring {len(planned)} requests")
        started = time.perf_counter()
        latencies, failures = measure(base, token, planned)
        wall = time.perf_counter() - started
    every = [ms for values in latencies.values() for ms in values]
    if failures:
        log(f"{len(failures)} requests failed, e.g. {failures[:3]}")
    return {
        "people": sample["people"],
        "backend": "postgresql",
        "requests": len(every),
        "failed": len(failures),
        "warmup_requests": len(warmup),
        "concurrency": 1,
        "p50_ms": round(percentile(every, 50), 1),
        "p95_ms": round(percentile(every, 95), 1),
        "p99_ms": round(percentile(every, 99), 1),
        "max_ms": round(max(every, default=0.0), 1),
        "mean_ms": round(statistics.fmean(every), 1) if every else 0.0,
        "requests_per_second": round(len(every) / wall, 1) if wall else 0.0,
        "p95_ms_by_kind": {kind: round(percentile(values, 95), 1)
                           for kind, values in sorted(latencies.items())},
        "requests_by_kind": {kind: len(values) for kind, values in sorted(latencies.items())},
        "city_build_seconds": round(build_seconds, 1) if build_seconds is not None else None,
    }
