"""HTML routes of supplies: the public request form (Chinese and English, no account),
the intake of a request on a resident's behalf, the overdue list, the day's batches,
the phone-sized delivery page, and the depots."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from epidesk.auth.deps import PRESESSION_COOKIE, client_address
from epidesk.config import get_settings
from epidesk.errors import DomainError, ValidationFailedError
from epidesk.kit.i18n import _
from epidesk.kit.inputs import OptionalDay, RecordId, Text
from epidesk.kit.templating import render
from epidesk.kit.web import AuditDep, DbSession, Id, check_csrf, csrf_token
from epidesk.kit.web import csrf_token as csrf_token_of
from epidesk.supplies import repository, service
from epidesk.supplies.depots import repository as depot_repository
from epidesk.supplies.deps import (
    Courier,
    Intake,
    Writer,
    batch_for,
    delivery_for,
    depot_detail,
    find_households,
    household_area,
    household_cards,
    household_named,
    today,
    visible_batches,
    visible_needs,
)
from epidesk.supplies.rules import ITEMS, URGENCIES

router = APIRouter(include_in_schema=False)
Csrf = Annotated[str, Form(max_length=128)]


def _errors(exc: DomainError) -> dict[str, str]:
    found = exc.extra.get("errors") or []
    return {str(e["loc"][-1]): str(e["msg"]) for e in found} or {"form": exc.detail}


def _public_form(request: Request, *, form: Mapping[str, object] | None = None,
                 errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "supplies/request.html", {
        "csrf_token": token, "form": form or {}, "errors": errors or {}, "items": ITEMS,
        "urgencies": URGENCIES}, status_code)
    response.set_cookie(PRESESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=get_settings().cookie_secure, max_age=3600)
    return response


@router.get("/supplies/request")
def public_request_page(request: Request) -> Response:
    """The public request form: no account needed."""
    return _public_form(request)


@router.post("/supplies/request")
def public_request(
    request: Request, session: DbSession, csrf_token: Csrf = "",
    community: Annotated[Text, Form(max_length=100)] = "",
    building: Annotated[str, Form(max_length=6)] = "",
    unit: Annotated[str, Form(max_length=6)] = "",
    flat: Annotated[str, Form(max_length=8)] = "",
    items: Annotated[list[str] | None, Form(max_length=8)] = None,
    urgency: Annotated[str, Form(max_length=8)] = "normal",
    contact_name: Annotated[Text, Form(max_length=64)] = "",
    contact_phone: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[Text, Form(max_length=1000)] = "",
) -> Response:
    """A resident's request: the same answer and a reference whatever address it names."""
    check_csrf(request, csrf_token)
    form = {"community": community, "building": building, "unit": unit, "flat": flat,
            "items": items or [], "urgency": urgency, "contact_name": contact_name,
            "contact_phone": contact_phone, "note": note}
    errors: dict[str, str] = {}
    numbers: dict[str, int] = {}
    for name, raw in (("building", building), ("unit", unit)):
        if raw.isascii() and raw.isdigit() and 0 < int(raw) < 10_000:
            numbers[name] = int(raw)
        else:
            errors[name] = _("a number")
    if not (flat.isascii() and flat.isdigit() and len(flat) >= 3):
        errors["flat"] = _("a flat number such as 201")
    if not community.strip():
        errors["community"] = _("the name of your residential compound")
    try:
        checked = service.check_request(items=items or [], urgency=urgency,
                                        contact_name=contact_name,
                                        contact_phone=contact_phone, address_text="",
                                        note=note)
    except ValidationFailedError as exc:
        errors.update(_errors(exc))
    if errors:
        return _public_form(request, form=form, errors=errors, status_code=422)
    filed = service.public_request(session, request=checked, community=community,
                                   building=numbers["building"], unit=numbers["unit"],
                                   flat=flat, client=client_address(request))
    return render(request, "supplies/request_done.html", {"reference": filed.reference})


@router.get("/supplies")
def staff_page(request: Request, session: DbSession, caller: Writer,
               day: Annotated[OptionalDay, Query()] = None) -> Response:
    """The day's batches, the overdue count and the build button."""
    chosen = day or today()
    late = visible_needs(session, caller, service.overdue(session, day=chosen))
    return render(request, "supplies/staff.html", {
        "day": chosen, "batches": visible_batches(session, caller, day=chosen),
        "overdue": len(late), "days": get_settings().supplies_overdue_days,
        "csrf_token": csrf_token(request)})


@router.post("/supplies/batches")
def build_page(request: Request, session: DbSession, caller: Writer,
               csrf_token: Csrf = "") -> Response:
    """Build today's batches."""
    check_csrf(request, csrf_token)
    service.build_batches(session, day=today(), actor=caller.username)
    return RedirectResponse("/supplies", status_code=303)


@router.get("/supplies/overdue")
def overdue_page(request: Request, session: DbSession, caller: Writer, audit: AuditDep
                 ) -> Response:
    """Restricted households of the caller's area past N days without a delivery."""
    found = visible_needs(session, caller, service.overdue(session, day=today()))
    places = repository.doors(session, [v.household_id for v in found])
    audit("read", "supplies_overdue", "list",
          people=repository.residents_of(session, [v.household_id for v in found]))
    return render(request, "supplies/overdue.html", {
        "households": found, "places": places, "day": today(),
        "days": get_settings().supplies_overdue_days})


@router.get("/supplies/intake")
def intake_page(request: Request, session: DbSession, caller: Intake, audit: AuditDep,
                q: Annotated[Text, Query(max_length=64)] = "",
                household_id: Annotated[RecordId | None, Query()] = None) -> Response:
    """Find a household by address, name or phone, then file a request on its behalf."""
    found = find_households(session, caller, q) if len(q.strip()) >= 2 else []
    chosen = None
    if household_id is not None:
        household_area(session, caller, household_id)
        chosen = next(iter(household_cards(session, caller, [household_id])), None)
    shown = [m["resident_id"] for h in found + ([chosen] if chosen else [])
             for m in h["members"]]
    if q or chosen:
        audit("read", "supplies_household_search", q[:64] or str(household_id), people=shown)
    return render(request, "supplies/intake.html", {
        "q": q, "found": found, "chosen": chosen, "items": ITEMS, "urgencies": URGENCIES,
        "csrf_token": csrf_token(request), "errors": {}, "form": {}})


@router.post("/supplies/intake")
def intake(
    request: Request, session: DbSession, caller: Intake, audit: AuditDep,
    household_id: Annotated[RecordId, Form()], csrf_token: Csrf = "",
    channel: Annotated[str, Form(max_length=12)] = "phone",
    items: Annotated[list[str] | None, Form(max_length=8)] = None,
    urgency: Annotated[str, Form(max_length=8)] = "normal",
    contact_name: Annotated[Text, Form(max_length=64)] = "",
    contact_phone: Annotated[str, Form(max_length=20)] = "",
    note: Annotated[Text, Form(max_length=1000)] = "",
) -> Response:
    """File a request on a household's behalf (merged into an open one for the same
    items)."""
    check_csrf(request, csrf_token)
    household_named(session, caller, household_id)
    chosen = next(iter(household_cards(session, caller, [household_id])), None)
    people = repository.residents_of(session, [household_id])
    try:
        checked = service.check_request(items=items or [], urgency=urgency,
                                        contact_name=contact_name,
                                        contact_phone=contact_phone, address_text="",
                                        note=note)
        filed = service.staff_request(session, request=checked, household_id=household_id,
                                      channel=channel if channel in ("phone", "community")
                                      else "phone", actor=caller.username)
    except ValidationFailedError as exc:
        audit("read", "supplies_household_search", str(household_id), people=people)
        return render(request, "supplies/intake.html", {
            "q": "", "found": [], "chosen": chosen, "items": ITEMS, "urgencies": URGENCIES,
            "csrf_token": csrf_token_of(request), "errors": _errors(exc),
            "form": {"items": items or [], "urgency": urgency, "channel": channel,
                     "contact_name": contact_name, "contact_phone": contact_phone,
                     "note": note}}, 422)
    audit("create", "supply_request", filed.id, people=people)
    return render(request, "supplies/intake_done.html", {"filed": filed, "chosen": chosen})


@router.get("/supplies/batches/{batch_id}")
def batch_page(request: Request, session: DbSession, caller: Courier, audit: AuditDep,
               batch_id: Id) -> Response:
    """A batch's doors in walking order, each confirmed or failed at the door (a
    phone-sized page)."""
    found = batch_for(session, caller, batch_id)
    places = repository.doors(session, [d.household_id for d in found.deliveries])
    audit("read", "supply_batch", found.id, people=repository.residents_of(
        session, [d.household_id for d in found.deliveries]))
    return render(request, "supplies/batch.html", {
        "batch": found, "places": places, "csrf_token": csrf_token(request)})


@router.post("/supplies/deliveries/{delivery_id}/confirm")
def confirm_page(request: Request, session: DbSession, caller: Courier, audit: AuditDep,
                 delivery_id: Id, csrf_token: Csrf = "") -> Response:
    """Delivered at the door."""
    check_csrf(request, csrf_token)
    found = service.confirm(session, delivery_id=delivery_for(session, caller, delivery_id),
                            actor=caller.username)
    audit("update", "supply_delivery", found.id)
    return RedirectResponse(f"/supplies/batches/{found.batch_id}#d{found.id}",
                            status_code=303)


@router.post("/supplies/deliveries/{delivery_id}/fail")
def fail_page(request: Request, session: DbSession, caller: Courier, audit: AuditDep,
              delivery_id: Id, csrf_token: Csrf = "",
              reason: Annotated[Text, Form(max_length=500)] = "") -> Response:
    """Not delivered, with the reason: the household is queued again."""
    check_csrf(request, csrf_token)
    found = service.fail(session, delivery_id=delivery_for(session, caller, delivery_id),
                         reason=reason, actor=caller.username)
    audit("update", "supply_delivery", found.id)
    return RedirectResponse(f"/supplies/batches/{found.batch_id}#d{found.id}",
                            status_code=303)


@router.get("/supplies/depots")
def depots_page(request: Request, session: DbSession, _: Writer,
                day: Annotated[OptionalDay, Query()] = None) -> Response:
    """Every depot's stock per item, days of stock, stock-out days and shortage alerts."""
    chosen = day or today()
    return render(request, "supplies/depots.html", {
        "day": chosen, "depots": [depot_detail(session, d.id, day=chosen, movements=20)
                                  for d in depot_repository.depots(session)]})
