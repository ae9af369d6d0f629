"""HTML routes of transfers: the overview (dispatched, arrived, missing; open alerts;
manifests) and the check-in page used on a phone at the bus door."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from epidesk.errors import DomainError, ValidationFailedError
from epidesk.kit import clock
from epidesk.kit.access import QUARANTINE_WRITE, TRANSPORT_WRITE, Caller
from epidesk.kit.i18n import _
from epidesk.kit.inputs import OptionalMoment, RecordId, parse
from epidesk.kit.templating import render
from epidesk.kit.web import AuditDep, DbSession, Id, check_csrf, csrf_token
from epidesk.quarantine import repository as facilities
from epidesk.quarantine.transfers import repository, rules, service
from epidesk.quarantine.transfers.deps import (
    HomeDesk,
    Reader,
    Transport,
    alerts_out,
    ensure_home_desk,
    manifest_detail,
    manifest_out,
)
from epidesk.quarantine.transfers.schemas import Seats

router = APIRouter(include_in_schema=False)


def _when(value: Any) -> str:
    return "-" if value is None else clock.format_local(value)


def _may_plan(caller: Caller) -> bool:
    return any(caller.can(p) and caller.area_for(p).everywhere
               for p in (TRANSPORT_WRITE, QUARANTINE_WRITE))


def _overview(request: Request, session: DbSession, reader: Caller, audit: AuditDep,
              extra: dict[str, Any] | None = None, status_code: int = 200,
              no_driver: bool = False) -> Response:
    now = clock.now()
    found, names = alerts_out(session, reader, now)
    audit("read", "transfer_alerts", "open", people=names)
    shown = (service.without_driver(session, now=now) if no_driver
             else repository.manifests(session, limit=20))
    return render(request, "quarantine/transfers/overview.html", {
        "counts": service.counts(session, now=now), "alerts": found,
        "returns": service.return_counts(session, now=now),
        "no_driver": no_driver, "without_driver": service.count_without_driver(session, now=now),
        "driver_hours": service.driver_hours(),
        "manifests": [manifest_out(session, m, now) for m in shown],
        "resolutions": rules.RESOLUTIONS, "csrf_token": csrf_token(request),
        "section": "quarantine", "when": _when, "may_plan": _may_plan(reader),
        "form": {}, **(extra or {}),
    }, status_code)


@router.get("/quarantine/transfers")
def overview_page(request: Request, session: DbSession, reader: Reader, audit: AuditDep,
                  no_driver: Annotated[str, Query(max_length=1)] = "") -> Response:
    """Dispatched, arrived and missing; the open alerts; the latest manifests (only the
    trips without a driver's contact with `no_driver=1`); the form to make a manifest."""
    return _overview(request, session, reader, audit, no_driver=no_driver == "1")


def _people(text: str) -> list[int]:
    """Resident ids written in a form, separated by spaces, commas or new lines."""
    found = [parse(RecordId, part, "people") for part in re.split(r"[\s,;]+", text) if part]
    if not found:
        raise ValidationFailedError(_("name at least one person (resident ids)"),
                                    field="people")
    return found


def _city_moment(text: str, field: str) -> datetime:
    moment: datetime | None = parse(OptionalMoment, text, field)
    if moment is None:
        raise ValidationFailedError(_("give the time (city time)"), field=field)
    return moment if moment.tzinfo else moment.replace(tzinfo=clock.city_zone())


@router.post("/quarantine/transfers")
def create_post(request: Request, session: DbSession, transport: Transport,
                audit: AuditDep, vehicle: Annotated[str, Form(max_length=32)] = "",
                seats: Annotated[str, Form(max_length=8)] = "",
                facility: Annotated[str, Form(max_length=32)] = "",
                departs_at: Annotated[str, Form(max_length=32)] = "",
                expected_at: Annotated[str, Form(max_length=32)] = "",
                driver_name: Annotated[str, Form(max_length=64)] = "",
                driver_phone: Annotated[str, Form(max_length=20)] = "",
                route: Annotated[str, Form(max_length=500)] = "",
                people: Annotated[str, Form(max_length=2000)] = "",
                csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Make a manifest to a facility with its people (resident ids, in seat order); a bad
    field is named on the page, and nothing is made."""
    check_csrf(request, csrf_token)
    form = {"vehicle": vehicle, "seats": seats, "facility": facility,
            "departs_at": departs_at, "expected_at": expected_at, "driver_name": driver_name,
            "driver_phone": driver_phone, "route": route, "people": people}
    try:
        for name in ("vehicle", "driver_name", "driver_phone"):
            if not form[name].strip():
                raise ValidationFailedError(_("%(field)s is required", field=name),
                                            field=name)
        found = facilities.facilities_by_code(session, [facility.strip()]).get(
            facility.strip())
        if found is None:
            raise ValidationFailedError(_("no facility with the code %(code)r",
                                          code=facility.strip()), field="facility")
        with session.begin_nested():
            m = service.create_manifest(session, actor=transport.username,
                                        manifest=service.ManifestIn(
                vehicle=vehicle.strip(), seats=parse(Seats, seats, "seats"), route=route,
                facility_id=found.id, departs_at=_city_moment(departs_at, "departs_at"),
                expected_at=_city_moment(expected_at, "expected_at"),
                driver_name=driver_name.strip(), driver_phone=driver_phone.strip(),
                order_ids=service.orders_of_residents(session, resident_ids=_people(people),
                                                      field="people")))
    except DomainError as refused:
        return _overview(request, session, transport, audit,
                         {"refused": refused.detail, "form": form}, refused.status)
    audit("create", "transfer_manifest", m.id, people=[line.resident_id for line in m.lines])
    return RedirectResponse(f"/quarantine/transfers/{m.id}/check-in", status_code=303)


@router.post("/quarantine/transfers/{manifest_id}/people")
def add_people_post(request: Request, manifest_id: Id, session: DbSession,
                    transport: Transport, audit: AuditDep,
                    people: Annotated[str, Form(max_length=2000)] = "",
                    csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Add people (resident ids) to a manifest that has not left; refused whole, named
    on the page, nothing added."""
    check_csrf(request, csrf_token)
    try:
        with session.begin_nested():
            added = service.add_people(
                session, manifest_id=manifest_id, actor=transport.username,
                order_ids=service.orders_of_residents(session, resident_ids=_people(people),
                                                      field="people"))
    except DomainError as refused:
        if refused.status == 404:
            raise
        return _check_in_page(request, session, transport, audit, manifest_id, "",
                              {"refused": refused.detail, "people": people}, refused.status)
    audit("update", "transfer_manifest", manifest_id,
          people=[line.resident_id for line in added])
    return RedirectResponse(f"/quarantine/transfers/{manifest_id}/check-in?done=added",
                            status_code=303)


@router.post("/quarantine/transfers/{manifest_id}/depart")
def depart_post(request: Request, manifest_id: Id, session: DbSession,
                transport: Transport, audit: AuditDep,
                csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Record that the vehicle left (once); refused on the page while nobody boarded."""
    check_csrf(request, csrf_token)
    try:
        m, changed = service.depart(session, manifest_id=manifest_id,
                                    actor=transport.username)
    except DomainError as refused:
        if refused.status == 404:
            raise
        return _check_in_page(request, session, transport, audit, manifest_id, "",
                              {"refused": refused.detail}, refused.status)
    if changed:
        audit("update", "transfer_manifest", m.id)
    return RedirectResponse(f"/quarantine/transfers/{manifest_id}/check-in?done=departed",
                            status_code=303)


@router.post("/quarantine/transfers/{manifest_id}/dispatch")
def dispatch_post(request: Request, manifest_id: Id, session: DbSession,
                  transport: Transport, audit: AuditDep,
                  vehicle: Annotated[str, Form(max_length=32)] = "",
                  seats: Annotated[str, Form(max_length=8)] = "",
                  driver_name: Annotated[str, Form(max_length=64)] = "",
                  driver_phone: Annotated[str, Form(max_length=20)] = "",
                  route: Annotated[str, Form(max_length=500)] = "",
                  departs_at: Annotated[str, Form(max_length=32)] = "",
                  expected_at: Annotated[str, Form(max_length=32)] = "",
                  note: Annotated[str, Form(max_length=1000)] = "",
                  csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Change the dispatch details (a blank field stays as it is); a bad field is named
    on the page and nothing changes."""
    check_csrf(request, csrf_token)
    form = {"vehicle": vehicle, "seats": seats, "driver_name": driver_name,
            "driver_phone": driver_phone, "route": route, "departs_at": departs_at,
            "expected_at": expected_at, "note": note}
    try:
        edit = service.DispatchEdit(
            vehicle=vehicle or None, driver_name=driver_name or None,
            driver_phone=driver_phone or None, route=route or None, note=note,
            seats=parse(Seats, seats, "seats") if seats.strip() else None,
            departs_at=_city_moment(departs_at, "departs_at") if departs_at.strip() else None,
            expected_at=(_city_moment(expected_at, "expected_at") if expected_at.strip()
                         else None))
        with session.begin_nested():
            changes = service.edit_manifest(session, manifest_id=manifest_id, edit=edit,
                                            actor=transport.username)
    except DomainError as refused:
        if refused.status == 404:
            raise
        return _check_in_page(request, session, transport, audit, manifest_id, "",
                              {"refused": refused.detail, "dispatch": form}, refused.status)
    if changes:
        audit("update", "transfer_manifest", manifest_id)
    return RedirectResponse(f"/quarantine/transfers/{manifest_id}/check-in?done=dispatch",
                            status_code=303)


def _check_in_page(request: Request, session: DbSession, reader: Any, audit: AuditDep,
                   manifest_id: int, q: str, extra: dict[str, Any] | None = None,
                   status_code: int = 200) -> Response:
    m = service.get_manifest(session, manifest_id=manifest_id)
    now = clock.now()
    lines = service.search(session, manifest_id=manifest_id, term=q)
    detail, names = manifest_detail(session, m, reader, now, lines)
    audit("read", "transfer_manifest", m.id, people=names)
    return render(request, "quarantine/transfers/check_in.html", {
        "manifest": detail, "q": q, "csrf_token": csrf_token(request),
        "section": "quarantine", "when": _when, "may_plan": _may_plan(reader),
        "people": "", **(extra or {}),
    }, status_code)


@router.get("/quarantine/transfers/{manifest_id}/check-in")
def check_in_page(request: Request, manifest_id: Id, session: DbSession, reader: Reader,
                  audit: AuditDep, q: Annotated[str, Query(max_length=64)] = "",
                  done: Annotated[str, Query(max_length=16)] = "") -> Response:
    """Find a person on the manifest by name, ID number or line number, and check them in."""
    return _check_in_page(request, session, reader, audit, manifest_id, q,
                          {"done": done})


def _arrival(request: Request, session: DbSession, caller: Caller, audit: AuditDep,
             manifest_id: int, resident_id: str, q: str, *, home: bool) -> Response:
    """Check a person in (a repeat changes nothing), or say why not on the page."""
    try:
        who = parse(RecordId, resident_id, field="resident_id")
        if home:
            ensure_home_desk(session, caller, manifest_id, who)
            line, changed = service.check_in_home(session, manifest_id=manifest_id,
                                                  resident_id=who, actor=caller.username)
        else:
            line, changed = service.check_in(session, manifest_id=manifest_id,
                                             resident_id=who, actor=caller.username)
    except DomainError as refused:
        if refused.status == 404:
            raise
        return _check_in_page(request, session, caller, audit, manifest_id, q,
                              {"refused": refused.detail}, refused.status)
    audit("update", "transfer_line", line.id, person_id=line.resident_id)
    flag = "in" if changed else "already"
    return RedirectResponse(f"/quarantine/transfers/{manifest_id}/check-in?done={flag}",
                            status_code=303)


@router.post("/quarantine/transfers/{manifest_id}/check-in")
def check_in_post(request: Request, manifest_id: Id, session: DbSession,
                  transport: Transport, audit: AuditDep,
                  resident_id: Annotated[str, Form(max_length=16)] = "",
                  q: Annotated[str, Form(max_length=64)] = "",
                  csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Check a person in at the facility (a repeat changes nothing), or say why not."""
    check_csrf(request, csrf_token)
    return _arrival(request, session, transport, audit, manifest_id, resident_id, q,
                    home=False)


@router.post("/quarantine/transfers/{manifest_id}/home-arrivals")
def home_arrival_post(request: Request, manifest_id: Id, session: DbSession,
                      desk: HomeDesk, audit: AuditDep,
                      resident_id: Annotated[str, Form(max_length=16)] = "",
                      q: Annotated[str, Form(max_length=64)] = "",
                      csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Check a person on a return home in at their building (the community worker);
    someone not on it or not in your area is refused on the page, nothing changed."""
    check_csrf(request, csrf_token)
    return _arrival(request, session, desk, audit, manifest_id, resident_id, q, home=True)


@router.post("/quarantine/transfers/{manifest_id}/check-out")
def check_out_post(request: Request, manifest_id: Id, session: DbSession,
                   transport: Transport, audit: AuditDep,
                   line_no: Annotated[str, Form(max_length=8)] = "",
                   csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Tick a line off as boarded at pickup."""
    check_csrf(request, csrf_token)
    number = parse(RecordId, line_no, field="line_no")
    line = service.check_out(session, manifest_id=manifest_id, line_no=number,
                             actor=transport.username)
    audit("update", "transfer_line", line.id, person_id=line.resident_id)
    return RedirectResponse(f"/quarantine/transfers/{manifest_id}/check-in?done=out",
                            status_code=303)


@router.post("/quarantine/transfers/lines/{line_id}/resolve")
def resolve_post(request: Request, line_id: Id, session: DbSession, transport: Transport,
                 audit: AuditDep, resolution: Annotated[str, Form(max_length=24)] = "",
                 note: Annotated[str, Form(max_length=1000)] = "",
                 csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Resolve a missing person's alert with what happened."""
    check_csrf(request, csrf_token)
    line = service.resolve(session, line_id=line_id, resolution=resolution, note=note,
                           actor=transport.username)
    audit("update", "transfer_line", line.id, person_id=line.resident_id)
    return RedirectResponse("/quarantine/transfers", status_code=303)
