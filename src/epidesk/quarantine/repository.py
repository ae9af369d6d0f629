"""Every query of the quarantine domain."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epidesk.kit.merges import Merge, repoint
from epidesk.quarantine.models import OrderEvent, QuarantineOrder, RoomAssignment


def merge_rows(session: Session, merge: Merge) -> dict[str, int]:
    """Move the merged record's orders, room assignments and order events to the
    survivor; returns how many rows of each moved."""
    return {
        "orders": repoint(session, QuarantineOrder, "resident_id", merge),
        "room assignments": repoint(session, RoomAssignment, "resident_id", merge),
        "order events": repoint(session, OrderEvent, "resident_id", merge),
    }
