"""Public load benchmark: the cached public pages and open-data files under a publication
spike, while staff keep working.

    python benchmarks/run.py public --scale small|full --json

Builds (or reuses) a synthetic city in PostgreSQL (small: 20,000 residents, full:
1,000,000), publishes the day's figures, serves the real application with uvicorn
(as `epidesk serve` does; EPIDESK_BENCH_WORKERS processes, default 2) on a free
loopback port, and drives it with two wrk load generators at once for the same
bounded time: one over the public pages and the day's open-data files (64 connections,
gzip accepted), one over signed-in staff pages and API reads (2 connections, a bearer
token). wrk's Lua `done` hook reports latency percentiles (benchmarks/wrk/paths.lua).
Reports rps, p50_ms, p99_ms and errors of the public side, staff_p95_ms and staff_rps,
and the targets: 2,000 rps with p99 < 50 ms, staff p95 < 200 ms.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench_browse import bearer_token
from cities import city_database
from epidesk.db import make_engine, session_scope, sessionmaker
from epidesk_dev.pgcluster import free_port

PEOPLE = {"small": 20_000, "full": 1_000_000}
SECONDS = {"small": 10, "full": 30}
SEED = 15
PUBLIC_CONNECTIONS = 64
STAFF_CONNECTIONS = 2
TARGET_RPS = 2000
# The paced run offers a little over the target, so that it is held, not approached.
PACED_RPS = 2400
TARGET_P99_MS = 50.0
TARGET_STAFF_P95_MS = 200.0
LUA = Path(__file__).resolve().parent / "wrk" / "paths.lua"
PUBLIC_PAGES = ("/public", "/public/districts", "/public/changes", "/public/snapshots",
                "/public/data")
STAFF_PATHS = ("/api/cases/bulletin", "/api/people?q=wang", "/api/people?q=li&offset=50",
               "/cases/bulletin", "/overview", "/api/overview")


def log(message: str) -> None:
    """Progress to stderr, so stdout holds only the figures."""
    print(f"[public] {message}", file=sys.stderr, flush=True)


def publish(url: str) -> None:
    """The day's publication (figures, pages, open-data files, trajectories)."""
    from epidesk.transparency import deps

    engine = make_engine(url)
    try:
        with session_scope(sessionmaker(bind=engine)) as session:
            deps.publish(session, actor="benchmark")
    finally:
        engine.dispose()


@contextmanager
def serve(url: str, workers: int) -> Iterator[str]:
    """uvicorn serving the application factory in `workers` processes, as `epidesk
    serve` does (no access log); yields the base URL."""
    port = free_port()
    src = Path(__file__).resolve().parent.parent / "src"
    env = {**os.environ, "EPIDESK_DATABASE_URL": url,
           "PYTHONPATH": os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "epidesk.app:create_app", "--factory",
         "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
         "--no-access-log", "--workers", str(workers)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited with {proc.returncode}")
            try:
                if httpx.get(f"{base}/public", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start in 90 s")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def public_paths(base: str) -> list[str]:
    """The public pages and the latest publication's open-data files, as served."""
    listing = httpx.get(f"{base}/api/public/data", timeout=10).json()
    files = [f["url"] for f in listing[0]["files"]] if listing else []
    paths = [*PUBLIC_PAGES, *files]
    for path in paths:
        answer = httpx.get(f"{base}{path}", timeout=10)
        if answer.status_code != 200:
            raise RuntimeError(f"{path} answered {answer.status_code}")
    return paths


def wrk(base: str, paths: list[str], *, connections: int, seconds: int, folder: Path,
        name: str, header: str | None = None, rate: int = 0) -> subprocess.Popen[str]:
    """Start one bounded wrk run over the paths (one thread); with a rate, each
    connection pauses so that together they offer about that many requests a second."""
    listed = folder / f"{name}.txt"
    listed.write_text("\n".join(paths) + "\n", encoding="utf-8")
    env = {**os.environ, "WRK_PATHS": str(listed)}
    if rate:
        env["WRK_DELAY_MS"] = str(max(1, round(connections * 1000 / rate)))
    if header:
        env["WRK_HEADER"] = header
    return subprocess.Popen(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "2s", "-s", str(LUA),
         base], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def figures(proc: subprocess.Popen[str]) -> dict[str, Any]:
    """The JSON line the Lua `done` hook printed."""
    out, err = proc.communicate(timeout=600)
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {err.strip() or out.strip()}")
    found: dict[str, Any] = json.loads(lines[-1])
    return found


def _ms(us: float) -> float:
    return round(us / 1000, 2)


def summary(run: dict[str, Any]) -> dict[str, Any]:
    """Rates and latencies of one wrk run."""
    seconds = run["duration_us"] / 1e6
    errors = sum(run[k] for k in ("errors_connect", "errors_read", "errors_write",
                                  "errors_status", "errors_timeout"))
    return {"requests": run["requests"], "rps": round(run["requests"] / seconds, 1),
            "p50_ms": _ms(run["p50_us"]), "p90_ms": _ms(run["p90_us"]),
            "p95_ms": _ms(run["p95_us"]), "p99_ms": _ms(run["p99_us"]),
            "max_ms": _ms(run["max_us"]), "errors": errors,
            "mb_per_s": round(run["bytes"] / seconds / 2**20, 2)}


def run(scale: str, pg_url: str) -> dict[str, Any]:
    """The public spike and the staff reads, at once."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: scripts/system-deps.sh installs it from Debian")
    people = PEOPLE[scale]
    seconds = SECONDS[scale]
    workers = int(os.environ.get("EPIDESK_BENCH_WORKERS", "2"))
    url, _ = city_database(pg_url, people, seed=SEED, log=log)
    log("publishing the day's figures")
    started = time.perf_counter()
    publish(url)
    publish_seconds = round(time.perf_counter() - started, 2)
    token = bearer_token(url)
    load_before = os.getloadavg()
    with serve(url, workers) as base, tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = public_paths(base)
        for path in STAFF_PATHS:
            answer = httpx.get(f"{base}{path}", timeout=30,
                               headers={"Authorization": f"Bearer {token}"})
            if answer.status_code != 200:
                raise RuntimeError(f"{path} answered {answer.status_code} to staff")
        log(f"warming up ({len(paths)} public paths, {workers} workers)")
        figures(wrk(base, paths, connections=8, seconds=2, folder=folder, name="warm"))
        runs = {}
        # The target: the spike at the target rate (paced), the staff reading meanwhile;
        # then the same connections unpaced, for the most the two workers can answer.
        for label, rate in (("paced", PACED_RPS), ("unpaced", 0)):
            log(f"{PUBLIC_CONNECTIONS} public connections ({label}"
                f"{f', about {rate} requests/s offered' if rate else ''}) and "
                f"{STAFF_CONNECTIONS} staff connections for {seconds} s")
            public = wrk(base, paths, connections=PUBLIC_CONNECTIONS, seconds=seconds,
                         folder=folder, name=f"public-{label}", rate=rate)
            staff = wrk(base, list(STAFF_PATHS), connections=STAFF_CONNECTIONS,
                        seconds=seconds, folder=folder, name=f"staff-{label}",
                        header=f"Authorization: Bearer {token}")
            runs[label] = (summary(figures(public)), summary(figures(staff)))
    public_run, staff_run = runs["paced"]
    capacity, capacity_staff = runs["unpaced"]
    out = {**{k: public_run[k] for k in ("rps", "p50_ms", "p99_ms", "errors")},
           "staff_p95_ms": staff_run["p95_ms"], "staff_rps": staff_run["rps"],
           "staff_errors": staff_run["errors"], "public": public_run, "staff": staff_run,
           "offered_rps": PACED_RPS, "capacity_rps": capacity["rps"],
           "capacity": {"public": capacity, "staff": capacity_staff},
           "people": people, "seconds": seconds, "workers": workers,
           "public_connections": PUBLIC_CONNECTIONS, "staff_connections": STAFF_CONNECTIONS,
           "public_paths": len(paths), "publish_seconds": publish_seconds,
           "load_average_before": [round(x, 2) for x in load_before],
           "load_average_after": [round(x, 2) for x in os.getloadavg()]}
    out["targets"] = {"rps": TARGET_RPS, "p99_ms": TARGET_P99_MS,
                      "staff_p95_ms": TARGET_STAFF_P95_MS,
                      "met": (public_run["rps"] >= TARGET_RPS
                              and public_run["p99_ms"] < TARGET_P99_MS
                              and staff_run["p95_ms"] < TARGET_STAFF_P95_MS
                              and public_run["errors"] == 0)}
    return out
