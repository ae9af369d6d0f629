"""FastAPI dependencies of the people domain, shared by its api and pages."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from epidesk.kit import clock
from epidesk.kit.access import PEOPLE_READ, PEOPLE_WRITE, Caller
from epidesk.kit.i18n import _
from epidesk.kit.merges import MergePart
from epidesk.kit.panels import Audit, Panel, person_panels
from epidesk.kit.web import ensure_in_scope, require
from epidesk.people import service
from epidesk.people.merging import service as merging
from epidesk.people.models import HouseholdMembership
from epidesk.people.registry import service as registry
from epidesk.people.registry.rules import Registration
from epidesk.people.schemas import DuplicatePage, MergeOut, PanelOut, PersonDetail

Reader = Annotated[Caller, Depends(require(PEOPLE_READ))]
Writer = Annotated[Caller, Depends(require(PEOPLE_WRITE))]

# Two records of one person merged: memberships move to the survivor; records merged
# earlier into the merged one point at the survivor; the merges themselves are history.
person_merge = MergePart(
    covers=("household_membership.resident_id", "work_group_membership.resident_id",
            "class_membership.resident_id", "resident.merged_into_id",
            "person_merge.survivor_id", "person_merge.merged_id"),
    apply=merging.merge_people_rows)


def person_record(session: Session, *, caller: Caller, resident_id: int, audit: Audit
                  ) -> tuple[PersonDetail, list[Panel]]:
    """A resident in the caller's area with every domain's panel the caller may see."""
    person = service.person_detail(session, resident_id=resident_id,
                                   area=caller.area_for(PEOPLE_READ))
    audit("read", "resident", person.id, person_id=person.id,
          people=[m.id for m in person.household_members])
    if person.merged_into_id is not None:
        return person, []  # a tombstone: its rows are the survivor's now
    panels = person_panels(session, caller=caller, resident_id=person.id,
                           area=service.person_area(person), audit=audit)
    person.panels = [PanelOut(key=p.key, title=p.title, data=p.data) for p in panels]
    return person, panels


def register(session: Session, caller: Caller, registration: Registration, *,
             household_id: int | None, address_id: int | None, home_suitable: bool,
             audit: Audit) -> int:
    """Register a person into a household inside the caller's area; audited. Their id."""
    person = registry.register_person(
        session, registration=registration, household_id=household_id,
        address_id=address_id, home_suitable=home_suitable, actor=caller.username,
        area=caller.area_for(PEOPLE_WRITE))
    audit("create", "resident", person.id, person_id=person.id)
    return person.id


def find_duplicates(session: Session, caller: Caller, *, limit: int, offset: int,
                    audit: Audit) -> DuplicatePage:
    """One page of likely duplicates inside the caller's area; every record shown audited."""
    found = merging.find_duplicates(session, area=caller.area_for(PEOPLE_READ), limit=limit,
                                    offset=offset)
    audit("read", "resident_duplicates", offset,
          people=sorted({p.id for pair in found.items for p in (pair.first, pair.second)}))
    return found


def merge_records(session: Session, caller: Caller, *, survivor_id: int, other_id: int,
                  reason: str, audit: Audit) -> MergeOut:
    """Merge another record into one, both inside the caller's area; audited under both
    records, naming the merge's record (which holds the reason and what moved)."""
    ensure_in_scope(caller, PEOPLE_WRITE, service.resident_area(session, survivor_id),
                    "resident", survivor_id)
    merged = merging.merge_people(session, survivor_id=survivor_id, merged_id=other_id,
                                  reason=reason, actor=caller.username,
                                  area=caller.area_for(PEOPLE_WRITE))
    audit("merge", "person_merge", merged.id, person_id=survivor_id,
          people=[survivor_id, other_id])
    return merged


def move_person(session: Session, caller: Caller, *, resident_id: int, household_id: int,
                moved_on: date, audit: Audit) -> HouseholdMembership:
    """Record a move of a person inside the caller's area to a household inside it too."""
    ensure_in_scope(caller, PEOPLE_WRITE, service.resident_area(session, resident_id),
                    "resident", resident_id)
    path = registry.household_area(session, household_id)
    if path is None or not caller.may(PEOPLE_WRITE, path):
        raise service.invalid([("household_id", _("no household %(id)d in your area",
                                                  id=household_id))])
    stay = service.move_resident(session, resident_id=resident_id, household_id=household_id,
                                 moved_on=moved_on, today=clock.local_day(clock.now()))
    audit("move", "resident", resident_id, person_id=resident_id)
    return stay
