"""FastAPI dependencies of the vaccination domain, shared by its api and pages, and what
it offers the kit: the person panel, the command-centre tile, the public tables and its
part of a merge.

Vaccination records are read only with vaccination.read inside the reader's area. A
booker (vaccination.book) sees only which dose a person may book now and the free
places; no role without vaccination.read learns anything else of a record, not even
that there is none.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from epidesk.kit import clock
from epidesk.kit.access import (
    VACCINATION_BOOK,
    VACCINATION_READ,
    VACCINATION_WRITE,
    AreaFilter,
    AreaPath,
    Caller,
)
from epidesk.kit.i18n import _, _l
from epidesk.kit.merges import MergePart
from epidesk.kit.panels import Audit, Panel
from epidesk.kit.publication import Column, PublicTable
from epidesk.kit.tiles import Tile
from epidesk.kit.web import ensure_in_scope, require
from epidesk.people import repository as people
from epidesk.vaccination import schemas, service
from epidesk.vaccination.booking import service as booking
from epidesk.vaccination.models import Appointment, Dose, Site
from epidesk.vaccination.sites import service as sites
from epidesk.vaccination.sites.engine import WEEKDAYS, format_hours

Reader = Annotated[Caller, Depends(require(VACCINATION_READ))]
Writer = Annotated[Caller, Depends(require(VACCINATION_WRITE))]
Booker = Annotated[Caller, Depends(require(VACCINATION_BOOK))]


def today() -> date:
    """The city's today."""
    return clock.city_today()


def resident_in_scope(session: Session, caller: Caller, permission: str,
                      resident_id: int) -> AreaPath:
    """The resident's area, or 404 exactly as for one who does not exist."""
    path = people.resident_area(session, resident_id)
    ensure_in_scope(caller, permission, path, "resident", resident_id)
    assert path is not None
    return path


def district_ids(area: AreaFilter) -> list[int] | None:
    """The districts whole in an area filter (None: every district)."""
    return None if area.everywhere else sorted(area.district_ids)


def site_out(site: Site) -> schemas.SiteOut:
    """A site for the API."""
    return schemas.SiteOut(
        id=site.id, code=site.code, name=site.name, district_id=site.district_id,
        address=site.address, stations=site.stations,
        doses_per_station_hour=site.doses_per_station_hour,
        hours={WEEKDAYS[h.weekday]: format_hours(h.opens, h.closes) for h in site.hours})


def site_detail(session: Session, site: Site) -> schemas.SiteDetail:
    """A site with its stock by lot."""
    return schemas.SiteDetail(
        **site_out(site).model_dump(), depot_code=sites.depot_of(session, site).code,
        stock=[schemas.LotOut(product=x.product, lot=x.lot, expiry=x.expiry, doses=x.doses)
               for x in sites.stock(session, [site.id])])


def appointment_out(a: Appointment) -> schemas.AppointmentOut:
    """An appointment for the API."""
    return schemas.AppointmentOut(id=a.id, resident_id=a.resident_id, site_id=a.site_id,
                                  day=a.day, dose_number=a.dose_number, status=a.status,
                                  channel=a.channel)


def dose_out(d: Dose) -> schemas.DoseOut:
    """A dose for the API."""
    return schemas.DoseOut(id=d.id, resident_id=d.resident_id, dose_number=d.dose_number,
                           product=d.product, lot=d.lot, site_id=d.site_id,
                           vaccinator=d.vaccinator, given_at=clock.aware(d.given_at),
                           walk_in=d.walk_in)


def options_out(found: booking.Options) -> schemas.OptionsOut:
    """What may be booked now, and nothing else of the record."""
    dose = found.dose
    return schemas.OptionsOut(
        dose_number=dose.number if dose and dose.earliest else None,
        series=dose.series if dose and dose.earliest else None,
        from_day=dose.earliest if dose else None,
        booked_day=found.booked.day if found.booked else None,
        booked_site_id=found.booked.site_id if found.booked else None,
        places=[schemas.PlaceOut(site_id=p.site_id, day=p.day, free=p.capacity - p.booked)
                for p in found.places])


def booking_options(session: Session, caller: Caller, resident_id: int,
                    audit: Audit) -> schemas.OptionsOut:
    """A booker's view of one resident inside their area: only what may be booked now."""
    resident_in_scope(session, caller, VACCINATION_BOOK, resident_id)
    found = booking.options(session, resident_id=resident_id, today=today())
    audit("read", "vaccination_record", resident_id, person_id=resident_id)
    return options_out(found)


def record_out(session: Session, resident_id: int) -> schemas.RecordOut:
    """A resident's whole vaccination record."""
    found = service.record(session, resident_id=resident_id, today=today())
    return schemas.RecordOut(
        resident_id=resident_id, doses=[dose_out(d) for d in found.doses],
        adverse_events=[schemas.AdverseEventOut(
            id=e.id, dose_id=e.dose_id, onset_at=clock.aware(e.onset_at), severity=e.severity,
            description=e.description) for e in found.adverse_events],
        holds=[schemas.HoldOut(id=h.id, kind=h.kind, reason=h.reason, until=h.until)
               for h in found.holds],
        appointments=[appointment_out(a) for a in found.appointments],
        next_dose_number=found.next_dose.number if found.next_dose else None,
        next_dose_from=found.next_dose.earliest if found.next_dose else None,
        reminders=found.reminders)


def coverage_out(session: Session, caller: Caller, day: date) -> schemas.CoverageOut:
    """Coverage by district and age band in the reader's districts."""
    rows = service.coverage(session, day=day,
                            district_ids=district_ids(caller.area_for(VACCINATION_READ)))
    return schemas.CoverageOut(day=day, rows=[schemas.CoverageRowOut(
        district_id=r.district_id, district=r.district, age_band=r.band,
        residents=r.residents, dose_1=r.doses[0], dose_2=r.doses[1], booster_1=r.doses[2],
        booster_2=r.doses[3]) for r in rows])


# ------------------------------------------------------------------ offered to the kit


def person_panel(session: Session, *, caller: Caller, resident_id: int, area: AreaPath,
                 audit: Audit) -> Panel | None:
    """The person's record: doses, holds, appointments and the next dose, only to readers
    holding vaccination.read in the resident's area; nothing (not even a heading) to
    anyone else."""
    if not caller.may(VACCINATION_READ, area):
        return None
    found = record_out(session, resident_id)
    audit("read", "vaccination_record", resident_id, person_id=resident_id)
    return Panel(key="vaccination", title=_("Vaccination"),
                 template="vaccination/_person_panel.html",
                 data=found.model_dump(mode="json"), view=found,
                 summary=f"{len(found.doses)} doses; next dose "
                         f"{found.next_dose_number or 'none'}")


def overview_tiles(session: Session, *, caller: Caller, today: date) -> list[Tile]:
    """Coverage of the caller's districts, and today's appointments against the places
    offered (aggregates only)."""
    if not caller.can(VACCINATION_READ):
        return []
    districts = district_ids(caller.area_for(VACCINATION_READ))
    rows = service.coverage(session, day=today, district_ids=districts)
    residents, doses = service.city_coverage(rows)
    now = service.today_at_sites(session, day=today, district_ids=districts)
    return [Tile(key="vaccination.coverage", title=_("Vaccination"),
                 template="vaccination/_tile.html", link="/vaccination", data={
                     "day": today.isoformat(), "residents": residents,
                     "doses": dict(zip(service.DOSE_NAMES, doses, strict=True)),
                     "appointments_today": now.appointments, "places_today": now.places,
                     "doses_today": now.doses_given})]


COVERAGE_COLUMNS = (
    Column("day", "day", _l("Day"), _l("The city day the figures are as of (end of day).")),
    Column("district", "area", _l("District"), _l("The district of residence (its code).")),
    Column("age_band", "key", _l("Age band"),
           _l("Age in whole years on the day: 3-17, 18-59, 60-69, 70-79, 80+.")),
    Column("residents", "count", _l("Residents"),
           _l("Residents of the district in the age band on the register.")),
    Column("dose_1", "count", _l("First dose"), _l("Residents who had at least one dose.")),
    Column("dose_2", "count", _l("Primary series"),
           _l("Residents who had both doses of the primary series.")),
    Column("booster_1", "count", _l("First booster"),
           _l("Residents who had the first booster.")),
    Column("booster_2", "count", _l("Second booster"),
           _l("Residents who had the second booster.")),
)


def public_tables(session: Session, *, day: date) -> list[PublicTable]:
    """Coverage by district and age band, by dose: counts of residents, no person."""
    rows = service.coverage(session, day=day)
    return [PublicTable(
        name="vaccination_coverage_by_district_age",
        title=_l("Vaccination coverage by district and age band"),
        description=_l("Residents, and residents who had each dose, by district of "
                       "residence and age band, as of the end of the day."),
        columns=COVERAGE_COLUMNS, level="district", flow=False,
        rows=[(day, r.district, r.band, r.residents, *r.doses) for r in rows])]


person_merge = MergePart(
    covers=("vaccination_appointment.resident_id", "vaccination_dose.resident_id",
            "vaccination_hold.resident_id", "vaccination_reminder_consent.resident_id"),
    apply=booking.merge_person_rows)


def names(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """Residents' names (a site's list of the day)."""
    return {i: r.name for i, r in people.residents_by_id(session, list(ids)).items()}
