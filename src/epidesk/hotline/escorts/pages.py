"""HTML routes of escorted trips: the day's board (due and missed), the phone-sized page
the escort uses at the door and at the hospital, the dispatch form on a medical-emergency
ticket, and the treatment-plan form."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from epidesk.errors import DomainError, ValidationFailedError
from epidesk.hotline.escorts import rules, service
from epidesk.hotline.escorts.deps import (
    Operator,
    board,
    check_patient,
    ticket_for,
    trip_for,
    trip_out,
)
from epidesk.kit import clock
from epidesk.kit.inputs import DIGITS, Ge, Le, OptionalDay, OptionalId, RecordId, parse
from epidesk.kit.templating import render
from epidesk.kit.web import AuditDep, DbSession, Id, check_csrf, csrf_token

router = APIRouter(include_in_schema=False)
CsrfField = Annotated[str, Form(alias="csrf_token", max_length=128)]
Short = Annotated[str, Form(max_length=120)]
Minutes = Annotated[int, Ge(1), Le(24 * 60), DIGITS]


def _when(value: Any) -> str:
    return "-" if value is None else clock.format_local(value)


def _common(request: Request) -> dict[str, Any]:
    return {"csrf_token": csrf_token(request), "section": "hotline", "when": _when,
            "zone": clock.zone_label()}


@router.get("/hotline/escorts")
def board_page(request: Request, session: DbSession, caller: Operator, audit: AuditDep,
               day: Annotated[OptionalDay, Query()] = None) -> Response:
    """Trips due on a day (today by default) and every session missed now."""
    chosen: date = day or clock.city_today()
    due, missed, names = board(session, caller, day=chosen)
    audit("read", "escort_trips", chosen.isoformat(), people=names)
    return render(request, "hotline/escorts/board.html", {
        "day": chosen, "due": due, "missed": missed, **_common(request)})


def _trip_page(request: Request, session: DbSession, caller: Operator, audit: AuditDep,
               trip_id: int, extra: dict[str, Any], status_code: int = 200) -> Response:
    trip = trip_for(session, caller, trip_id)
    audit("read", "escort_trip", trip.id, person_id=trip.resident_id)
    return render(request, "hotline/escorts/trip.html", {
        "trip": trip_out(session, trip), **_common(request), **extra}, status_code)


@router.get("/hotline/escorts/{trip_id}")
def trip_page(request: Request, session: DbSession, caller: Operator, audit: AuditDep,
              trip_id: Id, done: Annotated[str, Query(pattern="^(|changed|already)$")] = ""
              ) -> Response:
    """One trip on a phone: the patient, the crew, the times, and the next step."""
    return _trip_page(request, session, caller, audit, trip_id, {"done": done})


STEPS = ("dispatch", "pickup", "handoff", "later", "back", "admitted", "cancel")


@router.post("/hotline/escorts/{trip_id}/steps")
def step_form(request: Request, session: DbSession, caller: Operator, audit: AuditDep,
              trip_id: Id, step: Annotated[str, Form(max_length=12)] = "",
              received_by: Short = "", reason: Annotated[str, Form(max_length=2000)] = "",
              vehicle: Annotated[str, Form(max_length=32)] = "",
              driver_name: Annotated[str, Form(max_length=64)] = "",
              driver_phone: Annotated[str, Form(max_length=32)] = "",
              escort_name: Annotated[str, Form(max_length=64)] = "",
              escort_phone: Annotated[str, Form(max_length=32)] = "",
              back_in: Annotated[str, Form(max_length=5)] = "",
              csrf_token_: CsrfField = "") -> Response:
    """Record the trip's next step (a repeat changes nothing), or say why not."""
    check_csrf(request, csrf_token_)
    trip = trip_for(session, caller, trip_id)
    who = caller.username
    try:
        if step not in STEPS:
            raise ValidationFailedError(f"step: one of {', '.join(STEPS)}", field="step")
        if step == "dispatch":
            service.dispatch_scheduled(session, trip=trip, actor=who, crew=service.Crew(
                vehicle=vehicle, driver_name=driver_name, driver_phone=driver_phone,
                escort_name=escort_name, escort_phone=escort_phone))
            changed = True
        elif step == "pickup":
            changed = service.pick_up(session, trip=trip, actor=who)
        elif step == "handoff":
            changed = service.hand_off(session, trip=trip, received_by=received_by, actor=who)
        elif step == "later":
            later = parse(Minutes, back_in, "back_in")
            service.expect_back(session, trip=trip, actor=who,
                                back_at=clock.now() + timedelta(minutes=later))
            changed = True
        elif step == "back":
            changed = service.back_home(session, trip=trip, actor=who)
        elif step == "admitted":
            changed = service.admitted(session, trip=trip, reason=reason, actor=who)
        else:
            service.cancel(session, trip=trip, reason=reason, actor=who)
            changed = True
    except DomainError as refused:
        if refused.status == 404:
            raise
        return _trip_page(request, session, caller, audit, trip_id,
                          {"refused": refused.detail}, refused.status)
    audit("update", "escort_trip", trip.id, person_id=trip.resident_id)
    flag = "changed" if changed else "already"
    return RedirectResponse(f"/hotline/escorts/{trip.id}?done={flag}", status_code=303)


@router.post("/hotline/staff/tickets/{ticket_id}/escort")
def dispatch_form(request: Request, session: DbSession, caller: Operator, audit: AuditDep,
                  ticket_id: Id, destination: Annotated[str, Form(max_length=200)] = "",
                  arrives_in: Annotated[str, Form(max_length=5)] = "",
                  back_in: Annotated[str, Form(max_length=5)] = "",
                  resident_id: Annotated[str, Form(max_length=12)] = "",
                  vehicle: Annotated[str, Form(max_length=32)] = "",
                  driver_name: Annotated[str, Form(max_length=64)] = "",
                  driver_phone: Annotated[str, Form(max_length=32)] = "",
                  escort_name: Annotated[str, Form(max_length=64)] = "",
                  escort_phone: Annotated[str, Form(max_length=32)] = "",
                  csrf_token_: CsrfField = "") -> Response:
    """Dispatch an escorted trip from a medical-emergency ticket: expected at hospital in
    `arrives_in` minutes, back home `back_in` minutes after that (six hours if blank)."""
    check_csrf(request, csrf_token_)
    ticket = ticket_for(session, caller, ticket_id)
    patient = parse(OptionalId, resident_id, "resident_id")
    check_patient(session, caller, patient)
    now = clock.now()
    arrives = now + timedelta(minutes=parse(Minutes, arrives_in, "arrives_in"))
    back = (arrives + timedelta(minutes=parse(Minutes, back_in, "back_in"))
            if back_in.strip() else None)
    trip = service.dispatch_emergency(
        session, ticket=ticket, destination=destination, arrives_at=arrives, back_at=back,
        resident_id=patient, actor=caller.username, now=now, crew=service.Crew(
            vehicle=vehicle, driver_name=driver_name, driver_phone=driver_phone,
            escort_name=escort_name, escort_phone=escort_phone))
    audit("create", "escort_trip", trip.id, person_id=trip.resident_id)
    return RedirectResponse(f"/hotline/escorts/{trip.id}", status_code=303)


@router.get("/hotline/escort-plans/new")
def new_plan_page(request: Request, caller: Operator,
                  resident_id: Annotated[OptionalId, Query()] = None) -> Response:
    """The form of a recurring treatment (an empty form: the resident is typed in)."""
    return render(request, "hotline/escorts/plan.html", {
        "resident_id": resident_id or "", "treatments": rules.TREATMENTS, "form": {},
        **_common(request)})


@router.post("/hotline/escort-plans")
def plan_form(request: Request, session: DbSession, caller: Operator, audit: AuditDep,
              resident_id: Annotated[str, Form(max_length=12)] = "",
              kind: Annotated[str, Form(max_length=24)] = "",
              facility: Annotated[str, Form(max_length=200)] = "",
              weekdays: Annotated[str, Form(max_length=16)] = "",
              dates: Annotated[str, Form(max_length=2000)] = "",
              starts_on: Annotated[str, Form(max_length=10)] = "",
              ends_on: Annotated[str, Form(max_length=10)] = "",
              departs: Annotated[str, Form(max_length=5)] = "",
              arrives: Annotated[str, Form(max_length=5)] = "",
              back: Annotated[str, Form(max_length=5)] = "",
              contact_phone: Annotated[str, Form(max_length=32)] = "",
              csrf_token_: CsrfField = "") -> Response:
    """Plan the treatment; its sessions of the coming week become scheduled trips."""
    check_csrf(request, csrf_token_)
    patient = parse(RecordId, resident_id, "resident_id")
    check_patient(session, caller, patient)
    plan, _counts = service.create_plan(session, actor=caller.username, plan=service.PlanIn(
        resident_id=patient, kind=kind, facility=facility, weekdays=weekdays, dates=dates,
        starts_on=parse(OptionalDay, starts_on, "starts_on") or clock.city_today(),
        ends_on=parse(OptionalDay, ends_on, "ends_on") or clock.city_today(),
        departs=departs, arrives=arrives, back=back, contact_phone=contact_phone))
    audit("create", "escort_plan", plan.id, person_id=plan.resident_id)
    return RedirectResponse(f"/people/{plan.resident_id}", status_code=303)
