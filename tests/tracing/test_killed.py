"""A visit-log import killed with SIGKILL while it writes leaves the database as before.

The import runs as its own `epidesk ingest visits` process, killed once it has begun
writing (see tests/killing.py); the tracing tables are then compared with what they
held before, and the same file is accepted whole afterwards.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from epidesk.db import make_engine
from epidesk.migrate import upgrade
from epidesk.people.models import Resident, Venue
from epidesk.synth.city.service import build_city
from epidesk.tracing.visits import service as visits
from epidesk.tracing.visits.engine import write_visit_log
from tests.killing import kill_while_writing
from tests.tracing.helpers import NOW, table_counts

PEOPLE = 20_000
VISITS_EACH = 8


def _log(path: Path, residents: np.ndarray, venues: np.ndarray, first_hour: int) -> Path:
    """Every resident visits venues on the hour, one hour long, VISITS_EACH times."""
    rng = np.random.default_rng(first_hour)
    resident = np.repeat(residents, VISITS_EACH)
    hours = np.tile(np.arange(VISITS_EACH), len(residents)) * 3 + first_hour
    start = int(np.datetime64("2026-11-15T00:00:00", "s").astype(np.int64)) + hours * 3600
    path.write_bytes(write_visit_log({
        "resident_id": resident, "venue_id": rng.choice(venues, len(resident)),
        "started_at": start.astype(np.int64), "ended_at": (start + 3600).astype(np.int64)}))
    return path


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_a_visit_import_killed_while_writing_leaves_the_database_as_before(
        backend: str, fresh_database, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    url = fresh_database(backend)
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session:
        build_city(session, people=PEOPLE, seed=9)
        session.commit()
        residents = np.asarray(session.scalars(sa.select(Resident.id).order_by(Resident.id))
                               .all(), dtype=np.int64)
        venues = np.asarray(session.scalars(sa.select(Venue.id)).all(), dtype=np.int64)
    first = _log(tmp_path / "first.csv", residents[:500], venues, first_hour=1)
    with Session(engine) as session:
        assert visits.import_visits_file(session, path=first, received_by="test",
                                         now=NOW).accepted
        session.commit()
        before = table_counts(session)
    engine.dispose()
    second = _log(tmp_path / "second.csv", residents, venues, first_hour=2)

    kill_while_writing(url, ["ingest", "visits", str(second)])

    engine = make_engine(url)
    try:
        with Session(engine) as session:
            assert table_counts(session) == before
            again = visits.import_visits_file(session, path=second, received_by="test",
                                              now=NOW)
            assert again.accepted and not again.already_imported
            assert again.log.rows == len(residents) * VISITS_EACH
            session.rollback()
    finally:
        engine.dispose()
