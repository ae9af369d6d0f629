"""The quarantine domain's dependencies and what it offers other parts of the kit."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epidesk.kit.merges import Merge, MergePart
from epidesk.quarantine import service
from epidesk.quarantine.placement import service as placement
from epidesk.quarantine.transfers import service as transfers


def _merge(session: Session, merge: Merge) -> list[str]:
    return [*service.merge_person_rows(session, merge),
            *placement.merge_person_rows(session, merge),
            *transfers.merge_person_rows(session, merge)]


person_merge = MergePart(
    covers=("quarantine_order.resident_id", "room_assignment.resident_id",
            "quarantine_order_event.resident_id", "placement_line.resident_id",
            "transfer_line.resident_id"),
    apply=_merge)
