"""HTML routes of the vaccination domain: the public booking page (no account), the
staff overview with coverage and campaign checks, a site's day with the dose form, and
booking on a resident's behalf."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from epidesk.auth.deps import PRESESSION_COOKIE
from epidesk.config import get_settings
from epidesk.errors import DomainError, NotFoundError, ValidationFailedError
from epidesk.kit.access import VACCINATION_BOOK, VACCINATION_READ, VACCINATION_WRITE
from epidesk.kit.i18n import _
from epidesk.kit.inputs import Day, OptionalId, parse
from epidesk.kit.templating import render
from epidesk.kit.web import AuditDep, DbSession, Id, check_csrf, csrf_token
from epidesk.people import repository as people
from epidesk.vaccination import service
from epidesk.vaccination.booking import repository as booking_repository
from epidesk.vaccination.booking import service as booking
from epidesk.vaccination.campaigns import service as campaigns
from epidesk.vaccination.catalogue import service as catalogue
from epidesk.vaccination.deps import (
    Booker,
    Writer,
    booking_options,
    district_ids,
    names,
    resident_in_scope,
    today,
)
from epidesk.vaccination.sites import repository as sites_repository
from epidesk.vaccination.sites import service as sites

router = APIRouter(include_in_schema=False)


def _sites_by_id(session: DbSession) -> dict[int, Any]:
    return {s.id: s for s in sites_repository.sites(session, limit=5_000)}


# ------------------------------------------------------------------ public booking


def _public_form(request: Request, context: dict[str, Any], status_code: int = 200) -> Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "vaccination/book.html", {"csrf_token": token, **context},
                      status_code)
    response.set_cookie(PRESESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=get_settings().cookie_secure, max_age=3600)
    return response


@router.get("/vaccination/book")
def public_booking_page(request: Request) -> Response:
    """The public booking form: identity number and date of birth, no account."""
    return _public_form(request, {"form": {}})


@router.post("/vaccination/book")
def public_booking(
    request: Request, session: DbSession, audit: AuditDep,
    id_number: Annotated[str, Form(max_length=32)] = "",
    birth_date: Annotated[str, Form(max_length=10)] = "",
    place: Annotated[str, Form(max_length=40)] = "",
    reminders: Annotated[str, Form(max_length=4)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Step one (no `place`): the doses that may be booked now and the free places, once
    the identity number and date of birth match one record. Step two: the booking.
    A mismatch reads the same whether or not anyone holds the number."""
    check_csrf(request, csrf_token)
    form = {"id_number": id_number, "birth_date": birth_date}
    try:
        birth = parse(Day, birth_date, "birth_date")
    except DomainError:
        return _public_form(request, {"form": form, "error": _(
            "Write the date of birth as YYYY-MM-DD.")}, 422)
    resident_id = booking.find_by_identity(session, id_number=id_number, birth=birth)
    if resident_id is None:
        return _public_form(request, {"form": form, "error": _(
            "We could not confirm these details. Check the identity number and the date of "
            "birth, or call the hotline to book.")}, 422)
    booked = None
    error = None
    if place:
        site_text, _sep, day_text = place.partition("/")
        try:
            made = booking.book(session, resident_id=resident_id,
                                site_id=parse(OptionalId, site_text, "place") or 0,
                                day=parse(Day, day_text, "place"), channel="public",
                                actor="public")
            if reminders == "yes":
                booking.set_reminders(session, resident_id=resident_id, opted_in=True,
                                      actor="public")
            audit("update", "vaccination_record", resident_id, person_id=resident_id)
            booked = made
        except DomainError as exc:
            error = exc.detail
    found = booking.options(session, resident_id=resident_id, today=today())
    audit("read", "vaccination_record", resident_id, person_id=resident_id)
    return _public_form(request, {"form": form, "options": found, "booked": booked,
                                  "error": error, "sites": _sites_by_id(session)},
                        422 if error else 200)


# ------------------------------------------------------------------ staff


@router.get("/vaccination")
def overview(request: Request, session: DbSession, writer: Writer,
             day: Annotated[Day | None, Query()] = None) -> Response:
    """Sites, accepted campaigns and, for readers of vaccination records, coverage by
    district and age band and today's appointments against the places offered."""
    when = day or today()
    districts = district_ids(writer.area_for(VACCINATION_WRITE))
    reader = writer.can(VACCINATION_READ)
    read_districts = district_ids(writer.area_for(VACCINATION_READ))
    return render(request, "vaccination/overview.html", {
        "day": when, "section": "vaccination",
        "sites": sites_repository.sites(session, district_ids=districts, limit=500),
        "campaigns": campaigns.list_campaigns(session, district_ids=districts, limit=50),
        "coverage": service.coverage(session, day=when, district_ids=read_districts)
        if reader else None,
        "today": service.today_at_sites(session, day=when, district_ids=read_districts)
        if reader else None,
        "districts": sites_repository.districts(session), "csrf_token": csrf_token(request),
        "form": {}, "assessment": None})


@router.post("/vaccination/campaigns")
def campaign_form(
    request: Request, session: DbSession, writer: Writer,
    district_id: Annotated[str, Form(max_length=12)] = "",
    first_day: Annotated[str, Form(max_length=10)] = "",
    last_day: Annotated[str, Form(max_length=10)] = "",
    target_doses: Annotated[str, Form(max_length=10)] = "",
    name: Annotated[str, Form(max_length=100)] = "",
    accept: Annotated[str, Form(max_length=4)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Check a campaign target (and accept it when asked and feasible)."""
    check_csrf(request, csrf_token)
    form = {"district_id": district_id, "first_day": first_day, "last_day": last_day,
            "target_doses": target_doses, "name": name}
    context: dict[str, Any] = {"form": form, "section": "vaccination",
                               "districts": sites_repository.districts(session),
                               "csrf_token": csrf_token, "assessment": None}
    try:
        district = parse(OptionalId, district_id, "district_id") or 0
        first = parse(Day, first_day, "first_day")
        last = parse(Day, last_day, "last_day")
        target = int(target_doses) if target_doses.isascii() and target_doses.isdigit() else 0
        found = campaigns.check(session, district_id=district, first_day=first, last_day=last,
                                target=target)
        context["assessment"] = found
        if accept and found.feasible:
            campaigns.accept(session, name=name or f"{first.isoformat()}", actor=writer.username,
                             district_id=district, first_day=first, last_day=last,
                             target=target, dose_number=None)
            return RedirectResponse("/vaccination", status_code=303)
    except DomainError as exc:
        context["error"] = exc.detail
        return render(request, "vaccination/campaign.html", context, 422)
    return render(request, "vaccination/campaign.html", context)


@router.get("/vaccination/sites/{site_id}")
def site_page(request: Request, site_id: Id, session: DbSession, writer: Writer,
              audit: AuditDep, day: Annotated[Day | None, Query()] = None) -> Response:
    """A site's day: places by dose number, stock by lot, the appointments of residents
    inside the reader's area (vaccination.read), and the form to record a dose."""
    site = sites.get_site(session, site_id)
    when = day or today()
    area = writer.area_for(VACCINATION_READ)
    rows = [a for a in booking_repository.site_day(session, site_id, when)
            if (path := people.resident_area(session, a.resident_id)) and area.allows(path)]
    shown = names(session, [a.resident_id for a in rows])
    audit("read", "vaccination_site_day", site_id, people=sorted(shown))
    return render(request, "vaccination/site.html", {
        "site": site, "day": when, "section": "vaccination", "appointments": rows,
        "names": shown, "pools": booking_repository.pools_of_day(session, site_id, when),
        "stock": sites.stock(session, [site_id]), "products": catalogue.products(),
        "depot": sites.depot_of(session, site),
        "csrf_token": csrf_token(request), "message": request.query_params.get("done"),
        "certificate": request.query_params.get("certificate", "")})


@router.post("/vaccination/sites/{site_id}/doses")
def dose_form(
    request: Request, site_id: Id, session: DbSession, writer: Writer, audit: AuditDep,
    resident_id: Annotated[str, Form(max_length=12)] = "",
    product: Annotated[str, Form(max_length=32)] = "",
    lot: Annotated[str, Form(max_length=32)] = "",
    vaccinator: Annotated[str, Form(max_length=64)] = "",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Record a dose given at the site; back to the site's day."""
    check_csrf(request, csrf_token)
    person = parse(OptionalId, resident_id, "resident_id")
    if person is None:
        raise ValidationFailedError("name the resident", field="resident_id")
    try:  # a resident named in the form: outside the area reads as one that does not exist
        resident_in_scope(session, writer, VACCINATION_WRITE, person)
    except NotFoundError:
        raise ValidationFailedError(f"no resident {person}", field="resident_id") from None
    given = booking.record_dose(session, resident_id=person, site_id=site_id,
                                product=product, lot=lot, vaccinator=vaccinator,
                                actor=writer.username)
    audit("update", "vaccination_record", person, person_id=person)
    nxt = given.next_appointment
    done = f"dose-{given.dose.dose_number}" + (f"-next-{nxt.day.isoformat()}" if nxt else "")
    issued = f"&certificate={given.certificate_id}" if given.certificate_id else ""
    return RedirectResponse(f"/vaccination/sites/{site_id}?done={done}{issued}",
                            status_code=303)


@router.get("/vaccination/residents/{resident_id}/book")
def on_behalf_page(request: Request, resident_id: Id, session: DbSession, booker: Booker,
                   audit: AuditDep) -> Response:
    """Booking on a resident's behalf (hotline, community worker): only the dose that may
    be booked now and the free places; nothing else of the record."""
    options = booking_options(session, booker, resident_id, audit)
    return render(request, "vaccination/on_behalf.html", {
        "resident_id": resident_id, "options": options, "sites": _sites_by_id(session),
        "section": "vaccination", "csrf_token": csrf_token(request)})


@router.post("/vaccination/residents/{resident_id}/book")
def on_behalf(
    request: Request, resident_id: Id, session: DbSession, booker: Booker, audit: AuditDep,
    place: Annotated[str, Form(max_length=40)] = "",
    channel: Annotated[str, Form(max_length=12)] = "community",
    csrf_token: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Book the dose at the chosen place; back to the booking page."""
    check_csrf(request, csrf_token)
    resident_in_scope(session, booker, VACCINATION_BOOK, resident_id)
    site_text, _sep, day_text = place.partition("/")
    day: date = parse(Day, day_text, "place")
    booking.book(session, resident_id=resident_id,
                 site_id=parse(OptionalId, site_text, "place") or 0, day=day,
                 channel=channel if channel in ("hotline", "community") else "community",
                 actor=booker.username)
    audit("update", "vaccination_record", resident_id, person_id=resident_id)
    return RedirectResponse(f"/vaccination/residents/{resident_id}/book", status_code=303)


