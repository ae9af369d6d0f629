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
from epidesk.kit.merges import Merge, repoint
from epidesk.people import repository as people
from epidesk.people.models import Resident
from epidesk.policy.schemas import Preset
from epidesk.tracing import repository
from epidesk.tracing.graph.service import forget_graphs
from epidesk.tracing.models import (
    Contact,
    ContactDecision,
    ContactEvent,
    ContactEvidence,
    Exposure,
    FollowUpTest,
    TracingRun,
    VenueVisit,
)
from epidesk.tracing.retrace import repository as retrace_repository
from epidesk.tracing.rules import TIER_LABELS, stronger_contact
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


def merge_person_rows(session: Session, merge: Merge) -> list[str]:
    """Tracing's merge part: visits, exposures, the contact classification with its
    evidence, follow-up tests and history become the survivor's.

    A visit on both records is kept once; an exposure of the person with themselves
    goes; of two contact classifications the stronger is kept (active over withdrawn,
    close over sub-close, then the earlier first exposure) with its follow-up tests.
    """
    notes: list[str] = []
    twice = repository.colliding_visits(session, survivor_id=merge.survivor_id,
                                        merged_id=merge.merged_id)
    if twice:
        repository.delete_visits(session, twice)
        notes.append(f"{len(twice)} venue visit(s) recorded on both records kept once")
    notes.append(f"{repoint(session, VenueVisit, 'resident_id', merge)} venue visit(s) moved")
    exposures = (repoint(session, Exposure, "resident_a_id", merge)
                 + repoint(session, Exposure, "resident_b_id", merge))
    notes.append(f"{exposures} recorded exposure(s) moved")
    if (selfish := repository.delete_self_exposures(session, merge.survivor_id)):
        notes.append(f"{selfish} exposure(s) between the two records removed")
    theirs = repository.contact_of(session, merge.merged_id)
    mine = repository.contact_of(session, merge.survivor_id)
    if theirs is not None and mine is not None:
        keep, drop = ((mine, theirs) if stronger_contact(_strength(mine), _strength(theirs))
                      else (theirs, mine))
        notes.append(f"contact: kept the {keep.status} {TIER_LABELS.get(keep.tier, keep.tier)}"
                     f" (first exposure {keep.first_exposure_at.isoformat()}), dropped the "
                     f"{drop.status} {TIER_LABELS.get(drop.tier, drop.tier)} and its "
                     "follow-up tests")
        repository.drop_contact(session, drop)
    moved = repoint(session, Contact, "resident_id", merge)
    if moved:
        notes.append("the contact classification moved")
    for model, column, what in (
            (ContactEvidence, "resident_id", "piece(s) of contact evidence"),
            (ContactEvidence, "via_resident_id", "piece(s) of evidence through the person"),
            (FollowUpTest, "resident_id", "follow-up test(s)"),
            (ContactEvent, "resident_id", "contact event(s)"),
            (ContactDecision, "resident_id", "investigator's decision(s)")):
        notes.append(f"{repoint(session, model, column, merge)} {what} moved")
    forget_graphs()
    return notes


def _strength(contact: Contact) -> tuple[str, str, datetime]:
    return contact.status, contact.tier, contact.first_exposure_at
