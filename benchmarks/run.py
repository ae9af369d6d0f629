"""Run one benchmark and print one JSON object of figures.

    python benchmarks/run.py NAME --scale small|full [--json]

Each benchmark is a module `benchmarks/bench_NAME.py` with a function
`run(scale: str, pg_url: str) -> dict`. It uses the PostgreSQL at
EPIDESK_BENCH_DATABASE_URL when set, else a throwaway cluster started here (durable
settings with bulk-load tuning: epidesk.pgcluster.BENCH_SETTINGS) and removed after.
A benchmark that needs no database says so with `NEEDS_DATABASE = False` (pg_url is "").
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:  # the benchmarks share helpers kept beside them (cities.py)
    sys.path.insert(0, str(HERE))


def available() -> list[str]:
    """Names of the benchmarks in this folder."""
    return sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))


def load(name: str) -> Any:
    """Import benchmarks/bench_NAME.py."""
    path = HERE / f"bench_{name}.py"
    if not path.exists():
        raise SystemExit(f"unknown benchmark {name!r}; available: {', '.join(available())}")
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    mem_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    return {"cpus": os.cpu_count(), "memory_gib": mem_gib, "python": platform.python_version(),
            "platform": platform.platform()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("name", choices=available())
    parser.add_argument("--scale", choices=["small", "full"], default="small")
    parser.add_argument("--json", action="store_true", help="print only the JSON object")
    args = parser.parse_args(argv)
    module = load(args.name)

    from epidesk_dev import pgcluster

    cluster = None
    pg_url = os.environ.get("EPIDESK_BENCH_DATABASE_URL", "")
    if not pg_url and getattr(module, "NEEDS_DATABASE", True):
        cluster = pgcluster.start(pgcluster.BENCH_SETTINGS)
        pg_url = cluster.url
    started = time.perf_counter()
    try:
        figures = module.run(args.scale, pg_url)
    finally:
        if cluster is not None:
            cluster.stop()
    result = {"benchmark": args.name, "scale": args.scale, **figures,
              "total_seconds": round(time.perf_counter() - started, 2),
              "date": datetime.now(UTC).strftime("%Y-%m-%d"), "machine": machine()}
    if args.json:
        print(json.dumps(result))
    else:
        print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent / "src"))
    sys.exit(main())
