"""Every query of the hotline domain."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, or_, select, true
from sqlalchemy.orm import Session

from epidesk.geography.models import Community, Subdistrict
from epidesk.hotline.models import HotlineTarget, PublicHit, Ticket, TicketUpdate
from epidesk.kit.access import AreaFilter, AreaPath
from epidesk.kit.merges import Merge, repoint


def ticket(session: Session, ticket_id: int) -> Ticket | None:
    """A ticket by id."""
    return session.get(Ticket, ticket_id)


def by_reference(session: Session, reference: str) -> Ticket | None:
    """A ticket by its reference."""
    return session.scalar(select(Ticket).where(Ticket.reference == reference))


def reference_taken(session: Session, reference: str) -> bool:
    """Whether a reference is already in use."""
    return session.scalar(select(Ticket.id).where(Ticket.reference == reference)) is not None


def updates(session: Session, ticket_id: int, *, public_only: bool = False
            ) -> Sequence[TicketUpdate]:
    """A ticket's history, oldest first."""
    stmt = select(TicketUpdate).where(TicketUpdate.ticket_id == ticket_id)
    if public_only:
        stmt = stmt.where(TicketUpdate.public.is_(True))
    return session.scalars(stmt.order_by(TicketUpdate.at, TicketUpdate.id)).all()


def community_area(session: Session, community_id: int) -> AreaPath | None:
    """The district, subdistrict and community of a community id."""
    row = session.execute(
        select(Subdistrict.district_id, Community.subdistrict_id)
        .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
        .where(Community.id == community_id)).first()
    if row is None:
        return None
    return AreaPath(district_id=row[0], subdistrict_id=row[1], community_id=community_id)


def in_area(area: AreaFilter) -> ColumnElement[bool]:
    """Tickets inside an area (a ticket of no known community: city-wide readers only)."""
    if area.everywhere:
        return true()
    communities = select(Community.id).join(
        Subdistrict, Subdistrict.id == Community.subdistrict_id).where(or_(
            Community.id.in_(sorted(area.community_ids)),
            Community.subdistrict_id.in_(sorted(area.subdistrict_ids)),
            Subdistrict.district_id.in_(sorted(area.district_ids))))
    return Ticket.community_id.in_(communities)


def queue(session: Session, *, area: AreaFilter, statuses: Sequence[str],
          category: str | None = None, min_escalation: int = 0, limit: int = 50,
          offset: int = 0) -> Sequence[Ticket]:
    """Tickets in an area, the soonest due first (by resolution, then first response)."""
    stmt = select(Ticket).where(in_area(area), Ticket.status.in_(list(statuses)),
                                Ticket.escalation >= min_escalation)
    if category:
        stmt = stmt.where(Ticket.category == category)
    return session.scalars(stmt.order_by(Ticket.escalation.desc(), Ticket.first_response_due,
                                         Ticket.id).limit(limit).offset(offset)).all()


def due_before(session: Session, moment: datetime, *, batch: int = 1000,
               after_id: int = 0) -> Sequence[Ticket]:
    """Unresolved tickets with a target due before `moment`, by id (for the escalation job)."""
    return session.scalars(
        select(Ticket).where(Ticket.status != "resolved", Ticket.id > after_id, or_(
            Ticket.resolution_due < moment,
            (Ticket.first_response_at.is_(None)) & (Ticket.first_response_due < moment)))
        .order_by(Ticket.id).limit(batch)).all()


def overdue_counts(session: Session, *, area: AreaFilter) -> dict[int, int]:
    """Unresolved tickets by escalation level, in an area."""
    rows = session.execute(
        select(Ticket.escalation, func.count()).where(in_area(area), Ticket.status != "resolved")
        .group_by(Ticket.escalation))
    return {int(level): int(n) for level, n in rows}


def custom_targets(session: Session) -> dict[str, HotlineTarget]:
    """The categories whose targets were set apart from the defaults."""
    return {t.category: t for t in session.scalars(select(HotlineTarget))}


def for_resident(session: Session, resident_id: int, *, limit: int) -> Sequence[Ticket]:
    """A resident's newest tickets."""
    return session.scalars(select(Ticket).where(Ticket.resident_id == resident_id)
                           .order_by(Ticket.id.desc()).limit(limit)).all()


def count_hits(session: Session, key: str, since: datetime) -> int:
    """Uses of a public form by one caller since a moment."""
    return int(session.scalar(select(func.count()).select_from(PublicHit).where(
        PublicHit.key == key, PublicHit.at >= since)) or 0)


def forget_hits(session: Session, before: datetime) -> None:
    """Drop the limiter's rows older than its window."""
    session.execute(delete(PublicHit).where(PublicHit.at < before))


def merge_rows(session: Session, merge: Merge) -> list[str]:
    """Tickets of the merged record now name the survivor."""
    moved = repoint(session, Ticket, "resident_id", merge)
    return [f"{moved} hotline ticket(s) moved"]


def requests_page(session: Session, *, ids: Sequence[int] = (), service_code: str | None = None,
                  start: datetime | None = None, end: datetime | None = None,
                  open_only: bool | None = None, limit: int = 1000) -> Sequence[Ticket]:
    """Tickets for Open311's requests.json: the newest first, filtered."""
    stmt = select(Ticket)
    if ids:
        stmt = stmt.where(Ticket.id.in_(list(ids)))
    if service_code:
        stmt = stmt.where(Ticket.category == service_code)
    if start is not None:
        stmt = stmt.where(Ticket.received_at >= start)
    if end is not None:
        stmt = stmt.where(Ticket.received_at <= end)
    if open_only is True:
        stmt = stmt.where(Ticket.status != "resolved")
    elif open_only is False:
        stmt = stmt.where(Ticket.status == "resolved")
    return session.scalars(stmt.order_by(Ticket.received_at.desc(), Ticket.id.desc())
                           .limit(limit)).all()


def last_public_notes(session: Session, ticket_ids: Sequence[int]) -> dict[int, str]:
    """The newest public answer of each ticket that has one."""
    if not ticket_ids:
        return {}
    newest = (select(TicketUpdate.ticket_id, func.max(TicketUpdate.id).label("last"))
              .where(TicketUpdate.ticket_id.in_(list(ticket_ids)),
                     TicketUpdate.public.is_(True), TicketUpdate.note != "")
              .group_by(TicketUpdate.ticket_id).subquery())
    rows = session.execute(select(TicketUpdate.ticket_id, TicketUpdate.note)
                           .join(newest, newest.c.last == TicketUpdate.id))
    return {int(t): str(n) for t, n in rows}
