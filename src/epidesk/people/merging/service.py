"""Likely duplicates within an area, and merging two records of one person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError, ValidationFailedError
from epidesk.kit import clock
from epidesk.kit.access import AreaFilter
from epidesk.kit.i18n import _
from epidesk.kit.merges import Merge, repoint, run_merge
from epidesk.people import repository as people
from epidesk.people.merging import repository
from epidesk.people.merging.rules import closing_day, pairs_of, reason_problem
from epidesk.people.models import PersonMerge, Resident
from epidesk.people.schemas import DuplicatePage, DuplicatePair, MergeOut
from epidesk.people.service import communities_of, summaries


def find_duplicates(session: Session, *, area: AreaFilter | None = None, limit: int = 25,
                    offset: int = 0, today: date | None = None) -> DuplicatePage:
    """Pairs of live records inside the area that look like one person, with the
    reasons, lowest ids first; one page of them."""
    if not 1 <= limit <= 100 or offset < 0:
        raise ValidationFailedError(_("limit is 1 to 100 and offset 0 or more"))
    communities = communities_of(session, area)
    if communities == []:
        return DuplicatePage(total=0, limit=limit, offset=offset, items=[])
    pairs = pairs_of(repository.duplicate_groups(session, communities))
    keys = sorted(pairs)
    page = keys[offset:offset + limit]
    shown = summaries(session, sorted({i for pair in page for i in pair}), today=today)
    return DuplicatePage(
        total=len(keys), limit=limit, offset=offset,
        items=[DuplicatePair(first=shown[a], second=shown[b],
                             reasons=[r.value for r in pairs[(a, b)]],
                             reason_labels=[r.label for r in pairs[(a, b)]])
               for a, b in page])


def _live(session: Session, resident_id: int, area: AreaFilter | None) -> Resident:
    found = people.resident_with_area(session, resident_id)
    if found is None or (area is not None and not area.allows(found[1])):
        raise NotFoundError(_("resident %(id)d not found", id=resident_id), kind="resident",
                            id=resident_id)
    resident = found[0]
    if resident.merged_into_id is not None:
        raise ValidationFailedError(
            _("resident %(id)d was already merged into %(survivor)d", id=resident_id,
              survivor=resident.merged_into_id))
    return resident


@dataclass(frozen=True)
class MergeTarget:
    """The two records of a merge, checked."""

    survivor: Resident
    merged: Resident


def check_merge(session: Session, *, survivor_id: int, merged_id: int,
                area: AreaFilter | None = None) -> MergeTarget:
    """Both records, live and inside the area; refused for one record with itself."""
    survivor = _live(session, survivor_id, area)
    if merged_id == survivor_id:
        raise ValidationFailedError(_("a record cannot be merged with itself"),
                                    errors=[{"loc": ["body", "other_id"], "type": "value_error",
                                             "msg": _("give another record's id")}])
    try:
        merged = _live(session, merged_id, area)
    except NotFoundError as exc:
        problem = _("no resident %(id)d in your area", id=merged_id)
        raise ValidationFailedError(f"other_id: {problem}", errors=[
            {"loc": ["body", "other_id"], "type": "value_error", "msg": problem}]) from exc
    return MergeTarget(survivor=survivor, merged=merged)


def merge_people(session: Session, *, survivor_id: int, merged_id: int, reason: str,
                 actor: str, area: AreaFilter | None = None,
                 now: datetime | None = None) -> MergeOut:
    """Merge one record into another: every domain's rows move to the survivor, the
    merged record stays as a tombstone pointing there, and the merge is recorded.

    All or nothing: every part runs in one savepoint, and the caller's transaction
    commits it or not at all.
    """
    problem = reason_problem(reason)
    if problem is not None:
        raise ValidationFailedError(f"reason: {problem}", errors=[
            {"loc": ["body", "reason"], "msg": problem, "type": "value_error"}])
    target = check_merge(session, survivor_id=survivor_id, merged_id=merged_id, area=area)
    moment = now or clock.now()
    merge = Merge(survivor_id=survivor_id, merged_id=merged_id,
                  day=clock.local_day(moment), actor=actor)
    with session.begin_nested():
        notes = run_merge(session, merge)
        target.merged.merged_into_id = survivor_id
        record = PersonMerge(survivor_id=survivor_id, merged_id=merged_id, merged_at=moment,
                             merged_by=actor, reason=reason.strip(), outcome="\n".join(notes))
        session.add(record)
        session.flush()
    return MergeOut(id=record.id, survivor_id=survivor_id, merged_id=merged_id,
                    merged_at=moment, merged_by=actor, reason=record.reason, outcome=notes)


def merge_people_rows(session: Session, merge: Merge) -> list[str]:
    """The people domain's merge part: household, work-group and class memberships move
    to the survivor, and records merged earlier into the merged one now point at the
    survivor. Two open household stays in different households: the survivor's stays,
    the merged record's closes; in one household: the earlier start is kept."""
    notes: list[str] = []
    survivor = people.resident_by_id(session, merge.survivor_id)
    assert survivor is not None
    survivor_open = people.open_household_membership(session, merge.survivor_id)
    moved = 0
    for stay in repository.memberships_of(session, merge.merged_id):
        moved += 1
        if stay.end_date is None and survivor_open is not None:
            if stay.household_id == survivor_open.household_id:
                survivor_open.start_date = min(survivor_open.start_date, stay.start_date)
                session.delete(stay)
                notes.append(f"household {stay.household_id}: both records lived there; the "
                             f"stay from {survivor_open.start_date.isoformat()} is kept")
                continue
            stay.end_date = closing_day(stay.start_date, merge.day)
            notes.append(f"household {stay.household_id}: the merged record's stay ends "
                         f"{stay.end_date.isoformat()}; the person lives in household "
                         f"{survivor_open.household_id}")
        elif stay.end_date is None:
            survivor.household_id = stay.household_id
            survivor.community_id = stay.household.community_id
        stay.resident_id = merge.survivor_id
    notes.append(f"{moved} household stay(s) moved")
    for model, what in repository.MEMBERSHIP_TABLES:
        count = repoint(session, model, "resident_id", merge)
        notes.append(f"{count} {what}(s) moved")
    earlier = repoint(session, Resident, "merged_into_id", merge)
    if earlier:
        notes.append(f"{earlier} record(s) merged earlier now point to {merge.survivor_id}")
    session.flush()
    return notes

