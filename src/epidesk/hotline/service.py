"""Use cases of the hotline: filing, answering, resolving and escalating tickets, the
targets per category, following a ticket by reference, the public forms' rate limit.
Session first, keyword-only after; flush only."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError, TooManyRequestsError, ValidationFailedError
from epidesk.hotline import repository, rules
from epidesk.hotline.models import HotlineTarget, PublicHit, Ticket, TicketUpdate
from epidesk.hotline.stats import service as stats
from epidesk.kit import clock, i18n
from epidesk.kit.i18n import _
from epidesk.messages import service as messages
from epidesk.people import repository as people
from epidesk.quarantine import repository as quarantine_facilities
from epidesk.quarantine import service as quarantine
from epidesk.quarantine.schemas import ComplaintIn


@dataclass(frozen=True)
class NewTicket:
    """What a caller, a form or an operator gives for a new ticket."""

    channel: str
    category: str
    description: str
    contact_name: str = ""
    contact_phone: str = ""
    address_text: str = ""
    lat: float | None = None
    lon: float | None = None
    language: str = "zh"
    resident_id: int | None = None
    community_id: int | None = None
    facility_id: int | None = None


def _invalid(field: str, message: str) -> ValidationFailedError:
    return ValidationFailedError(f"{field}: {message}", field=field)


def targets(session: Session) -> dict[str, rules.Targets]:
    """Every category's targets in force (the defaults, unless set apart)."""
    custom = repository.custom_targets(session)
    return {c: (rules.Targets(custom[c].first_response_minutes, custom[c].resolution_minutes)
                if c in custom else d) for c, d in rules.CATEGORIES.items()}


def set_targets(session: Session, *, category: str, first_response_minutes: int,
                resolution_minutes: int, actor: str) -> rules.Targets:
    """Set a category's targets for tickets received from now on."""
    if category not in rules.CATEGORIES:
        raise _invalid("category", f"unknown category {category!r}")
    problem = rules.check_targets(first_response_minutes, resolution_minutes)
    if problem:
        raise _invalid("first_response_minutes" if "first" in problem.split()[0]
                       else "resolution_minutes", problem)
    row = session.get(HotlineTarget, category)
    if row is None:
        row = HotlineTarget(category=category)
        session.add(row)
    row.first_response_minutes = first_response_minutes
    row.resolution_minutes = resolution_minutes
    row.updated_at = clock.now()
    row.updated_by = actor
    session.flush()
    return rules.Targets(first_response_minutes, resolution_minutes)


def _check(session: Session, new: NewTicket) -> NewTicket:
    if new.channel not in rules.CHANNELS:
        raise _invalid("channel", f"one of {', '.join(rules.CHANNELS)}")
    if new.category not in rules.CATEGORIES:
        raise _invalid("category", f"one of {', '.join(rules.CATEGORIES)}")
    if not new.description.strip():
        raise _invalid("description", "say what the ticket is about")
    if new.language not in ("zh", "en"):
        raise _invalid("language", "zh or en")
    if (new.lat is None) != (new.lon is None):
        raise _invalid("lat", "give both latitude and longitude, or neither")
    if new.lat is not None and new.lon is not None and not (
            -90 <= new.lat <= 90 and -180 <= new.lon <= 180):
        raise _invalid("lat", "latitude from -90 to 90 and longitude from -180 to 180")
    community_id = new.community_id
    if new.resident_id is not None:
        found = people.resident_by_id(session, new.resident_id)
        if found is None:
            raise _invalid("resident_id", f"no resident {new.resident_id}")
        community_id = found.community_id
    elif community_id is not None and repository.community_area(session, community_id) is None:
        raise _invalid("community_id", f"no community {community_id}")
    if new.facility_id is not None:
        if new.category != "quarantine_conditions":
            raise _invalid("facility_id", "a facility is named only in a complaint about "
                                          "quarantine conditions")
        if quarantine_facilities.facility(session, new.facility_id) is None:
            raise _invalid("facility_id", f"no facility {new.facility_id}")
    return NewTicket(**{**new.__dict__, "community_id": community_id,
                        "description": new.description.strip(),
                        "contact_name": new.contact_name.strip(),
                        "contact_phone": new.contact_phone.strip(),
                        "address_text": new.address_text.strip()})


def _fresh_reference(session: Session) -> str:
    while True:
        found = rules.new_reference()
        if not repository.reference_taken(session, found):
            return found


def _log(session: Session, ticket: Ticket, *, kind: str, note: str, actor: str, public: bool,
         at: datetime) -> TicketUpdate:
    entry = TicketUpdate(ticket_id=ticket.id, at=at, kind=kind, public=public, note=note,
                         actor=actor)
    session.add(entry)
    session.flush()
    return entry


def _recompute(ticket: Ticket, at: datetime) -> int:
    """The breach state as of `at`; returns the escalation level the clock calls for."""
    state = rules.clock_state(
        at=at, first_response_due=clock.aware(ticket.first_response_due),
        resolution_due=clock.aware(ticket.resolution_due),
        first_response_at=clock.aware(ticket.first_response_at) if ticket.first_response_at
        else None,
        resolved_at=clock.aware(ticket.resolved_at) if ticket.resolved_at else None,
        first_response_minutes=ticket.first_response_minutes,
        resolution_minutes=ticket.resolution_minutes)
    ticket.breach = state.breach
    return state.escalation


def file_ticket(session: Session, new: NewTicket, *, actor: str,
                at: datetime | None = None) -> Ticket:
    """Record a new ticket with the targets of its category stated in it."""
    checked = _check(session, new)
    moment = at or clock.now()
    target = targets(session)[checked.category]
    first_due, resolution_due = rules.due_times(moment, target)
    ticket = Ticket(
        reference=_fresh_reference(session), channel=checked.channel,
        category=checked.category, description=checked.description,
        contact_name=checked.contact_name, contact_phone=checked.contact_phone,
        address_text=checked.address_text, lat=checked.lat, lon=checked.lon,
        language=checked.language, resident_id=checked.resident_id,
        community_id=checked.community_id, facility_id=checked.facility_id, status="open",
        first_response_minutes=target.first_response_minutes,
        resolution_minutes=target.resolution_minutes, received_at=moment,
        first_response_due=first_due, resolution_due=resolution_due, updated_at=moment,
        breach="none", escalation=0, assigned_to="", outcome="", resolution_note="",
        created_by=actor)
    session.add(ticket)
    session.flush()
    if ticket.facility_id is not None:
        # The complaint counts in the facility's record (by the ticket's number: its
        # reference stays the resident's).
        quarantine.link_complaint(
            session, facility_id=ticket.facility_id, received_at=moment,
            complaint=ComplaintIn(source="hotline", reference=f"ticket {ticket.id}",
                                  summary=ticket.description[:4000]))
    _log(session, ticket, kind="received", note="", actor=actor, public=True, at=moment)
    stats.touch(session, ticket)
    return ticket


def get_ticket(session: Session, *, ticket_id: int) -> Ticket:
    """A ticket, or not found."""
    found = repository.ticket(session, ticket_id)
    if found is None:
        raise NotFoundError(f"no ticket {ticket_id}")
    return found


def note_step(session: Session, *, ticket: Ticket, kind: str, note: str, actor: str,
              at: datetime | None = None) -> TicketUpdate:
    """A staff line in a ticket's history written by work done elsewhere (an escorted
    trip dispatched, handed over, closed)."""
    moment = at or clock.now()
    ticket.updated_at = moment
    return _log(session, ticket, kind=kind, note=note, actor=actor, public=False, at=moment)


def _notify(session: Session, ticket: Ticket, entry: TicketUpdate) -> None:
    """Send a public update to the resident the ticket concerns, in their language."""
    if ticket.resident_id is None:
        return
    with i18n.using(ticket.language):
        body = _("Hotline ticket %(reference)s: %(status)s. %(note)s",
                 reference=ticket.reference, status=i18n.label(ticket.status, "hotline_status"),
                 note=entry.note).strip()
    messages.enqueue(session, topic="hotline.ticket_update",
                     reference=f"ticket:{ticket.id}:update:{entry.id}", body=body,
                     language=ticket.language, actor=entry.actor,
                     resident_id=ticket.resident_id)


def _open(ticket: Ticket) -> None:
    if ticket.status == "resolved":
        raise ValidationFailedError("the ticket is resolved; reopen it first", field="status")


def respond(session: Session, *, ticket: Ticket, note: str, actor: str, public: bool = True,
            at: datetime | None = None) -> TicketUpdate:
    """An answer to the resident (public) or a note for staff; the first public answer is
    the ticket's first response."""
    _open(ticket)
    if not note.strip():
        raise _invalid("note", "write the answer or the note")
    moment = at or clock.now()
    entry = _log(session, ticket, kind="response" if public else "note", note=note.strip(),
                 actor=actor, public=public, at=moment)
    if public and ticket.first_response_at is None:
        ticket.first_response_at = moment
        ticket.status = "answered"
    if not ticket.assigned_to:
        ticket.assigned_to = actor
    ticket.updated_at = moment
    _recompute(ticket, moment)
    if public:
        _notify(session, ticket, entry)
    stats.touch(session, ticket)
    return entry


def resolve(session: Session, *, ticket: Ticket, note: str, actor: str, outcome: str = "",
            at: datetime | None = None) -> TicketUpdate:
    """Close a ticket with what was done (an appeal's outcome among rules.OUTCOMES)."""
    _open(ticket)
    if not note.strip():
        raise _invalid("note", "say how the ticket was resolved")
    if outcome and outcome not in rules.OUTCOMES:
        raise _invalid("outcome", f"one of {', '.join(rules.OUTCOMES)}")
    moment = at or clock.now()
    entry = _log(session, ticket, kind="resolved", note=note.strip(), actor=actor, public=True,
                 at=moment)
    if ticket.first_response_at is None:  # the resolution answers the resident too
        ticket.first_response_at = moment
    ticket.resolved_at = moment
    ticket.status = "resolved"
    ticket.outcome = outcome
    ticket.resolution_note = note.strip()
    ticket.updated_at = moment
    _recompute(ticket, moment)
    _notify(session, ticket, entry)
    stats.touch(session, ticket)
    return entry


def reopen(session: Session, *, ticket: Ticket, note: str, actor: str,
           at: datetime | None = None) -> TicketUpdate:
    """Reopen a resolved ticket (its due times stay: it is late if they passed)."""
    if ticket.status != "resolved":
        raise ValidationFailedError("only a resolved ticket can be reopened", field="status")
    if not note.strip():
        raise _invalid("note", "say why the ticket is reopened")
    moment = at or clock.now()
    ticket.resolved_at = None
    ticket.status = "answered"
    ticket.outcome = ""
    ticket.updated_at = moment
    entry = _log(session, ticket, kind="reopened", note=note.strip(), actor=actor, public=True,
                 at=moment)
    ticket.escalation = max(ticket.escalation, _recompute(ticket, moment))
    stats.touch(session, ticket)
    return entry


ESCALATION_NOTES = {1: "target missed: passed to a supervisor",
                    2: "target missed twice over: passed to the command centre"}


def escalate_due(session: Session, *, at: datetime | None = None, actor: str = "escalation"
                 ) -> dict[str, int]:
    """Recompute the clock of every unresolved ticket with a due time passed, and raise its
    escalation to what it has earned (one history line per level reached). Safe to run
    any number of times: a second run at the same moment changes nothing."""
    moment = at or clock.now()
    counts = {"checked": 0, "to_supervisor": 0, "to_command_centre": 0}
    after = 0
    while batch := repository.due_before(session, moment, after_id=after):
        for ticket in batch:
            counts["checked"] += 1
            level = _recompute(ticket, moment)
            while ticket.escalation < level:
                ticket.escalation += 1
                ticket.updated_at = moment
                _log(session, ticket, kind="escalated", note=ESCALATION_NOTES[ticket.escalation],
                     actor=actor, public=False, at=moment)
                counts["to_supervisor" if ticket.escalation == 1 else "to_command_centre"] += 1
        after = batch[-1].id
        session.flush()
    return counts


def escalate_by_hand(session: Session, *, ticket: Ticket, note: str, actor: str) -> Ticket:
    """An operator passes a ticket up one level (to a supervisor, then the command centre)."""
    _open(ticket)
    if ticket.escalation >= 2:
        raise ValidationFailedError("the ticket is already with the command centre",
                                    field="escalation")
    if not note.strip():
        raise _invalid("note", "say why the ticket is passed up")
    moment = clock.now()
    ticket.escalation += 1
    ticket.updated_at = moment
    _log(session, ticket, kind="escalated", note=note.strip(), actor=actor, public=False,
         at=moment)
    _recompute(ticket, moment)
    return ticket


def follow(session: Session, *, reference: str) -> Ticket | None:
    """The ticket a resident follows: None for an unknown or a malformed reference alike."""
    found = rules.normal_reference(reference)
    return repository.by_reference(session, found) if found else None


# The public forms: at most LIMIT uses per caller address in WINDOW, per kind of use.
LIMITS = {"file": (5, timedelta(hours=1)), "follow": (30, timedelta(hours=1))}


def limit_rate(session: Session, *, kind: str, address: str, at: datetime | None = None
               ) -> None:
    """Count one use of a public form by an address; refuse (429) past the limit."""
    most, window = LIMITS[kind]
    moment = at or clock.now()
    key = f"{kind}:" + hashlib.sha256(address.encode()).hexdigest()[:32]
    if repository.count_hits(session, key, moment - window) >= most:
        raise TooManyRequestsError(_("too many requests from your address; try again in an "
                                     "hour, or call the hotline"))
    session.add(PublicHit(key=key, at=moment))
    repository.forget_hits(session, moment - max(w for _, w in LIMITS.values()))
    session.flush()
