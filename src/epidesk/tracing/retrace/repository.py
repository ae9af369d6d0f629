"""Queries of retrace requests, and of the traced cases and visits late evidence is
compared with."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from epidesk.kit.bulk.reading import IntArray, chunks, epoch, int_matrix
from epidesk.tracing.models import ContactEvidence, RetraceRequest, TracedCase, VenueVisit
from epidesk.tracing.rules import ACTIVE, CLOSE


def traced_windows(session: Session) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """(case, window start, window end, traced at) in seconds of every active traced case."""
    rows = session.execute(select(TracedCase.case_id, epoch(session, TracedCase.window_start),
                                  epoch(session, TracedCase.window_end),
                                  epoch(session, TracedCase.traced_at))
                           .where(TracedCase.status == ACTIVE)
                           .order_by(TracedCase.case_id)).all()
    data = int_matrix(rows, 4)
    return data[:, 0], data[:, 1], data[:, 2], data[:, 3]


def visits_of_residents(session: Session, residents: Sequence[int]
                        ) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """(resident, venue, arrival, departure) in seconds of every stored visit of the residents."""
    parts = [np.zeros((0, 4), dtype=np.int64)]
    for chunk in chunks(residents):
        rows = session.execute(select(VenueVisit.resident_id, VenueVisit.venue_id,
                                      epoch(session, VenueVisit.started_at),
                                      epoch(session, VenueVisit.ended_at))
                               .where(VenueVisit.resident_id.in_(chunk))).all()
        parts.append(int_matrix(rows, 4))
    data = np.concatenate(parts)
    return data[:, 0], data[:, 1], data[:, 2], data[:, 3]


def cases_with_close_contacts(session: Session, residents: Sequence[int]) -> set[int]:
    """Cases whose active direct close evidence names any of the residents."""
    out: set[int] = set()
    for chunk in chunks(residents):
        out.update(session.scalars(select(ContactEvidence.case_id).distinct().where(
            ContactEvidence.status == ACTIVE, ContactEvidence.tier == CLOSE,
            ContactEvidence.via_resident_id.is_(None), ContactEvidence.resident_id.in_(chunk))))
    return out


def add_requests(session: Session, case_ids: Sequence[int], *, reason: str, source_id: int,
                 now: datetime) -> None:
    """One retrace request per case."""
    if case_ids:
        session.execute(insert(RetraceRequest), [
            {"case_id": int(c), "reason": reason, "source_id": source_id, "requested_at": now}
            for c in case_ids])
    session.flush()


def requested_cases(session: Session, *, after: int, up_to: int) -> list[int]:
    """The cases of the requests in (after, up_to], each once, by id."""
    return list(session.scalars(
        select(RetraceRequest.case_id).where(RetraceRequest.id > after,
                                             RetraceRequest.id <= up_to)
        .distinct().order_by(RetraceRequest.case_id)))


def cases_requested_by(session: Session, *, reason: str, source_id: int) -> list[int]:
    """The cases a visit log or an exposure asked to classify again, by id."""
    return list(session.scalars(select(RetraceRequest.case_id).where(
        RetraceRequest.reason == reason, RetraceRequest.source_id == source_id)
        .distinct().order_by(RetraceRequest.case_id)))


def requests_of_case(session: Session, case_id: int) -> Sequence[RetraceRequest]:
    """A case's retrace requests, oldest first."""
    return session.scalars(select(RetraceRequest).where(RetraceRequest.case_id == case_id)
                           .order_by(RetraceRequest.id)).all()
