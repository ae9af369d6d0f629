"""FastAPI dependencies of the hotline, shared by its api and pages: who may do what,
tickets inside the caller's area, what staff and the public see of a ticket, and what
the hotline offers the person's record, the command centre and the publication."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from epidesk.auth.deps import client_address
from epidesk.errors import NotFoundError, PermissionDeniedError, ValidationFailedError
from epidesk.hotline import repository, rules, service
from epidesk.hotline.appeals import rules as appeal_rules
from epidesk.hotline.appeals import service as appeals
from epidesk.hotline.appeals.rules import AppealAnswer
from epidesk.hotline.escorts import deps as escorts
from epidesk.hotline.escorts import rules as escort_rules
from epidesk.hotline.escorts import service as escort_service
from epidesk.hotline.models import Ticket
from epidesk.hotline.stats import service as stats
from epidesk.kit import clock
from epidesk.kit.access import (
    HOTLINE_SUPERVISE,
    HOTLINE_WRITE,
    TRACING_RUN,
    ZONING_WRITE,
    AreaPath,
    Caller,
)
from epidesk.kit.i18n import _
from epidesk.kit.merges import Merge, MergePart
from epidesk.kit.panels import Audit, Panel
from epidesk.kit.tiles import Tile
from epidesk.kit.web import require
from epidesk.people import repository as people
from epidesk.tracing.deps import classification_panel
from epidesk.zoning import service as zoning
from epidesk.zoning.deps import person_panel as zoning_panel
from epidesk.zoning.deps import zone_detail, zone_for

Operator = Annotated[Caller, Depends(require(HOTLINE_WRITE))]
Supervisor = Annotated[Caller, Depends(require(HOTLINE_SUPERVISE))]


def ticket_area(session: Session, ticket: Ticket) -> AreaPath | None:
    """Where a ticket lies (None: no known community)."""
    if ticket.community_id is None:
        return None
    return repository.community_area(session, ticket.community_id)


def visible(session: Session, caller: Caller, ticket: Ticket,
            permission: str = HOTLINE_WRITE) -> bool:
    """Whether the caller may see a ticket: inside their area, or city-wide for a ticket
    of no known community."""
    area = ticket_area(session, ticket)
    if area is None:
        return caller.area_for(permission).everywhere
    return caller.may(permission, area)


def ticket_for(session: Session, caller: Caller, ticket_id: int,
               permission: str = HOTLINE_WRITE) -> Ticket:
    """A ticket inside the caller's area, else not found (as one that does not exist)."""
    found = repository.ticket(session, ticket_id)
    if found is None or not visible(session, caller, found, permission):
        raise NotFoundError(f"no ticket {ticket_id}")
    return found


def check_resident(session: Session, caller: Caller, resident_id: int | None) -> None:
    """A resident named in a new ticket must lie in the caller's area (else, as one that
    does not exist, 422 naming the field)."""
    if resident_id is None:
        return
    area = people.resident_area(session, resident_id)
    if area is None or not caller.may(HOTLINE_WRITE, area):
        raise ValidationFailedError(f"resident_id: no resident {resident_id}",
                                    field="resident_id")


def _moment(value: dt.datetime | None) -> str | None:
    return clock.aware(value).isoformat() if value is not None else None


def public_view(session: Session, ticket: Ticket) -> dict[str, Any]:
    """What whoever holds the reference sees: no name, contact, address or place."""
    return {
        "reference": ticket.reference, "category": ticket.category, "status": ticket.status,
        "channel": ticket.channel,
        "received_at": _moment(ticket.received_at), "updated_at": _moment(ticket.updated_at),
        "targets": {"first_response_minutes": ticket.first_response_minutes,
                    "resolution_minutes": ticket.resolution_minutes},
        "first_response_due": _moment(ticket.first_response_due),
        "resolution_due": _moment(ticket.resolution_due),
        "first_response_at": _moment(ticket.first_response_at),
        "resolved_at": _moment(ticket.resolved_at), "breach": ticket.breach,
        "outcome": ticket.outcome or None,
        "updates": [{"at": _moment(u.at), "kind": u.kind, "note": u.note}
                    for u in repository.updates(session, ticket.id, public_only=True)],
    }


def staff_view(session: Session, ticket: Ticket, *, history: bool = True) -> dict[str, Any]:
    """What hotline staff see (personal: the route audits it)."""
    out = public_view(session, ticket)
    out.update({
        "id": ticket.id, "description": ticket.description,
        "contact_name": ticket.contact_name, "contact_phone": ticket.contact_phone,
        "address_text": ticket.address_text, "lat": ticket.lat, "lon": ticket.lon,
        "language": ticket.language, "resident_id": ticket.resident_id,
        "community_id": ticket.community_id, "facility_id": ticket.facility_id,
        "escalation": ticket.escalation, "assigned_to": ticket.assigned_to,
        "resolution_note": ticket.resolution_note, "created_by": ticket.created_by,
    })
    if history:
        out["updates"] = [{"at": _moment(u.at), "kind": u.kind, "note": u.note,
                           "public": u.public, "actor": u.actor}
                          for u in repository.updates(session, ticket.id)]
    else:
        out.pop("updates")
    return out


def queue(session: Session, caller: Caller, *, statuses: tuple[str, ...], category: str | None,
          min_escalation: int, limit: int, offset: int) -> list[Ticket]:
    """Tickets in the caller's area, the most escalated and the soonest due first."""
    return list(repository.queue(session, area=caller.area_for(HOTLINE_WRITE),
                                 statuses=statuses, category=category,
                                 min_escalation=min_escalation, limit=limit, offset=offset))


def address(request: Request) -> str:
    """The caller's address, for the public forms' rate limit."""
    return client_address(request)


def appeal_evidence(session: Session, caller: Caller, ticket: Ticket, audit: Audit
                    ) -> list[Panel]:
    """What an appeal is against, as far as the reader may see it: the resident's contact
    classification with the evidence behind it (exposures, places, dates, the preset's
    rule) and the investigators' decisions (tracing's record, to readers of medical
    details in the area), and the zones over their home (zoning's record; for a zone
    appeal each zone's rule, dates, cases and history with reasons). Each domain checks
    the reader's permission and audits."""
    if ticket.category not in rules.APPEALS or ticket.resident_id is None:
        return []
    area = people.resident_area(session, ticket.resident_id)
    if area is None:
        return []
    found = []
    for source in (classification_panel, zoning_panel):
        panel = source(session, caller=caller, resident_id=ticket.resident_id, area=area,
                       audit=audit)
        if panel is not None:
            found.append(panel)
    zones = next((p for p in found if p.key == "zoning"), None)
    if ticket.category == appeal_rules.ZONE and zones is not None:
        details = [zone_detail(session, caller, zoning.get_zone(session, zone_id=z["id"]))
                   for z in zones.data["zones"]]
        found.append(Panel(key="zone_evidence", title=_("Evidence behind the zones"),
                           template="hotline/_zone_evidence.html", data={"zones": details},
                           view=details, summary=f"{len(details)} zone(s)"))
    return found


def close_appeal(session: Session, caller: Caller, ticket: Ticket, answer: AppealAnswer
               ) -> appeals.AppealEnd:
    """End an appeal as the caller: deciding on a classification needs an investigator
    ('tracing.run') in the resident's area, changing a zone a zoning officer of the
    zone's area; an appeal withdrawn by the resident, any operator of the ticket."""
    if answer.outcome != "withdrawn" and ticket.category == appeal_rules.CLASSIFICATION:
        area = (people.resident_area(session, ticket.resident_id)
                if ticket.resident_id is not None else None)
        if area is not None and not caller.may(TRACING_RUN, area):
            raise PermissionDeniedError("deciding on a classification needs the permission "
                                        "'tracing.run' in the resident's area")
    if answer.outcome == "changed" and ticket.category == appeal_rules.ZONE \
            and answer.zone_id is not None:
        zone_for(session, caller, answer.zone_id, ZONING_WRITE)
    return appeals.end_appeal(session, ticket=ticket, answer=answer, actor=caller.username)


def person_panel(session: Session, *, caller: Caller, resident_id: int, area: AreaPath,
                 audit: Audit) -> Panel | None:
    """The person's record: the resident's hotline tickets, to hotline staff in the area."""
    if not caller.may(HOTLINE_WRITE, area):
        return None
    found = repository.for_resident(session, resident_id, limit=20)
    trips = escorts.resident_trips(session, resident_id=resident_id)
    if not found and not trips:
        return None
    audit("read", "resident_tickets", resident_id, person_id=resident_id)
    tickets = [{"id": t.id, "reference": t.reference, "category": t.category,
                "status": t.status, "received_at": _moment(t.received_at),
                "breach": t.breach} for t in found]
    summary = (f"{len(tickets)} hotline ticket(s), "
               f"{sum(t['status'] != 'resolved' for t in tickets)} unresolved")
    if trips:
        summary += (f"; {len(trips)} escorted trip(s), "
                    f"{sum(t['status'] in escort_rules.OPEN for t in trips)} not closed")
    return Panel(key="hotline", title="Hotline tickets", template="hotline/_person_panel.html",
                 data={"tickets": tickets, "trips": trips},
                 view={"tickets": tickets, "escorted_trips": trips}, summary=summary)


def overview_tiles(session: Session, *, caller: Caller, today: dt.date) -> list[Tile]:
    """The command centre: unresolved tickets in the caller's area, and how many of them
    missed a target (with a supervisor, with the command centre)."""
    if not caller.can(HOTLINE_WRITE):
        return []
    counts = repository.overdue_counts(session, area=caller.area_for(HOTLINE_WRITE))
    return [Tile(key="hotline.overdue", title="Hotline tickets",
                 template="hotline/_tile.html", link="/hotline/staff?escalation=1",
                 data={"unresolved": sum(counts.values()),
                       "with_supervisor": counts.get(1, 0),
                       "with_command_centre": counts.get(2, 0)}),
            Tile(key="hotline.escorts", title=_("Escorted medical trips"),
                 template="hotline/escorts/_tile.html", link="/hotline/escorts",
                 data=escorts.tile_counts(session, caller, today=today))]


def categories(session: Session) -> list[dict[str, Any]]:
    """Every category with its targets in force."""
    return [{"code": code, "first_response_minutes": t.first_response_minutes,
             "resolution_minutes": t.resolution_minutes}
            for code, t in service.targets(session).items()]


CHANNELS = rules.CHANNELS

# Tickets naming a merged record now name the survivor.
def _merge(session: Session, merge: Merge) -> list[str]:
    """Tickets, escorted trips and treatment plans move to the survivor."""
    return [*repository.merge_rows(session, merge),
            *escort_service.merge_person_rows(session, merge)]


person_merge = MergePart(covers=("hotline_ticket.resident_id", "escort_trip.resident_id",
                                 "escort_plan.resident_id"), apply=_merge)
public_tables = stats.public_tables
