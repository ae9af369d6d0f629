"""A traced tiny city with orders, facilities and lab results for quarantine tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import count

from sqlalchemy.orm import Session

from epidesk.kit import clock
from epidesk.quarantine.orders import service as orders
from epidesk.quarantine.orders.service import SyncResult
from epidesk.testing.models import Sample, Tube
from epidesk.tracing.runs import service as runs
from tests.tracing.helpers import NOW, Scene, preset, scene

_codes = count(1)


def traced(db: Session) -> tuple[Scene, SyncResult]:
    """The tracing scene, classified, with the orders that follow from it."""
    s = scene(db)
    runs.run_tracing(db, actor="investigator", preset=preset(), now=NOW)
    return s, orders.sync_orders(db, actor="officer", preset=preset(), now=NOW)


def add_result(db: Session, resident_id: int, on: date, *, positive: bool = False,
               ct: float | None = None, hour: int = 9) -> None:
    """A single-tube result of a resident sampled on a city day (negative by default)."""
    at = clock.day_start(on) + timedelta(hours=hour)
    n = next(_codes)
    tube = Tube(code=f"QT{n:06d}", batch_id=0, kind="single", pool_size=1, lab="Lab",
                collection_site="Site", collected_at=at, result_at=at + timedelta(hours=6),
                reported_outcome="positive" if positive else "negative",
                outcome="positive" if positive else "negative",
                ct_orf1ab=ct, ct_n=ct, ct_e=None)
    db.add(tube)
    db.flush()
    db.add(Sample(code=f"QS{n:06d}", tube_id=tube.id, resident_id=resident_id, collected_at=at))
    db.flush()


def noon(day: date) -> datetime:
    """Noon of a city day, as a UTC moment."""
    return datetime.combine(day, time(12), tzinfo=clock.city_zone()).astimezone(UTC)
