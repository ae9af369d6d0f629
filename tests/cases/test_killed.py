"""A lab batch ingest killed with SIGKILL while it writes leaves the database as before.

The ingest runs as its own `epidesk ingest results` process, killed once it has begun
writing (see tests/killing.py); every table the ingest writes is then compared with what
it held before.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from epidesk.cases import service as cases
from epidesk.db import make_engine
from epidesk.migrate import upgrade
from epidesk.people.models import Resident
from epidesk.synth.city.service import build_city
from epidesk.testing.engine import write_batch
from tests.killing import kill_while_writing
from tests.testing import tables as testing
from tests.testing.batches import NOW

PEOPLE = 30_000
POOL = 10


def _batch(path: Path, residents: np.ndarray, prefix: str) -> Path:
    """Every resident in 10-in-1 pools, one pool positive."""
    n = len(residents) - len(residents) % POOL
    ids = residents[:n]
    tube = np.repeat(np.arange(n // POOL), POOL)
    outcome = np.where(tube == 7, "positive", "negative")
    ct = np.where(tube == 7, 31.0, np.nan)
    collected = np.datetime64("2026-11-21T00:00:00", "s")
    return write_batch(path, {
        "sample_id": [f"{prefix}S{i}" for i in range(n)],
        "tube_id": [f"{prefix}T{t}" for t in tube.tolist()],
        "tube_type": ["pooled"] * n, "pool_size": np.full(n, POOL),
        "resident_id": ids, "collected_at": np.full(n, collected),
        "collection_site": ["Gate 1"] * n, "lab": ["Lab 1"] * n,
        "result_at": np.full(n, collected + np.timedelta64(10, "h")),
        "outcome": outcome.tolist(),
        "ct_orf1ab": [None if np.isnan(v) else float(v) for v in ct],
        "ct_n": [None if np.isnan(v) else float(v) for v in ct],
    })


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_an_ingest_killed_while_writing_leaves_the_database_as_before(
        backend: str, fresh_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = fresh_database(backend)
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        build_city(session, people=PEOPLE, seed=5)
        session.commit()
        residents = np.asarray(session.scalars(sa.select(Resident.id).order_by(Resident.id))
                               .all(), dtype=np.int64)
    first = _batch(tmp_path / "first.csv", residents[:1_000], "A")
    with Session(engine) as session:
        assert cases.ingest_results_file(session, path=first, received_by="test",
                                         now=NOW).accepted
        session.commit()
        before = testing.table_counts(session)
    engine.dispose()
    second = _batch(tmp_path / "second.csv", residents, "B")

    kill_while_writing(url, ["ingest", "results", str(second)])

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            assert testing.table_counts(session) == before
            # Nothing of the killed batch was kept: the same file goes in whole now.
            again = cases.ingest_results_file(session, path=second, received_by="test",
                                              now=NOW)
            assert again.accepted and not again.already_ingested
            assert again.batch.rows == len(residents) - len(residents) % POOL
            session.rollback()
    finally:
        engine.dispose()
