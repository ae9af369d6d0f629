"""FastAPI dependencies of the messages domain: the call list and printed notices inside
the caller's area, and the person's record of messages."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError
from epidesk.kit import clock
from epidesk.kit.access import MESSAGES_SEND, AreaPath, Caller
from epidesk.kit.merges import MergePart
from epidesk.kit.panels import Audit, Panel
from epidesk.kit.web import require
from epidesk.messages import repository, service
from epidesk.messages.models import OutboundMessage
from epidesk.people import repository as people

Sender = Annotated[Caller, Depends(require(MESSAGES_SEND))]


def message_for(session: Session, caller: Caller, message_id: int) -> OutboundMessage:
    """A message worked in the caller's area, else not found."""
    found = repository.message(session, message_id)
    area = (repository.community_area(session, found.community_id)
            if found is not None and found.community_id is not None else None)
    if found is None or not (caller.area_for(MESSAGES_SEND).everywhere if area is None
                             else caller.may(MESSAGES_SEND, area)):
        raise NotFoundError(f"no message {message_id}")
    return found


def worklist(session: Session, caller: Caller, *, channel: str,
             community_id: int | None = None) -> list[dict[str, Any]]:
    """Calls to make or notices to deliver in the caller's area, with whom they are for."""
    found = repository.worklist(session, channel=channel, area=caller.area_for(MESSAGES_SEND),
                                community_id=community_id)
    residents = people.residents_by_id(
        session, [m.resident_id for m in found if m.resident_id is not None])
    labels = people.household_labels(
        session, sorted({r.household_id for r in residents.values()}
                        | {m.household_id for m in found if m.household_id is not None}))
    out = []
    for m in found:
        person = residents.get(m.resident_id) if m.resident_id is not None else None
        household = person.household_id if person is not None else m.household_id
        out.append({
            "id": m.id, "topic": m.topic, "channel": m.channel, "recipient": m.recipient,
            "language": m.language, "body": m.body, "attempts": m.attempts,
            "last_error": m.last_error, "community_id": m.community_id,
            "community": repository.community_name(session, m.community_id)
            if m.community_id else "",
            "resident_id": m.resident_id, "household_id": m.household_id,
            "name": person.name if person is not None else "",
            "address": labels.get(household, "") if household is not None else "",
            "created_at": clock.aware(m.created_at).isoformat()})
    return out


def people_in(items: list[dict[str, Any]]) -> list[int]:
    """The residents a worklist names, for the audit log."""
    return sorted({i["resident_id"] for i in items if i["resident_id"] is not None})


def person_panel(session: Session, *, caller: Caller, resident_id: int, area: AreaPath,
                 audit: Audit) -> Panel | None:
    """The person's record: the newest messages to the resident and their delivery state."""
    if not caller.may(MESSAGES_SEND, area):
        return None
    found = repository.for_resident(session, resident_id, limit=20)
    if not found:
        return None
    audit("read", "resident_messages", resident_id, person_id=resident_id)
    rows = [{"id": m.id, "topic": m.topic, "channel": m.channel or "unrouted",
             "state": m.state, "attempts": m.attempts,
             "created_at": clock.aware(m.created_at).isoformat()} for m in found]
    return Panel(key="messages", title="Messages", template="messages/_person_panel.html",
                 data={"messages": rows}, view=rows,
                 summary=f"{len(rows)} message(s), "
                         f"{sum(r['state'] == 'queued' for r in rows)} waiting")


mark_call = service.mark_call
mark_delivered = service.mark_delivered

# Messages to a merged record are the survivor's; nothing to settle.
person_merge = MergePart(covers=("outbound_message.resident_id",), apply=repository.merge_rows)
