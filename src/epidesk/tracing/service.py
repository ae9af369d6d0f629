"""Use cases of the tracing domain as a whole: following case changes, and the cases and
residents its routes check.

Case changes are followed: each case event (reported, linked, reclassified, withdrawn)
is pending until a run accounts for it, and so is each retrace request, written when a
visit log or a recorded exposure arrives after the case it concerns was traced.
`follow_case_changes` classifies exactly those cases (and the cases they affect); the
routes and commands that change cases call it after the change, in the same transaction.

The domain's parts live in sub-entities: `visits` (the visit-log import and synthetic
visits), `exposures` (recorded exposures), `graph` (the contact graph in memory),
`runs` (classification and what it writes) and `contacts` (the read views).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from epidesk.cases import repository as cases
from epidesk.cases.models import CaseEpisode
from epidesk.errors import NotFoundError
from epidesk.kit.access import AreaPath
from epidesk.kit.imports import Progress
from epidesk.people import repository as people
from epidesk.people.models import Resident
from epidesk.policy.schemas import Preset
from epidesk.tracing.models import TracingRun
from epidesk.tracing.retrace import repository as retrace_repository
from epidesk.tracing.runs import repository as runs_repository
from epidesk.tracing.runs import service as runs_service
from epidesk.tracing.runs.rules import PendingChanges


def pending_changes(session: Session) -> PendingChanges:
    """The cases reported, linked, reclassified or withdrawn since the last run followed
    them, and those late evidence asked to classify again."""
    after = runs_repository.case_event_cursor(session)
    up_to = cases.latest_event_id(session)
    ids = (cases.episodes_changed(session, after=after, up_to=up_to)
           if up_to > after else [])
    retrace_after = runs_repository.retrace_cursor(session)
    retrace_up_to = runs_repository.latest_retrace_request(session)
    requested = (retrace_repository.requested_cases(session, after=retrace_after,
                                                    up_to=retrace_up_to)
                 if retrace_up_to > retrace_after else [])
    # A case gone since its request (removed by retention) has nothing left to classify.
    requested = sorted({row[0] for row in cases.episode_rows(session, requested)})
    retraced = tuple(sorted(set(requested) - set(ids)))
    return PendingChanges(case_ids=sorted(set(ids) | set(requested)), after=after,
                          up_to=up_to, retrace_after=retrace_after,
                          retrace_up_to=retrace_up_to, retraced=retraced)


def follow_case_changes(session: Session, *, actor: str, preset: Preset | None = None,
                        now: datetime | None = None, progress: Progress | None = None
                        ) -> TracingRun | None:
    """Classify every case changed since the last run followed them; None when none did.

    New cases get their contacts; a case reclassified gets its window again; a withdrawn
    case loses its evidence, and classifications that rested on it alone are withdrawn.
    """
    pending = pending_changes(session)
    if not pending.case_ids:
        return None
    return runs_service.run_tracing(session, actor=actor, case_ids=pending.case_ids,
                                    preset=preset, now=now, progress=progress,
                                    followed=pending.up_to, retraced=pending.retrace_up_to,
                                    scope="changes")


def resident_area(session: Session, *, resident_id: int) -> AreaPath | None:
    """Where a resident lives, or None when there is no such resident."""
    return people.resident_area(session, resident_id)


def case_area(session: Session, *, case_id: int) -> AreaPath | None:
    """Where a case's resident lives, or None when there is no such case."""
    episode = cases.episode_by_id(session, case_id)
    if episode is None:
        return None
    return people.resident_area(session, episode.resident_id)


def get_case(session: Session, *, case_id: int) -> CaseEpisode:
    """A case by id, or NotFoundError."""
    found = cases.episode_by_id(session, case_id)
    if found is None:
        raise NotFoundError(f"no case {case_id}")
    return found


def get_resident(session: Session, *, resident_id: int) -> Resident:
    """A resident by id, or NotFoundError."""
    found = people.resident_by_id(session, resident_id)
    if found is None:
        raise NotFoundError(f"no resident {resident_id}")
    return found
