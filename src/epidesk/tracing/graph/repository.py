"""Queries of the contact graph: every visit and exposure as columns, read in one
transaction with the people domain's memberships, and the exposures' stamp that (with
the memberships') tells whether a graph held in memory is still valid."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from datetime import tzinfo
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.db import is_postgres
from epidesk.kit.bulk.reading import LITE_SECONDS, columns_on, lite_columns, pg_columns
from epidesk.people.columns import repository as people_columns
from epidesk.tracing.graph.rules import GraphArrays
from epidesk.tracing.models import Exposure, VenueVisit
from epidesk.tracing.rules import FOREVER, seconds_of

IntArray = NDArray[np.int64]


_VISIT_COLUMNS = [("resident_id", "int4"), ("venue_id", "int4"), ("started_at", "timestamp"),
                  ("ended_at", "timestamp")]


_VISIT_RANGE = "WHERE id > %(after)s AND id <= %(up_to)s"


def max_visit_id(session: Session) -> int:
    """The largest visit id (0 without visits)."""
    return int(session.scalar(select(func.max(VenueVisit.id))) or 0)


def visit_columns(session: Session, *, after: int, up_to: int
                  ) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """(resident, venue, start, end) of the visits with after < id <= up_to."""
    if is_postgres(session):
        r, v, s, e = pg_columns(session, "venue_visit", _VISIT_COLUMNS, _VISIT_RANGE,
                                 {"after": after, "up_to": up_to})
        return r, v, s, e
    sec = LITE_SECONDS
    r, v, s, e = lite_columns(
        session, f"SELECT resident_id, venue_id, {sec.format('started_at')}, "
                 f"{sec.format('ended_at')} FROM venue_visit WHERE id > ? AND id <= ?",
        ("int", "int", "int", "int"), {"after": after, "up_to": up_to})
    return r, v, s, e


def _writes_pending(session: Session) -> bool:
    """Whether this PostgreSQL transaction has written anything yet."""
    return session.execute(sa.text("SELECT pg_current_xact_id_if_assigned()")).scalar() \
        is not None


def _visits_in_snapshot(engine: Any, snapshot: str, up_to: int) -> list[NDArray[Any]]:
    """The visits up to a watermark, read on a second connection in an exported snapshot."""
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        conn.exec_driver_sql(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
        driver = conn.connection.driver_connection
        return columns_on(driver, "venue_visit", _VISIT_COLUMNS, _VISIT_RANGE,
                           {"after": 0, "up_to": up_to})


def exposure_columns(session: Session) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """(id, resident a, resident b, at) of every unprotected recorded exposure."""
    rows = session.execute(select(Exposure.id, Exposure.resident_a_id, Exposure.resident_b_id,
                                  Exposure.at).where(Exposure.protected.is_(False))).all()
    ids = np.asarray([r[0] for r in rows], dtype=np.int64)
    a = np.asarray([r[1] for r in rows], dtype=np.int64)
    b = np.asarray([r[2] for r in rows], dtype=np.int64)
    at = np.asarray([seconds_of(r[3]) for r in rows], dtype=np.int64)
    return ids, a, b, at


def graph_arrays(session: Session, zone: tzinfo | None = None) -> GraphArrays:
    """Every column the contact graph is built from, read in one transaction.

    On PostgreSQL, when the transaction has written nothing yet, the visits are read on
    a second connection sharing its snapshot, while this one reads the memberships
    (through the people domain's repository: one read of the whole graph).
    """
    watermark = max_visit_id(session)
    if is_postgres(session) and not _writes_pending(session):
        snapshot = session.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
        with ThreadPoolExecutor(max_workers=1) as pool:
            pending = pool.submit(_visits_in_snapshot, session.get_bind().engine, snapshot,
                                  watermark)
            return _graph_arrays(session, watermark, pending, zone)
    return _graph_arrays(session, watermark, None, zone)


def _graph_arrays(session: Session, watermark: int, pending: Future[list[NDArray[Any]]] | None,
                  zone: tzinfo | None) -> GraphArrays:
    memberships = people_columns.membership_columns(session, zone)
    if pending is not None:
        r, v, st, en = pending.result()
        visits = (r, v, st, en)
    else:
        visits = visit_columns(session, after=0, up_to=watermark)
    exposures = exposure_columns(session)
    (hr, hg, hs, he), (wr, wg, ws, we), (cr, cg, cs, ce) = memberships
    # Both backends give the last day; a membership ends at the next local midnight.
    he = np.where(he == FOREVER, he, he + 86_400)
    we = np.where(we == FOREVER, we, we + 86_400)
    ce = np.where(ce == FOREVER, ce, ce + 86_400)
    return GraphArrays(
        household_resident=hr, household_group=hg, household_start=hs, household_end=he,
        work_resident=wr, work_group=wg, work_start=ws, work_end=we,
        class_resident=cr, class_group=cg, class_start=cs, class_end=ce,
        exposure_id=exposures[0], exposure_a=exposures[1], exposure_b=exposures[2],
        exposure_at=exposures[3],
        visit_resident=visits[0], visit_venue=visits[1], visit_start=visits[2],
        visit_end=visits[3], visit_watermark=watermark,
    )


def exposure_stamp(session: Session) -> tuple[int, int]:
    """How many exposures there are and the largest id."""
    count, top = session.execute(select(func.count(),
                                        func.coalesce(func.max(Exposure.id), 0))).one()
    return int(count), int(top)


def visits_up_to(session: Session, watermark: int) -> int:
    """How many visits have an id up to the watermark."""
    return int(session.scalar(select(func.count()).select_from(VenueVisit)
                              .where(VenueVisit.id <= watermark)) or 0)
