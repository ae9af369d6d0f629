"""JSON routes of the hotline: tickets for staff (queue, one ticket, answers, resolution,
escalation, targets, the escalation job) and for the public (file one, follow one by
reference: no name, contact, address or place)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from epidesk.errors import NotFoundError, ValidationFailedError
from epidesk.hotline import rules, service
from epidesk.hotline.appeals.rules import AppealAnswer
from epidesk.hotline.deps import (
    Operator,
    Supervisor,
    address,
    appeal_evidence,
    categories,
    check_resident,
    close_appeal,
    public_view,
    queue,
    staff_view,
    ticket_for,
)
from epidesk.hotline.escorts import api as escorts_api
from epidesk.hotline.escorts import service as escorts
from epidesk.hotline.escorts.deps import trips_out
from epidesk.hotline.schemas import (
    AppealIn,
    Category,
    EscalateIn,
    PublicTicketIn,
    ResolveIn,
    ResponseIn,
    TargetsIn,
    TicketIn,
)
from epidesk.kit import clock
from epidesk.kit.inputs import DIGITS, Ge, Le, Offset
from epidesk.kit.web import PROBLEM_RESPONSES, PUBLIC_PROBLEM_RESPONSES, AuditDep, DbSession, Id

router = APIRouter(responses=PROBLEM_RESPONSES, tags=["hotline"])
public = APIRouter(responses={**PUBLIC_PROBLEM_RESPONSES,
                              429: {"description": "Too many requests from this address"}},
                   tags=["public"])
Reference = Annotated[str, Path(max_length=40, description="The ticket's reference, "
                                                           "e.g. HX7K2-M9PQ4")]
Status = Annotated[str, Query(pattern="^(open|answered|resolved|unresolved)$")]


@public.get("/public/hotline/categories", summary="Hotline categories and their targets")
def list_categories(session: DbSession) -> list[dict[str, Any]]:
    """Each category with the minutes within which a ticket should be first answered and
    resolved."""
    return categories(session)


@public.post("/public/hotline/tickets", status_code=201, summary="File a hotline ticket")
def file_public(request: Request, session: DbSession, body: PublicTicketIn) -> dict[str, Any]:
    """File a ticket without an account; keep the reference to follow it. Rate-limited per
    address."""
    service.limit_rate(session, kind="file", address=address(request))
    ticket = service.file_ticket(session, service.NewTicket(
        channel="web", category=body.category, description=body.description,
        contact_name=body.contact_name, contact_phone=body.contact_phone,
        address_text=body.address_text, language=body.language,
        facility_id=body.facility_id), actor="public")
    return public_view(session, ticket)


@public.get("/public/hotline/tickets/{reference}", summary="Follow a ticket by reference")
def follow_public(request: Request, session: DbSession, reference: Reference
                  ) -> dict[str, Any]:
    """A ticket's state, targets, due times and public answers; an unknown reference and
    a malformed one read alike. Rate-limited per address."""
    service.limit_rate(session, kind="follow", address=address(request))
    ticket = service.follow(session, reference=reference)
    if ticket is None:
        raise NotFoundError("no ticket with this reference")
    return public_view(session, ticket)


@router.get("/hotline/tickets", summary="The hotline queue")
def list_tickets(session: DbSession, caller: Operator, audit: AuditDep,
                 status: Status = "unresolved", category: Annotated[
                     Category | None, Query()] = None,
                 escalation: Annotated[int, Ge(0), Le(2), DIGITS, Query()] = 0,
                 limit: Annotated[int, Ge(1), Le(500), DIGITS, Query()] = 50,
                 offset: Annotated[Offset, Query()] = 0) -> list[dict[str, Any]]:
    """Tickets in the caller's area, the most escalated and the soonest due first."""
    statuses = ("open", "answered") if status == "unresolved" else (status,)
    found = queue(session, caller, statuses=statuses, category=category,
                  min_escalation=escalation, limit=limit, offset=offset)
    audit("read", "hotline_queue", status,
          people=[t.resident_id for t in found if t.resident_id is not None])
    return [staff_view(session, t, history=False) for t in found]


@router.post("/hotline/tickets", status_code=201, summary="Enter a ticket for a resident")
def file_ticket(session: DbSession, caller: Operator, audit: AuditDep, body: TicketIn
                ) -> dict[str, Any]:
    """A ticket taken by phone, SMS or a community worker, for a resident with or without
    a smartphone."""
    check_resident(session, caller, body.resident_id)
    ticket = service.file_ticket(session, service.NewTicket(**body.model_dump()),
                                 actor=caller.username)
    ticket = ticket_for(session, caller, ticket.id)
    audit("create", "hotline_ticket", ticket.id, person_id=ticket.resident_id)
    return staff_view(session, ticket)


@router.get("/hotline/tickets/{ticket_id}", summary="One ticket")
def get_ticket(session: DbSession, caller: Operator, audit: AuditDep, ticket_id: Id
               ) -> dict[str, Any]:
    """A ticket with its history (public answers and staff notes); an appeal also with
    the evidence behind the decision appealed, as far as the caller may see it."""
    ticket = ticket_for(session, caller, ticket_id)
    audit("read", "hotline_ticket", ticket.id, person_id=ticket.resident_id)
    out = staff_view(session, ticket)
    trips = trips_out(session, escorts.trips_of_ticket(session, ticket_id=ticket.id),
                      clock.now())
    if trips:
        audit("read", "escort_trips", f"ticket {ticket.id}",
              people=[t.resident_id for t in trips])
    out["escorted_trips"] = [t.model_dump(mode="json") for t in trips]
    out["evidence"] = {p.key: p.data for p in appeal_evidence(session, caller, ticket, audit)}
    return out


@router.post("/hotline/tickets/{ticket_id}/responses", summary="Answer or note")
def respond(session: DbSession, caller: Operator, audit: AuditDep, ticket_id: Id,
            body: ResponseIn) -> dict[str, Any]:
    """An answer to the resident (sent to them when known) or a note for staff."""
    ticket = ticket_for(session, caller, ticket_id)
    service.respond(session, ticket=ticket, note=body.note, actor=caller.username,
                    public=body.public)
    audit("update", "hotline_ticket", ticket.id, person_id=ticket.resident_id)
    return staff_view(session, ticket)


@router.post("/hotline/tickets/{ticket_id}/resolve", summary="Resolve a ticket")
def resolve(session: DbSession, caller: Operator, audit: AuditDep, ticket_id: Id,
            body: ResolveIn) -> dict[str, Any]:
    """Close a ticket with what was done."""
    ticket = ticket_for(session, caller, ticket_id)
    if body.outcome and ticket.category in rules.APPEALS:
        raise ValidationFailedError(
            "outcome: an appeal ends with its outcome through POST "
            f"/api/hotline/tickets/{ticket.id}/appeal, which records the decision",
            field="outcome")
    service.resolve(session, ticket=ticket, note=body.note, actor=caller.username,
                    outcome=body.outcome or "")
    audit("update", "hotline_ticket", ticket.id, person_id=ticket.resident_id)
    return staff_view(session, ticket)


@router.post("/hotline/tickets/{ticket_id}/appeal", summary="End an appeal")
def end_appeal(session: DbSession, caller: Operator, audit: AuditDep, ticket_id: Id,
               body: AppealIn) -> dict[str, Any]:
    """End a classification or zone appeal: the decision confirmed, changed (a new tier, no
    classification, or a new end date; a zone's new area) or the appeal withdrawn, with the
    reason. A classification decision is recorded in tracing (it needs 'tracing.run' in
    the resident's area) and the quarantine orders resting on it follow at once; the
    ticket is resolved with the outcome."""
    ticket = ticket_for(session, caller, ticket_id)
    done = close_appeal(session, caller, ticket, AppealAnswer(**body.model_dump()))
    audit("update", "hotline_ticket", ticket.id, person_id=ticket.resident_id)
    if done.decision_id is not None and ticket.resident_id is not None:
        audit("update", "contact", ticket.resident_id, person_id=ticket.resident_id)
    out = staff_view(session, ticket)
    out["appeal"] = {"decision_id": done.decision_id, "zone_id": done.zone_id,
                     "orders": done.orders}
    return out


@router.post("/hotline/tickets/{ticket_id}/escalate", summary="Pass a ticket up")
def escalate(session: DbSession, caller: Operator, audit: AuditDep, ticket_id: Id,
             body: EscalateIn) -> dict[str, Any]:
    """Pass a ticket to a supervisor, or from a supervisor to the command centre."""
    ticket = ticket_for(session, caller, ticket_id)
    service.escalate_by_hand(session, ticket=ticket, note=body.note, actor=caller.username)
    audit("update", "hotline_ticket", ticket.id, person_id=ticket.resident_id)
    return staff_view(session, ticket)


@router.post("/hotline/escalation", summary="Run the escalation job")
def run_escalation(session: DbSession, caller: Supervisor) -> dict[str, int]:
    """Recompute the clocks of tickets past a due time and pass them up (safe to repeat)."""
    return service.escalate_due(session, actor=caller.username)


@router.put("/hotline/targets/{category}", summary="Set a category's targets")
def set_targets(session: DbSession, caller: Supervisor, category: Category,
                body: TargetsIn) -> list[dict[str, Any]]:
    """Targets for tickets received from now on (open tickets keep theirs)."""
    service.set_targets(session, category=category,
                        first_response_minutes=body.first_response_minutes,
                        resolution_minutes=body.resolution_minutes, actor=caller.username)
    return categories(session)


router.include_router(public)
# Escorted medical trips, under the same /api prefix.
router.include_router(escorts_api.router)
