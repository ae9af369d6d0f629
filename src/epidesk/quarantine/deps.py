"""The quarantine domain's dependencies and what it offers other parts of the kit."""

from __future__ import annotations

from epidesk.kit.merges import MergePart
from epidesk.quarantine import service

person_merge = MergePart(
    covers=("quarantine_order.resident_id", "room_assignment.resident_id",
            "quarantine_order_event.resident_id"),
    apply=service.merge_person_rows)
