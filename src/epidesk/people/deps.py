"""FastAPI dependencies of the people domain, shared by its api and pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from epidesk.kit.access import PEOPLE_READ, PEOPLE_WRITE, Caller
from epidesk.kit.merges import MergePart
from epidesk.kit.panels import Audit, Panel, person_panels
from epidesk.kit.web import require
from epidesk.people import service
from epidesk.people.merging import service as merging
from epidesk.people.schemas import PanelOut, PersonDetail

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
