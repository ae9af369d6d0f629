"""HTML routes of the hotline: the public form and the page that follows a ticket by its
reference (Chinese and English, nothing personal), and the staff pages (the queue, a
ticket with its history and the forms that answer, resolve and pass it up, a ticket
entered for a resident)."""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from epidesk.auth.deps import PRESESSION_COOKIE
from epidesk.config import get_settings
from epidesk.errors import (
    ConflictError,
    DomainError,
    TooManyRequestsError,
    ValidationFailedError,
)
from epidesk.hotline import rules, service
from epidesk.hotline.appeals import rules as appeal_rules
from epidesk.hotline.appeals.rules import AppealAnswer
from epidesk.hotline.deps import (
    Operator,
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
from epidesk.hotline.escorts import pages as escorts_pages
from epidesk.hotline.escorts import rules as escort_rules
from epidesk.hotline.escorts import service as escorts
from epidesk.hotline.escorts.deps import trips_out
from epidesk.hotline.open311.api import router as open311_router
from epidesk.kit import clock
from epidesk.kit.clock import format_local
from epidesk.kit.i18n import _, _l, register_labels
from epidesk.kit.inputs import OptionalDay, OptionalId, parse
from epidesk.kit.templating import render
from epidesk.kit.web import AuditDep, DbSession, Id, check_csrf, csrf_token

router = APIRouter(include_in_schema=False)
CsrfField = Annotated[str, Form(alias="csrf_token", max_length=128)]

# The keys the staff pages show, in words.
register_labels("hotline_breach", {
    "none": _l("none"), "first_response": _l("first answer"),
    "resolution": _l("resolution"),
})
register_labels("hotline_level", {
    "0": _l("operators"), "1": _l("supervisor"), "2": _l("command centre"),
})
register_labels("hotline_with", {
    "0": _l("operators"), "1": _l("a supervisor"), "2": _l("the command centre"),
})
register_labels("hotline_outcome", {
    "confirmed": _l("decision confirmed"), "changed": _l("decision changed"),
    "withdrawn": _l("appeal withdrawn"),
})
register_labels("hotline_update", {
    "received": _l("received"), "response": _l("answer"), "note": _l("staff note"),
    "resolved": _l("resolved"), "reopened": _l("reopened"), "escalated": _l("passed up"),
    "escort": _l("escorted trip"),
})


def _public_form(request: Request, session: DbSession, *, form: dict[str, str],
                 error: str | None = None, status_code: int = 200) -> Response:
    token = csrf_token(request)
    fresh = not token
    if fresh:
        token = secrets.token_urlsafe(32)
    response = render(request, "hotline/file.html", {
        "csrf_token": token, "categories": categories(session), "form": form, "error": error,
    }, status_code)
    if fresh:
        response.set_cookie(PRESESSION_COOKIE, token, httponly=True, samesite="strict",
                            secure=get_settings().cookie_secure, max_age=3600)
    return response


@router.get("/hotline")
def file_page(request: Request, session: DbSession) -> Response:
    """The public form: a ticket without an account."""
    return _public_form(request, session, form={})


@router.post("/hotline")
def file_form(request: Request, session: DbSession,
              category: Annotated[str, Form(max_length=32)] = "",
              description: Annotated[str, Form(max_length=4000)] = "",
              contact_name: Annotated[str, Form(max_length=64)] = "",
              contact_phone: Annotated[str, Form(max_length=32)] = "",
              address_text: Annotated[str, Form(max_length=200)] = "",
              facility_id: Annotated[str, Form(max_length=12)] = "",
              csrf_token_: CsrfField = "") -> Response:
    """File the public form; the answer shows the reference to follow it by."""
    check_csrf(request, csrf_token_)
    form = {"category": category, "description": description, "contact_name": contact_name,
            "contact_phone": contact_phone, "address_text": address_text,
            "facility_id": facility_id}
    try:
        service.limit_rate(session, kind="file", address=address(request))
        if contact_phone.strip() and not all(c in "0123456789+ ()-" for c in contact_phone):
            raise ValidationFailedError(_("contact_phone: digits only"),
                                                field="contact_phone")
        ticket = service.file_ticket(session, service.NewTicket(
            channel="web", category=category, description=description,
            contact_name=contact_name, contact_phone=contact_phone,
            address_text=address_text, language=_language(),
            facility_id=parse(OptionalId, facility_id, "facility_id")), actor="public")
    except TooManyRequestsError as exc:
        return _public_form(request, session, form=form, error=exc.detail, status_code=429)
    except DomainError as exc:
        field = exc.extra.get("field", "")
        return _public_form(request, session, form=form, status_code=exc.status,
                            error=_("Please check the field “%(field)s”.", field=_field(field)))
    return render(request, "hotline/filed.html", {"ticket": _local(public_view(session, ticket))},
                  201)


_TIMES = ("received_at", "updated_at", "first_response_due", "resolution_due",
          "first_response_at", "resolved_at", "at")


def _local(view: dict[str, Any]) -> dict[str, Any]:
    """A ticket's times as the city reads them (the pages name the zone)."""
    out: dict[str, Any] = {
        k: (format_local(datetime.fromisoformat(v)) if k in _TIMES and v else v)
        for k, v in view.items()}
    if "updates" in view:
        out["updates"] = [_local(u) for u in view["updates"]]
    return out


def _language() -> str:
    from epidesk.kit.i18n import current

    return "en" if current() == "en" else "zh"


def _field(name: str) -> str:
    return {"category": _("Category"), "description": _("What happened"),
            "contact_phone": _("Phone"), "facility_id": _("Facility number")}.get(
        name, name)


@router.get("/hotline/follow")
def follow_page(request: Request, session: DbSession,
                reference: Annotated[str, Query(max_length=40)] = "") -> Response:
    """Follow a ticket by its reference: its state, targets, due times, public answers."""
    ticket: dict[str, Any] | None = None
    error: str | None = None
    status = 200
    if reference.strip():
        try:
            service.limit_rate(session, kind="follow", address=address(request))
        except TooManyRequestsError as exc:
            return render(request, "hotline/follow.html", {
                "reference": reference, "ticket": None, "error": exc.detail}, 429)
        found = service.follow(session, reference=reference)
        if found is None:
            error, status = _("No ticket has this reference. Check it and try again, or call "
                              "the hotline."), 404
        else:
            ticket = _local(public_view(session, found))
    return render(request, "hotline/follow.html", {
        "reference": reference, "ticket": ticket, "error": error}, status)


# ---------------------------------------------------------------- staff


@router.get("/hotline/staff")
def queue_page(request: Request, session: DbSession, caller: Operator, audit: AuditDep,
               status: Annotated[str, Query(pattern="^(unresolved|open|answered|resolved)$")
                                 ] = "unresolved",
               escalation: Annotated[str, Query(pattern="^[0-2]?$")] = "") -> Response:
    """The queue: tickets in the caller's area, the most escalated and soonest due first."""
    statuses = ("open", "answered") if status == "unresolved" else (status,)
    found = queue(session, caller, statuses=statuses, category=None,
                  min_escalation=int(escalation or 0), limit=200, offset=0)
    audit("read", "hotline_queue", status,
          people=[t.resident_id for t in found if t.resident_id is not None])
    return render(request, "hotline/queue.html", {
        "tickets": [_local(staff_view(session, t, history=False)) for t in found],
        "status": status,
        "escalation": escalation, "section": "hotline"})


@router.get("/hotline/staff/new")
def new_ticket_page(request: Request, session: DbSession, caller: Operator,
                    resident_id: Annotated[OptionalId, Query()] = None) -> Response:
    """The form an operator or community worker fills in for a resident."""
    return render(request, "hotline/new.html", {
        "categories": categories(session), "channels": rules.CHANNELS[:4],
        "resident_id": resident_id or "",
        "csrf_token": csrf_token(request), "section": "hotline"})


@router.post("/hotline/staff/tickets")
def new_ticket_form(request: Request, session: DbSession, caller: Operator, audit: AuditDep,
                    channel: Annotated[str, Form(max_length=20)] = "phone",
                    category: Annotated[str, Form(max_length=32)] = "",
                    description: Annotated[str, Form(max_length=4000)] = "",
                    contact_name: Annotated[str, Form(max_length=64)] = "",
                    contact_phone: Annotated[str, Form(max_length=32)] = "",
                    address_text: Annotated[str, Form(max_length=200)] = "",
                    language: Annotated[str, Form(max_length=2)] = "zh",
                    resident_id: Annotated[str, Form(max_length=12)] = "",
                    facility_id: Annotated[str, Form(max_length=12)] = "",
                    csrf_token_: CsrfField = "") -> Response:
    """Enter the ticket; a resident outside the caller's area reads as unknown."""
    check_csrf(request, csrf_token_)
    chosen = parse(OptionalId, resident_id, "resident_id")
    check_resident(session, caller, chosen)
    ticket = service.file_ticket(session, service.NewTicket(
        channel=channel, category=category, description=description,
        contact_name=contact_name, contact_phone=contact_phone, address_text=address_text,
        language=language, resident_id=chosen,
        facility_id=parse(OptionalId, facility_id, "facility_id")), actor=caller.username)
    ticket = ticket_for(session, caller, ticket.id)
    audit("create", "hotline_ticket", ticket.id, person_id=ticket.resident_id)
    return RedirectResponse(f"/hotline/staff/tickets/{ticket.id}", status_code=303)


def _ticket_view(request: Request, session: DbSession, caller: Operator, audit: AuditDep,
                 ticket_id: int, *, error: str | None = None,
                 form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    ticket = ticket_for(session, caller, ticket_id)
    audit("read", "hotline_ticket", ticket.id, person_id=ticket.resident_id)
    trips = trips_out(session, escorts.trips_of_ticket(session, ticket_id=ticket.id),
                      clock.now())
    if trips:
        audit("read", "escort_trips", f"ticket {ticket.id}",
              people=[t.resident_id for t in trips])
    return render(request, "hotline/ticket.html", {
        "trips": trips, "when": lambda v: format_local(v) if v else "-",
        "escort_open": any(t.status in escort_rules.OPEN for t in trips),
        "ticket": _local(staff_view(session, ticket)), "outcomes": rules.OUTCOMES,
        "evidence": appeal_evidence(session, caller, ticket, audit),
        "appeal": ticket.category in rules.APPEALS, "tier_choices": appeal_rules.TIER_CHOICES,
        "appeal_error": error, "appeal_form": form or {},
        "csrf_token": csrf_token(request), "section": "hotline"}, status_code)


@router.get("/hotline/staff/tickets/{ticket_id}")
def ticket_page(request: Request, session: DbSession, caller: Operator, audit: AuditDep,
                ticket_id: Id) -> Response:
    """One ticket: what was asked, by whom, its clock and history, and the forms (an
    appeal's with the evidence behind the decision and the form that ends it)."""
    return _ticket_view(request, session, caller, audit, ticket_id)


@router.post("/hotline/staff/tickets/{ticket_id}/appeal")
def appeal_form(request: Request, session: DbSession, caller: Operator, audit: AuditDep,
                ticket_id: Id,
                outcome: Annotated[str, Form(max_length=16)] = "",
                reason: Annotated[str, Form(max_length=2000)] = "",
                tier: Annotated[str, Form(max_length=16)] = "",
                end_on: Annotated[str, Form(max_length=32)] = "",
                zone_id: Annotated[str, Form(max_length=12)] = "",
                to_key: Annotated[str, Form(max_length=40)] = "",
                csrf_token_: CsrfField = "") -> Response:
    """End an appeal with the outcome and the reason; on bad input the ticket again with
    the error beside the form, nothing changed."""
    check_csrf(request, csrf_token_)
    ticket = ticket_for(session, caller, ticket_id)
    form = {"outcome": outcome, "reason": reason, "tier": tier, "end_on": end_on,
            "zone_id": zone_id, "to_key": to_key}
    try:
        answer = AppealAnswer(outcome=outcome, reason=reason, tier=tier or None,
                              end_on=parse(OptionalDay, end_on, "end_on"),
                              zone_id=parse(OptionalId, zone_id, "zone_id"),
                              to_key=to_key.strip() or None)
        with session.begin_nested():  # nothing of it stays when it is refused
            close_appeal(session, caller, ticket, answer)
    except (ValidationFailedError, ConflictError) as exc:
        return _ticket_view(request, session, caller, audit, ticket_id, error=exc.detail,
                            form=form, status_code=exc.status)
    audit("update", "hotline_ticket", ticket.id, person_id=ticket.resident_id)
    return RedirectResponse(f"/hotline/staff/tickets/{ticket.id}", status_code=303)


def _act(request: Request, session: DbSession, caller: Operator, audit: AuditDep,
         ticket_id: int, csrf: str, action: str, note: str, extra: str = "") -> Response:
    check_csrf(request, csrf)
    ticket = ticket_for(session, caller, ticket_id)
    if action == "respond":
        service.respond(session, ticket=ticket, note=note, actor=caller.username,
                        public=extra != "internal")
    elif action == "resolve":
        if extra and ticket.category in rules.APPEALS:
            raise ValidationFailedError("outcome: an appeal ends with its outcome through "
                                        "the appeal's form, which records the decision",
                                        field="outcome")
        service.resolve(session, ticket=ticket, note=note, actor=caller.username,
                        outcome=extra)
    else:
        service.escalate_by_hand(session, ticket=ticket, note=note, actor=caller.username)
    audit("update", "hotline_ticket", ticket.id, person_id=ticket.resident_id)
    return RedirectResponse(f"/hotline/staff/tickets/{ticket.id}", status_code=303)


@router.post("/hotline/staff/tickets/{ticket_id}/respond")
def respond_form(request: Request, session: DbSession, caller: Operator, audit: AuditDep,
                 ticket_id: Id, note: Annotated[str, Form(max_length=4000)] = "",
                 visibility: Annotated[str, Form(pattern="^(public|internal)$")] = "public",
                 csrf_token_: CsrfField = "") -> Response:
    """Answer the resident, or note for staff."""
    return _act(request, session, caller, audit, ticket_id, csrf_token_, "respond", note,
                visibility)


@router.post("/hotline/staff/tickets/{ticket_id}/resolve")
def resolve_form(request: Request, session: DbSession, caller: Operator, audit: AuditDep,
                 ticket_id: Id, note: Annotated[str, Form(max_length=4000)] = "",
                 outcome: Annotated[str, Form(pattern="^(|confirmed|changed|withdrawn)$")] = "",
                 csrf_token_: CsrfField = "") -> Response:
    """Resolve, with an appeal's outcome."""
    return _act(request, session, caller, audit, ticket_id, csrf_token_, "resolve", note,
                outcome)


@router.post("/hotline/staff/tickets/{ticket_id}/escalate")
def escalate_form(request: Request, session: DbSession, caller: Operator, audit: AuditDep,
                  ticket_id: Id, note: Annotated[str, Form(max_length=2000)] = "",
                  csrf_token_: CsrfField = "") -> Response:
    """Pass the ticket up a level."""
    return _act(request, session, caller, audit, ticket_id, csrf_token_, "escalate", note)


# Open311 GeoReport v2 lives at its own path, outside /api.
router.include_router(open311_router)
# Escorted medical trips.
router.include_router(escorts_pages.router)
