"""Use cases of late evidence: a visit log or a recorded exposure that arrives after the
cases it concerns were traced marks those cases for retracing, in the same transaction,
so that the next run over changes classifies the contacts it makes."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from epidesk.cases import repository as cases_repository
from epidesk.kit import clock
from epidesk.tracing.models import Exposure, RetraceRequest
from epidesk.tracing.retrace import repository, rules
from epidesk.tracing.retrace.rules import TracedWindows
from epidesk.tracing.rules import FOREVER, seconds_of

IntArray = NDArray[np.int64]


def traced_windows(session: Session) -> TracedWindows:
    """Every active traced case with its resident and the window it was traced over."""
    case_id, start, end, traced_at = repository.traced_windows(session)
    residents = {row[0]: row[1] for row in cases_repository.episode_rows(session,
                                                                         case_id.tolist())}
    known = np.asarray([int(c) in residents for c in case_id.tolist()], dtype=bool)
    resident = np.asarray([residents.get(int(c), 0) for c in case_id.tolist()], dtype=np.int64)
    return TracedWindows(case_id=case_id[known], resident=resident[known], start=start[known],
                         end=rules.open_ended(end, traced_at, FOREVER)[known])


def after_visits(session: Session, *, log_id: int, venue: IntArray, start: IntArray,
                 end: IntArray, now: datetime | None = None) -> list[int]:
    """Mark the traced cases whose windows new visits share at a venue; their ids.

    A case whose resident was at the venue at the same time (or whose own visit this is)
    is classified again by the next run over changes.
    """
    cases = traced_windows(session)
    if not len(cases) or not len(venue):
        return []
    visitor, at_venue, arrived, left = repository.visits_of_residents(
        session, cases.resident.tolist())
    # Each visit belongs to every traced case of its resident (a reinfection has two).
    owners: dict[int, list[int]] = {}
    for i, r in enumerate(cases.resident.tolist()):
        owners.setdefault(r, []).append(i)
    who = visitor.tolist()
    repeat = np.asarray([len(owners.get(r, ())) for r in who], dtype=np.int64)
    position = np.asarray([i for r in who for i in owners.get(r, ())], dtype=np.int64)
    at_venue, arrived, left = (np.repeat(a, repeat) for a in (at_venue, arrived, left))
    touched = rules.cases_sharing_visits(
        cases, case_index=position, venue=at_venue, start=arrived, end=left,
        new_venue=np.asarray(venue, dtype=np.int64), new_start=np.asarray(start, dtype=np.int64),
        new_end=np.asarray(end, dtype=np.int64))
    repository.add_requests(session, touched, reason=rules.VISIT_LOG, source_id=log_id,
                            now=_moment(now))
    return touched


def after_exposure(session: Session, *, exposure: Exposure, now: datetime | None = None
                   ) -> list[int]:
    """Mark the traced cases a recorded exposure touches; their ids."""
    cases = traced_windows(session)
    if not len(cases):
        return []
    pair = [exposure.resident_a_id, exposure.resident_b_id]
    touched = rules.cases_of_exposure(
        cases, resident_a=pair[0], resident_b=pair[1], at=seconds_of(exposure.at),
        close_contact_cases=repository.cases_with_close_contacts(session, pair)
        & set(cases.case_id.tolist()))
    repository.add_requests(session, touched, reason=rules.EXPOSURE, source_id=exposure.id,
                            now=_moment(now))
    return touched


def cases_asked_by(session: Session, *, reason: str, source_id: int) -> list[int]:
    """The traced cases a visit log or a recorded exposure asked to classify again."""
    return repository.cases_requested_by(session, reason=reason, source_id=source_id)


def requests_of_case(session: Session, *, case_id: int) -> list[RetraceRequest]:
    """Why a case was (or is to be) classified again, oldest first."""
    return list(repository.requests_of_case(session, case_id))


def _moment(now: datetime | None) -> datetime:
    return (now or clock.now()).astimezone(UTC).replace(microsecond=0)
