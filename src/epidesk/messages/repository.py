"""Every query of the messages domain."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, func, or_, select, true
from sqlalchemy.orm import Session

from epidesk.geography.models import Community, Subdistrict
from epidesk.kit.access import AreaFilter, AreaPath
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


def message(session: Session, message_id: int) -> OutboundMessage | None:
    """A message by id."""
    return session.get(OutboundMessage, message_id)


def unrouted(session: Session, *, after_id: int, limit: int) -> list[OutboundMessage]:
    """Queued messages without a channel or a community yet, by id."""
    return list(session.scalars(
        select(OutboundMessage).where(OutboundMessage.state == "queued",
                                      OutboundMessage.id > after_id,
                                      or_(OutboundMessage.channel.is_(None),
                                          OutboundMessage.community_id.is_(None)))
        .order_by(OutboundMessage.id).limit(limit)))


def due_sms(session: Session, at: datetime, *, after_id: int, limit: int
            ) -> list[OutboundMessage]:
    """Queued SMS whose (next) attempt is due, by id."""
    return list(session.scalars(
        select(OutboundMessage).where(
            OutboundMessage.state == "queued", OutboundMessage.channel == "sms",
            OutboundMessage.id > after_id,
            or_(OutboundMessage.next_attempt_at.is_(None),
                OutboundMessage.next_attempt_at <= at))
        .order_by(OutboundMessage.id).limit(limit)))


def _in_area(area: AreaFilter) -> ColumnElement[bool]:
    if area.everywhere:
        return true()
    communities = select(Community.id).join(
        Subdistrict, Subdistrict.id == Community.subdistrict_id).where(or_(
            Community.id.in_(sorted(area.community_ids)),
            Community.subdistrict_id.in_(sorted(area.subdistrict_ids)),
            Subdistrict.district_id.in_(sorted(area.district_ids))))
    return OutboundMessage.community_id.in_(communities)


def worklist(session: Session, *, channel: str, area: AreaFilter,
             community_id: int | None = None, limit: int = 200, offset: int = 0
             ) -> list[OutboundMessage]:
    """Queued messages of a channel (calls to make, notices to deliver) in an area."""
    stmt = select(OutboundMessage).where(OutboundMessage.state == "queued",
                                         OutboundMessage.channel == channel,
                                         _in_area(area))
    if community_id is not None:
        stmt = stmt.where(OutboundMessage.community_id == community_id)
    return list(session.scalars(stmt.order_by(OutboundMessage.community_id,
                                              OutboundMessage.id).limit(limit).offset(offset)))


def community_area(session: Session, community_id: int) -> AreaPath | None:
    """The district, subdistrict and community of a community id."""
    row = session.execute(
        select(Subdistrict.district_id, Community.subdistrict_id)
        .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
        .where(Community.id == community_id)).first()
    if row is None:
        return None
    return AreaPath(district_id=row[0], subdistrict_id=row[1], community_id=community_id)


def community_name(session: Session, community_id: int) -> str:
    """A community's name (local)."""
    found = session.get(Community, community_id)
    return found.name_local if found else str(community_id)


def state_counts(session: Session) -> dict[tuple[str, str], int]:
    """Messages by (channel, state)."""
    rows = session.execute(select(OutboundMessage.channel, OutboundMessage.state, func.count())
                           .group_by(OutboundMessage.channel, OutboundMessage.state))
    return {(c or "unrouted", s): int(n) for c, s, n in rows}
