"""JSON routes of the vaccination domain: products and sites (public), sites, stock,
slots and campaigns (staff), and a person's booking options, appointments, doses and
record (inside the caller's area)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile
from fastapi.responses import JSONResponse

from epidesk.errors import PROBLEM_JSON, NotFoundError, ValidationFailedError
from epidesk.kit.access import VACCINATION_BOOK, VACCINATION_READ, VACCINATION_WRITE
from epidesk.kit.inputs import Day
from epidesk.kit.uploads import read_upload
from epidesk.kit.web import (
    CONFLICT_RESPONSE,
    PROBLEM_RESPONSES,
    AuditDep,
    DbSession,
    Id,
    ensure_in_scope,
)
from epidesk.people import repository as people
from epidesk.vaccination import schemas
from epidesk.vaccination.booking import repository as booking_repository
from epidesk.vaccination.booking import service as booking
from epidesk.vaccination.campaigns import service as campaigns
from epidesk.vaccination.catalogue import service as catalogue
from epidesk.vaccination.deps import (
    Booker,
    Reader,
    Writer,
    appointment_out,
    booking_options,
    coverage_out,
    district_ids,
    dose_out,
    names,
    record_out,
    resident_in_scope,
    site_detail,
    site_out,
    today,
)
from epidesk.vaccination.sites import repository as sites_repository
from epidesk.vaccination.sites import service as sites

router = APIRouter(responses=PROBLEM_RESPONSES)
TAGS: list[str | Any] = ["vaccination"]


@router.get("/vaccination/products", response_model=list[schemas.ProductOut], tags=TAGS,
            summary="Vaccine products and their schedules")
def list_products() -> list[schemas.ProductOut]:
    """Every product with its schedule (from the product files)."""
    return [schemas.ProductOut(key=p.key, name=p.name, name_local=p.name_local,
                               manufacturer=p.manufacturer, platform=p.platform,
                               doses=[d.model_dump() for d in p.doses])
            for p in catalogue.products().values()]


@router.get("/vaccination/sites", response_model=list[schemas.SiteOut], tags=TAGS,
            summary="Vaccination sites")
def list_sites(session: DbSession) -> list[schemas.SiteOut]:
    """Every active site with its opening hours."""
    return [site_out(s) for s in sites_repository.sites(session, limit=5_000)]


@router.post("/vaccination/sites", response_model=schemas.SiteDetail, status_code=201,
             tags=TAGS, summary="Register a site", responses=CONFLICT_RESPONSE)
def create_site(body: schemas.SiteIn, session: DbSession, writer: Writer) -> schemas.SiteDetail:
    """A new site with its stations, rate and opening hours per weekday."""
    site = sites.create_site(session, code=body.code, name=body.name,
                             district_id=body.district_id, address=body.address,
                             stations=body.stations,
                             doses_per_station_hour=body.doses_per_station_hour,
                             hours={h.weekday: (h.opens, h.closes) for h in body.hours})
    return site_detail(session, site)


@router.post("/vaccination/sites/import", response_model=schemas.ImportOut, status_code=201,
             tags=TAGS, summary="Import a site list",
             responses={200: {"model": schemas.ImportOut, "description": "Already imported"}})
def import_sites(response: Response, session: DbSession, writer: Writer,
                 file: Annotated[UploadFile, File(description="Site list CSV")]) -> Any:
    """Validate a site list whole, then create or update its sites. 201: accepted; 200:
    accepted before, nothing changed; 422: rejected whole with its report."""
    content = read_upload(file, command="epidesk vaccination import-sites")
    done = sites.import_sites(session, content=content, filename=file.filename or "sites.csv",
                              received_by=writer.username)
    r = done.record
    body = schemas.ImportOut(id=r.id, status=r.status, already_imported=done.already_imported,
                             rows=r.rows, created=r.created, updated=r.updated,
                             problem_count=r.problem_count,
                             problems=[p.as_dict() for p in done.report.problems])
    if not done.accepted:
        return JSONResponse({"type": "https://epidesk.org/problems/site-list-rejected",
                             "title": "Site list rejected", "status": 422,
                             "detail": done.report.summary(), **body.model_dump()},
                            status_code=422, media_type=PROBLEM_JSON)
    if done.already_imported:
        response.status_code = 200
    return body


@router.get("/vaccination/sites/{site_id}", response_model=schemas.SiteDetail, tags=TAGS,
            summary="A site with its stock")
def get_site(site_id: Id, session: DbSession, writer: Writer) -> schemas.SiteDetail:
    """A site, its hours and its stock by lot."""
    return site_detail(session, sites.get_site(session, site_id))


@router.post("/vaccination/sites/{site_id}/shifts", status_code=201, tags=TAGS,
             summary="A vaccinator on shift")
def add_shift(site_id: Id, body: schemas.ShiftIn, session: DbSession,
              writer: Writer) -> dict[str, int]:
    """A vaccinator on shift at the site on a day (minutes of the local day)."""
    shift = sites.add_shift(session, site_id=site_id, day=body.day, starts=body.starts,
                            ends=body.ends, staff_name=body.staff_name, actor=writer.username)
    return {"id": shift.id}


@router.post("/vaccination/sites/{site_id}/stock", response_model=schemas.SiteDetail,
             status_code=201, tags=TAGS, summary="A stock movement")
def move_stock(site_id: Id, body: schemas.StockIn, session: DbSession,
               writer: Writer) -> schemas.SiteDetail:
    """A receipt (with the lot's expiry), an adjustment (with its reason) or a transfer
    to another site."""
    if body.kind == "receipt":
        if body.expiry is None:
            raise ValidationFailedError("a receipt names the lot's expiry", field="expiry")
        sites.receive(session, site_id=site_id, product=body.product, lot=body.lot,
                      expiry=body.expiry, doses=body.doses, actor=writer.username)
    elif body.kind == "adjustment":
        sites.adjust(session, site_id=site_id, product=body.product, lot=body.lot,
                     doses=-body.doses if body.decrease else body.doses, reason=body.reason,
                     actor=writer.username)
    else:
        if body.to_site_id is None:
            raise ValidationFailedError("a transfer names the site it goes to",
                                        field="to_site_id")
        sites.transfer(session, site_id=site_id, to_site_id=body.to_site_id,
                       product=body.product, lot=body.lot, doses=body.doses,
                       actor=writer.username)
    return site_detail(session, sites.get_site(session, site_id))


@router.post("/vaccination/sites/{site_id}/slots", status_code=201, tags=TAGS,
             summary="Offer places for one dose number")
def open_slots(site_id: Id, body: schemas.SlotsIn, session: DbSession,
               writer: Writer) -> dict[str, int]:
    """Set the places a site offers on a day for one dose number (the pools of a day never
    exceed what the site can give)."""
    pool = booking.open_slots(session, site_id=site_id, day=body.day,
                              dose_number=body.dose_number, capacity=body.capacity)
    return {"capacity": pool.capacity, "booked": pool.booked}


@router.get("/vaccination/sites/{site_id}/day", response_model=schemas.SiteDayOut, tags=TAGS,
            summary="A site's appointments of a day")
def site_day(site_id: Id, session: DbSession, reader: Reader, audit: AuditDep,
             day: Annotated[Day | None, Query()] = None) -> schemas.SiteDayOut:
    """The places of a day by dose number, and the appointments of residents inside the
    reader's area."""
    sites.get_site(session, site_id)
    when = day or today()
    area = reader.area_for(VACCINATION_READ)
    rows = [a for a in booking_repository.site_day(session, site_id, when)
            if (path := people.resident_area(session, a.resident_id)) and area.allows(path)]
    shown = names(session, [a.resident_id for a in rows])
    audit("read", "vaccination_site_day", site_id, people=sorted(shown))
    return schemas.SiteDayOut(
        site_id=site_id, day=when,
        pools=[{"dose_number": p.dose_number, "capacity": p.capacity, "booked": p.booked}
               for p in booking_repository.pools_of_day(session, site_id, when)],
        appointments=[schemas.SiteDayEntry(appointment_id=a.id, resident_id=a.resident_id,
                                           name=shown.get(a.resident_id, ""),
                                           dose_number=a.dose_number, status=a.status)
                      for a in rows])


@router.post("/vaccination/campaigns/check", response_model=schemas.Assessment, tags=TAGS,
             summary="Check a campaign target")
def check_campaign(body: schemas.CampaignIn, session: DbSession,
                   writer: Writer) -> schemas.Assessment:
    """Whether the district's sites can give the target in the window (capacity, staff,
    stock, eligible people), by how much not, and what would make it feasible."""
    found = campaigns.check(session, district_id=body.district_id, first_day=body.first_day,
                            last_day=body.last_day, target=body.target_doses,
                            dose_number=body.dose_number)
    return schemas.Assessment(**found.as_dict())


@router.post("/vaccination/campaigns", response_model=schemas.CampaignOut, status_code=201,
             tags=TAGS, summary="Accept a campaign target", responses=CONFLICT_RESPONSE)
def accept_campaign(body: schemas.CampaignIn, session: DbSession,
                    writer: Writer) -> schemas.CampaignOut:
    """Record the campaign when its check passes; 409 with the whole check otherwise."""
    campaign, _ = campaigns.accept(session, name=body.name, district_id=body.district_id,
                                   first_day=body.first_day, last_day=body.last_day,
                                   target=body.target_doses, dose_number=body.dose_number,
                                   actor=writer.username)
    return schemas.CampaignOut.model_validate(campaign, from_attributes=True)


@router.get("/vaccination/campaigns", response_model=list[schemas.CampaignOut], tags=TAGS,
            summary="Accepted campaigns")
def list_campaigns(session: DbSession, writer: Writer) -> list[schemas.CampaignOut]:
    """Accepted campaigns of the caller's districts."""
    found = campaigns.list_campaigns(
        session, district_ids=district_ids(writer.area_for(VACCINATION_WRITE)))
    return [schemas.CampaignOut.model_validate(c, from_attributes=True) for c in found]


@router.get("/vaccination/coverage", response_model=schemas.CoverageOut, tags=TAGS,
            summary="Coverage by district and age band")
def coverage(session: DbSession, reader: Reader,
             day: Annotated[Day | None, Query()] = None) -> schemas.CoverageOut:
    """Residents and residents with each dose, by district and age band (counts only)."""
    return coverage_out(session, reader, day or today())


@router.post("/vaccination/reminders/run", response_model=schemas.RemindersRun, tags=TAGS,
             summary="Queue reminders of due doses")
def run_reminders(session: DbSession, writer: Writer) -> schemas.RemindersRun:
    """Queue a reminder to every resident who opted in and whose dose is due."""
    return schemas.RemindersRun(queued=booking.send_reminders(session, today=today(),
                                                              actor=writer.username))


# ------------------------------------------------------------------ a person


@router.get("/vaccination/residents/{resident_id}", response_model=schemas.RecordOut,
            tags=TAGS, summary="A resident's vaccination record")
def get_record(resident_id: Id, session: DbSession, reader: Reader,
               audit: AuditDep) -> schemas.RecordOut:
    """Doses, adverse events, contraindications and deferrals, appointments and the next
    dose (vaccination.read inside the area)."""
    resident_in_scope(session, reader, VACCINATION_READ, resident_id)
    audit("read", "vaccination_record", resident_id, person_id=resident_id)
    return record_out(session, resident_id)


@router.get("/vaccination/residents/{resident_id}/options", response_model=schemas.OptionsOut,
            tags=TAGS, summary="What a resident may book now")
def get_options(resident_id: Id, session: DbSession, booker: Booker,
                audit: AuditDep) -> schemas.OptionsOut:
    """Only the dose that may be booked now, from when, and the free places."""
    return booking_options(session, booker, resident_id, audit)


@router.post("/vaccination/residents/{resident_id}/appointments",
             response_model=schemas.AppointmentOut, status_code=201, tags=TAGS,
             summary="Book on a resident's behalf", responses=CONFLICT_RESPONSE)
def book(resident_id: Id, body: schemas.BookingIn, session: DbSession, booker: Booker,
         audit: AuditDep) -> schemas.AppointmentOut:
    """Book the resident's next dose at a site on a day (hotline, community worker)."""
    resident_in_scope(session, booker, VACCINATION_BOOK, resident_id)
    made = booking.book(session, resident_id=resident_id, site_id=body.site_id, day=body.day,
                        channel=body.channel, actor=booker.username)
    audit("update", "vaccination_record", resident_id, person_id=resident_id)
    return appointment_out(made)


@router.post("/vaccination/residents/{resident_id}/reminders", tags=TAGS,
             summary="Record the reminder choice")
def set_reminders(resident_id: Id, body: schemas.RemindersIn, session: DbSession,
                  booker: Booker, audit: AuditDep) -> dict[str, bool]:
    """Whether the resident asked to be reminded when a dose falls due."""
    resident_in_scope(session, booker, VACCINATION_BOOK, resident_id)
    booking.set_reminders(session, resident_id=resident_id, opted_in=body.opted_in,
                          actor=booker.username)
    audit("update", "vaccination_record", resident_id, person_id=resident_id)
    return {"opted_in": body.opted_in}


@router.post("/vaccination/residents/{resident_id}/doses", response_model=schemas.DoseRecorded,
             status_code=201, tags=TAGS, summary="Record a dose given",
             responses=CONFLICT_RESPONSE)
def record_dose(resident_id: Id, body: schemas.DoseIn, session: DbSession, writer: Writer,
                audit: AuditDep) -> schemas.DoseRecorded:
    """A dose given at a site: product, lot, vaccinator, time; the second dose is booked
    when the first is given."""
    resident_in_scope(session, writer, VACCINATION_WRITE, resident_id)
    given = booking.record_dose(session, resident_id=resident_id, site_id=body.site_id,
                                product=body.product, lot=body.lot,
                                vaccinator=body.vaccinator, actor=writer.username,
                                given_at=body.given_at)
    audit("update", "vaccination_record", resident_id, person_id=resident_id)
    nxt = given.next_appointment
    return schemas.DoseRecorded(dose=dose_out(given.dose),
                                next_appointment=appointment_out(nxt) if nxt else None,
                                certificate_id=given.certificate_id,
                                certificate_problem=given.certificate_problem)


@router.post("/vaccination/residents/{resident_id}/holds", response_model=schemas.HoldOut,
             status_code=201, tags=TAGS, summary="Record a contraindication or deferral")
def record_hold(resident_id: Id, body: schemas.HoldIn, session: DbSession, writer: Writer,
                audit: AuditDep) -> schemas.HoldOut:
    """A contraindication or deferral with its reason and end date: it only moves the day
    from which a dose is offered."""
    resident_in_scope(session, writer, VACCINATION_WRITE, resident_id)
    hold = booking.record_hold(session, resident_id=resident_id, kind=body.kind,
                               reason=body.reason, until=body.until, actor=writer.username)
    audit("update", "vaccination_record", resident_id, person_id=resident_id)
    return schemas.HoldOut(id=hold.id, kind=hold.kind, reason=hold.reason, until=hold.until)


@router.post("/vaccination/doses/{dose_id}/adverse-events",
             response_model=schemas.AdverseEventOut, status_code=201, tags=TAGS,
             summary="Record an adverse event")
def record_adverse_event(dose_id: Id, body: schemas.AdverseEventIn, session: DbSession,
                         writer: Writer, audit: AuditDep) -> schemas.AdverseEventOut:
    """An adverse event after a dose of a resident inside the caller's area."""
    dose = booking_repository.dose(session, dose_id)
    resident = dose.resident_id if dose else 0
    if dose is None:
        raise NotFoundError(f"no dose {dose_id}")
    ensure_in_scope(writer, VACCINATION_WRITE, people.resident_area(session, resident), "dose",
                    dose_id)
    event = booking.record_adverse_event(session, dose_id=dose_id, onset_at=body.onset_at,
                                         severity=body.severity, description=body.description,
                                         actor=writer.username)
    audit("update", "vaccination_record", resident, person_id=resident)
    return schemas.AdverseEventOut(id=event.id, dose_id=dose_id, onset_at=body.onset_at,
                                   severity=event.severity, description=event.description)


@router.post("/vaccination/appointments/{appointment_id}/cancel",
             response_model=schemas.AppointmentOut, tags=TAGS, summary="Cancel an appointment",
             responses=CONFLICT_RESPONSE)
def cancel(appointment_id: Id, session: DbSession, booker: Booker,
           audit: AuditDep) -> schemas.AppointmentOut:
    """Cancel a booked appointment of a resident inside the caller's area."""
    found = booking_repository.appointment(session, appointment_id)
    path = people.resident_area(session, found.resident_id) if found else None
    ensure_in_scope(booker, VACCINATION_BOOK, path, "appointment", appointment_id)
    assert found is not None
    done = booking.cancel(session, appointment_id=appointment_id)
    audit("update", "vaccination_record", done.resident_id, person_id=done.resident_id)
    return appointment_out(done)
