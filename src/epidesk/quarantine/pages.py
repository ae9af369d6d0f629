"""HTML routes of quarantine for staff: facilities with the room reserve, one facility
with its rooms and inspections (and the inspection form), one order with its rule, end
history, deliveries and release, and the orders held past their end."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from epidesk.config import get_settings
from epidesk.errors import ValidationFailedError
from epidesk.kit import clock, i18n
from epidesk.kit.inputs import Day, OptionalDay, parse
from epidesk.kit.templating import render
from epidesk.kit.web import AuditDep, DbSession, Id, check_csrf, csrf_token
from epidesk.people import repository as people
from epidesk.quarantine import rules, service
from epidesk.quarantine.deps import (
    Manager,
    OrderReader,
    Staff,
    governing,
    order_for,
    order_view,
    today,
    visible_residents,
)
from epidesk.quarantine.monitoring import pages as monitoring
from epidesk.quarantine.monitoring import service as home_checks
from epidesk.quarantine.monitoring.deps import check_out
from epidesk.quarantine.orders import service as orders
from epidesk.quarantine.placement import pages as placement
from epidesk.quarantine.release import service as release
from epidesk.quarantine.schemas import InspectionIn, ItemIn
from epidesk.quarantine.transfers import pages as transfers

router = APIRouter(include_in_schema=False)


@router.get("/quarantine")
def facilities_page(request: Request, session: DbSession, _: Staff,
                    day: Annotated[OptionalDay, Query()] = None) -> Response:
    """Facilities with capacity and eligibility on a day, and the reserve per district."""
    shown = day or today()
    return render(request, "quarantine/facilities.html", {
        "day": shown, "facilities": service.list_facilities(session, day=shown, limit=500),
        "reserve": service.reserve(session), "overdue": orders.count_overdue(session),
        "section": "quarantine"})


@router.get("/quarantine/facilities/{facility_id}")
def facility_page(request: Request, session: DbSession, caller: Staff, facility_id: Id
                  ) -> Response:
    """A facility: rooms, inspections, complaints; the inspection form for managers."""
    return render(request, "quarantine/facility.html", {
        "f": service.facility_detail(session, facility_id=facility_id),
        "checklist": rules.CHECKLIST, "can_inspect": caller.can("quarantine.write"),
        "csrf_token": csrf_token(request), "section": "quarantine"})


@router.post("/quarantine/facilities/{facility_id}/inspections")
async def inspection_form(request: Request, session: DbSession, manager: Manager,
                          facility_id: Id) -> Response:
    """The inspection form: every checklist item passed or failed, with notes."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token", "")))
    day = parse(Day, str(form.get("inspected_on", "")), "inspected_on")
    items = [ItemIn(item=key, passed=form.get(f"item_{key}") == "pass",
                    note=str(form.get(f"note_{key}", ""))[:2000])
             for key in rules.CHECKLIST if form.get(f"item_{key}") in ("pass", "fail")]
    service.record_inspection(session, facility_id=facility_id, actor=manager.username,
                              inspection=InspectionIn(
                                  inspected_on=day, items=items,
                                  inspector=str(form.get("inspector", ""))[:64],
                                  note=str(form.get("note", ""))[:4000]))
    return RedirectResponse(f"/quarantine/facilities/{facility_id}", status_code=303)


@router.get("/quarantine/orders/overdue")
def overdue_page(request: Request, session: DbSession, caller: OrderReader,
                 audit: AuditDep, day: Annotated[OptionalDay, Query()] = None) -> Response:
    """People held past their order's end on a day (default today), in the reader's area."""
    found = orders.overdue_orders(session, today=day or today(), limit=500)
    visible = visible_residents(session, caller, [o.resident_id for o, _ in found])
    shown = [(order_view(session, o), d) for o, d in found if o.resident_id in visible]
    audit("read", "quarantine_overdue", "list", people=[v["resident_id"] for v, _ in shown])
    return render(request, "quarantine/overdue.html", {"rows": shown, "section": "quarantine"})


@router.get("/quarantine/orders/{order_id}")
def order_page(request: Request, session: DbSession, caller: OrderReader, order_id: Id,
               audit: AuditDep) -> Response:
    """An order: why, where, until when, tests, end history, deliveries, the checks of
    its home health monitoring; its forms."""
    o = order_for(session, caller, order_id)
    audit("read", "quarantine_order", o.id, person_id=o.resident_id)
    check = release.check(session, order_id=o.id) if o.state == "active" else None
    return render(request, "quarantine/order.html", {
        "o": order_view(session, o), "check": check, "csrf_token": csrf_token(request),
        "checks": [check_out(c) for c in home_checks.checks_of_order(session, order_id=o.id)],
        "can_write": caller.can("quarantine.write"), "section": "quarantine"})


@router.get("/quarantine/orders/{order_id}/notice")
def notice_page(request: Request, session: DbSession, caller: OrderReader, order_id: Id,
                audit: AuditDep, lang: Annotated[str, Query(max_length=16)] = "") -> Response:
    """The order's notice to give the resident, printable, in the resident's language (or
    the one asked for with ?lang=): why (the rule explained), where and until when, the
    tests, the earlier end dates with their reasons, how it was delivered, the hotline."""
    if lang and i18n.known(lang) is None:
        raise ValidationFailedError(
            f"lang: {lang!r} is not a language here (choose {' or '.join(i18n.LANGUAGES)})")
    o = order_for(session, caller, order_id)
    person = people.resident(session, o.resident_id)
    assert person is not None
    language = i18n.known(lang) or i18n.known(person.language) or i18n.DEFAULT
    with i18n.using(language):
        order = governing(o)
    audit("read", "quarantine_order_notice", o.id, person_id=o.resident_id)
    return render(request, "quarantine/notice.html", {
        "order": order, "person": person, "notice_language": language,
        "hotline": get_settings().hotline_number, "today": clock.city_today(),
    }, language=language)


@router.post("/quarantine/orders/{order_id}/end")
def end_form(request: Request, session: DbSession, caller: Manager, order_id: Id,
             audit: AuditDep, end_on: Annotated[str, Form(max_length=10)] = "",
             reason: Annotated[str, Form(max_length=2000)] = "",
             csrf_token_: Annotated[str, Form(alias="csrf_token")] = "") -> Response:
    """Extend or shorten an order, with the reason."""
    check_csrf(request, csrf_token_)
    o = order_for(session, caller, order_id, write=True)
    orders.change_end(session, order_id=o.id, end_on=parse(Day, end_on, "end_on"),
                      reason=reason, actor=caller.username)
    audit("update", "quarantine_order", o.id, person_id=o.resident_id, reason=reason)
    return RedirectResponse(f"/quarantine/orders/{o.id}", status_code=303)


@router.post("/quarantine/orders/{order_id}/release")
def release_form(request: Request, session: DbSession, caller: Manager, order_id: Id,
                 audit: AuditDep,
                 csrf_token_: Annotated[str, Form(alias="csrf_token")] = "") -> Response:
    """Release the resident when the rule's results are there (else the error says which
    are missing, and nothing changes)."""
    check_csrf(request, csrf_token_)
    o = order_for(session, caller, order_id, write=True)
    release.release(session, order_id=o.id, actor=caller.username)
    audit("update", "quarantine_order", o.id, person_id=o.resident_id)
    return RedirectResponse(f"/quarantine/orders/{o.id}", status_code=303)


# Placement runs and transfers.
router.include_router(placement.router)
router.include_router(transfers.router)
router.include_router(monitoring.router)
