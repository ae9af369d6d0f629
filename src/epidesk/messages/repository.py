"""Every query of the messages domain."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.kit.merges import Merge, repoint
from epidesk.messages.models import OutboundMessage


def by_reference(session: Session, topic: str, reference: str) -> OutboundMessage | None:
    """The message queued under a topic and reference, if any."""
    return session.scalar(select(OutboundMessage).where(
        OutboundMessage.topic == topic, OutboundMessage.reference == reference))


def for_resident(session: Session, resident_id: int, *, limit: int) -> list[OutboundMessage]:
    """The newest messages to a resident, newest first."""
    return list(session.scalars(
        select(OutboundMessage).where(OutboundMessage.resident_id == resident_id)
        .order_by(OutboundMessage.id.desc()).limit(limit)))


def merge_rows(session: Session, merge: Merge) -> list[str]:
    """Messages to the merged record now name the survivor."""
    moved = repoint(session, OutboundMessage, "resident_id", merge)
    return [f"{moved} message(s) moved"]
