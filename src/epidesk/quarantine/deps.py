"""The quarantine domain's dependencies and what it offers other parts of the kit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from epidesk.kit.access import PEOPLE_READ, QUARANTINE_WRITE, TRANSPORT_WRITE, AreaPath, Caller
from epidesk.kit.merges import Merge, MergePart
from epidesk.kit.panels import Audit, Panel
from epidesk.kit.tiles import Tile
from epidesk.quarantine import service
from epidesk.quarantine.placement import service as placement
from epidesk.quarantine.transfers import service as transfers
from epidesk.quarantine.transfers.deps import transfer_panel


def _merge(session: Session, merge: Merge) -> list[str]:
    return [*service.merge_person_rows(session, merge),
            *placement.merge_person_rows(session, merge),
            *transfers.merge_person_rows(session, merge)]


person_merge = MergePart(
    covers=("quarantine_order.resident_id", "room_assignment.resident_id",
            "quarantine_order_event.resident_id", "placement_line.resident_id",
            "transfer_line.resident_id"),
    apply=_merge)


def person_panel(session: Session, *, caller: Caller, resident_id: int, area: AreaPath,
                 audit: Audit) -> Panel | None:
    """The person's record: the room they are in and their latest transfers."""
    if not caller.may(PEOPLE_READ, area):
        return None
    found = transfer_panel(session, resident_id=resident_id)
    if found is None:
        return None
    audit("read", "resident_quarantine_place", resident_id, person_id=resident_id)
    room = found["room"]
    summary = (f"in room {room['room']} of {room['facility']}" if isinstance(room, dict)
               else "on a transfer")
    return Panel(key="quarantine", title="Room and transfers",
                 template="quarantine/transfers/_panel.html", data=found, view=found,
                 summary=summary)


def overview_tiles(session: Session, *, caller: Caller, today: dt.date) -> list[Tile]:
    """The command centre: people dispatched, arrived and missing on transfers (missing
    must reach zero), to transport coordinators and facility staff."""
    if not (caller.can(TRANSPORT_WRITE) or caller.can(QUARANTINE_WRITE)):
        return []
    return [Tile(key="quarantine.transfers", title="Transfers",
                 template="quarantine/transfers/_tile.html", link="/quarantine/transfers",
                 data=transfers.counts(session))]
