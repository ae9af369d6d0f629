"""HTML routes of home health monitoring: the list of people under it in the worker's
area (done, due, missed, needing a test), and one person's page on a phone: the form to
record a check, their checks, and clearing a flag for a test."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from epidesk.errors import DomainError, NotFoundError, ValidationFailedError
from epidesk.kit import clock
from epidesk.kit.access import Caller
from epidesk.kit.i18n import _
from epidesk.kit.inputs import OptionalDay, parse
from epidesk.kit.templating import render
from epidesk.kit.web import AuditDep, DbSession, Id, check_csrf, csrf_token
from epidesk.people import repository as people
from epidesk.quarantine.monitoring import rules, service
from epidesk.quarantine.monitoring.deps import (
    FILTERS,
    Desk,
    Reader,
    check_out,
    ensure_person,
    listing,
    may,
    person_state,
)

router = APIRouter(include_in_schema=False)
_TEMPERATURE = re.compile(r"[0-9]{2}([.,][0-9]{1,2})?")


def _today() -> Any:
    return clock.local_day(clock.now())


@router.get("/quarantine/monitoring")
def list_page(request: Request, session: DbSession, reader: Reader, audit: AuditDep,
              state: Annotated[str, Query(max_length=12)] = "") -> Response:
    """People under home monitoring in your area, those missed yesterday first."""
    if state and state not in FILTERS:
        raise ValidationFailedError(_("%(state)r is not a state here", state=state),
                                    field="state")
    rows, names = listing(session, reader, today=_today(), state=state)
    audit("read", "home_monitoring", state or "all", people=names)
    everyone, _names = (rows, names) if not state else listing(session, reader,
                                                               today=_today())
    return render(request, "quarantine/monitoring/list.html", {
        "rows": rows, "state": state, "filters": FILTERS, "section": "quarantine",
        "counts": {key: sum(1 for r in everyone if (r.needs_test if key == "needs_test"
                                                    else r.state == key)) for key in FILTERS},
        "total": len(everyone), "when": clock.format_local})


def _person_page(request: Request, session: DbSession, caller: Caller, audit: AuditDep,
                 resident_id: int, extra: dict[str, Any] | None = None,
                 status_code: int = 200) -> Response:
    ensure_person(session, caller, resident_id)
    person = people.resident(session, resident_id)
    if person is None:
        raise NotFoundError(f"no resident {resident_id}")
    checks = [check_out(c) for c in service.checks_of_resident(session,
                                                               resident_id=resident_id)]
    audit("read", "home_checks", resident_id, person_id=resident_id)
    return render(request, "quarantine/monitoring/person.html", {
        "person": person, "now": person_state(session, resident_id=resident_id,
                                              today=_today()),
        "checks": checks, "methods": rules.METHODS, "symptoms": rules.SYMPTOMS,
        "may_record": may(caller, people.resident_area(session, resident_id), write=True),
        "csrf_token": csrf_token(request), "section": "quarantine", "when": clock.format_local,
        "form": {}, **(extra or {})}, status_code)


@router.get("/quarantine/monitoring/{resident_id}")
def person_page(request: Request, resident_id: Id, session: DbSession, reader: Reader,
                audit: AuditDep, done: Annotated[str, Query(max_length=16)] = "") -> Response:
    """One person under monitoring: today's state, the form to record a check, their
    checks, and the form to clear a flag for a test."""
    return _person_page(request, session, reader, audit, resident_id, {"done": done})


def _temperature(text: str) -> float | None:
    value = text.strip()
    if not value:
        return None
    if not _TEMPERATURE.fullmatch(value):
        raise ValidationFailedError(_("write the temperature like 36.8"), field="temperature")
    return float(value.replace(",", "."))


@router.post("/quarantine/monitoring/{resident_id}/checks")
def record_post(request: Request, resident_id: Id, session: DbSession, desk: Desk,
                audit: AuditDep, method: Annotated[str, Form(max_length=16)] = "",
                reached: Annotated[str, Form(max_length=3)] = "yes",
                temperature: Annotated[str, Form(max_length=8)] = "",
                symptoms: Annotated[list[str] | None, Form()] = None,
                other_symptom: Annotated[str, Form(max_length=200)] = "",
                reason: Annotated[str, Form(max_length=500)] = "",
                checked_on: Annotated[str, Form(max_length=10)] = "",
                csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Record a check from the phone form; a bad field is named on the page and nothing
    is recorded."""
    check_csrf(request, csrf_token)
    ensure_person(session, desk, resident_id, write=True)
    chosen = tuple(s[:16] for s in (symptoms or [])[:7])
    form = {"method": method, "reached": reached, "temperature": temperature,
            "symptoms": chosen, "other_symptom": other_symptom, "reason": reason,
            "checked_on": checked_on}
    try:
        with session.begin_nested():
            done = service.record_check(session, resident_id=resident_id, actor=desk.username,
                                        check=service.CheckIn(
                method=method, reached=reached != "no",
                temperature=_temperature(temperature) if reached != "no" else None,
                symptoms=chosen if reached != "no" else (), other_symptom=other_symptom,
                reason=reason, checked_on=parse(OptionalDay, checked_on, "checked_on")))
    except DomainError as refused:
        if refused.status == 404:
            raise
        return _person_page(request, session, desk, audit, resident_id,
                            {"refused": refused.detail, "form": form}, refused.status)
    audit("create", "home_check", done.id, person_id=resident_id)
    flag = "flagged" if done.flagged else "recorded"
    return RedirectResponse(f"/quarantine/monitoring/{resident_id}?done={flag}",
                            status_code=303)


@router.post("/quarantine/monitoring/{resident_id}/clear")
def clear_post(request: Request, resident_id: Id, session: DbSession, desk: Desk,
               audit: AuditDep, reason: Annotated[str, Form(max_length=500)] = "",
               csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Clear the person's flag for a test with the reason."""
    check_csrf(request, csrf_token)
    ensure_person(session, desk, resident_id, write=True)
    try:
        service.clear_flag(session, resident_id=resident_id, reason=reason,
                           actor=desk.username)
    except DomainError as refused:
        return _person_page(request, session, desk, audit, resident_id,
                            {"refused": refused.detail}, refused.status)
    audit("update", "home_check", resident_id, person_id=resident_id, reason=reason)
    return RedirectResponse(f"/quarantine/monitoring/{resident_id}?done=cleared",
                            status_code=303)
