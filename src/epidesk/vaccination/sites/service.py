"""Use cases of sites: register a site, its shifts, and import a site list through the
kit's import lifecycle. A site's stock is its depot's: receipts, doses given, transfers and
adjustments are movements of the supplies depots' log. Services flush, never commit."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from epidesk.errors import ConflictError, NotFoundError, ValidationFailedError
from epidesk.kit import clock
from epidesk.kit.imports import ACCEPTED, Progress, run_import, unreadable_problem
from epidesk.kit.reports import Report
from epidesk.supplies.depots import repository as depot_store
from epidesk.supplies.depots import service as depots
from epidesk.supplies.models import Depot
from epidesk.supplies.rules import MAX_QUANTITY, VACCINE_PREFIX, vaccine_item
from epidesk.vaccination.catalogue import service as catalogue
from epidesk.vaccination.models import Shift, Site, SiteHours, SiteList
from epidesk.vaccination.sites import engine, repository
from epidesk.vaccination.sites.engine import ParsedSites

MOVEMENT_KINDS = ("receipt", "adjustment", "transfer")


def get_site(session: Session, site_id: int) -> Site:
    """A site by id, or NotFoundError."""
    found = repository.site(session, site_id)
    if found is None:
        raise NotFoundError(f"no vaccination site {site_id}")
    return found


def _check_hours(hours: Mapping[int, tuple[int, int]]) -> None:
    for weekday, (opens, closes) in hours.items():
        if not 0 <= weekday <= 6:
            raise ValidationFailedError("weekday must be 0 (Monday) to 6 (Sunday)",
                                        field="hours")
        if not 0 <= opens < closes <= 24 * 60:
            raise ValidationFailedError(
                f"hours of weekday {weekday}: opening must come before closing, within the day",
                field="hours")


def create_site(session: Session, *, code: str, name: str, district_id: int, address: str,
                stations: int, doses_per_station_hour: int,
                hours: Mapping[int, tuple[int, int]]) -> Site:
    """A new site with its opening hours per weekday."""
    if repository.site_by_code(session, code) is not None:
        raise ConflictError(f"a site with code {code!r} exists already", field="code")
    if district_id not in repository.district_codes(session).values():
        raise ValidationFailedError(f"no district {district_id}", field="district_id")
    if not 1 <= stations <= engine.MAX_STATIONS:
        raise ValidationFailedError(f"stations must be 1 to {engine.MAX_STATIONS}",
                                    field="stations")
    if not 1 <= doses_per_station_hour <= engine.MAX_RATE:
        raise ValidationFailedError(f"doses_per_station_hour must be 1 to {engine.MAX_RATE}",
                                    field="doses_per_station_hour")
    _check_hours(hours)
    depot_id = depots.site_depots(session, [(code, name, district_id)])[code]
    site = Site(code=code, name=name, district_id=district_id, address=address,
                stations=stations, doses_per_station_hour=doses_per_station_hour, active=True,
                depot_id=depot_id)
    site.hours = [SiteHours(weekday=w, opens=o, closes=c) for w, (o, c) in sorted(hours.items())]
    session.add(site)
    session.flush()
    return site


def add_shift(session: Session, *, site_id: int, day: date, starts: int, ends: int,
              staff_name: str, actor: str) -> Shift:
    """A vaccinator on shift at a site (minutes of the local day)."""
    get_site(session, site_id)
    if not 0 <= starts < ends <= 24 * 60:
        raise ValidationFailedError("a shift starts before it ends, within the day",
                                    field="starts")
    shift = Shift(site_id=site_id, day=day, starts=starts, ends=ends, staff_name=staff_name,
                  recorded_by=actor)
    session.add(shift)
    session.flush()
    return shift


def depot_of(session: Session, site: Site) -> Depot:
    """The depot holding a site's stock."""
    return depots.get_depot(session, site.depot_id)


@dataclass(frozen=True)
class LotStock:
    """Doses of one lot at one site (held by the site's depot)."""

    site_id: int
    product: str
    lot: str
    expiry: date
    doses: int


def stock(session: Session, site_ids: Sequence[int]) -> list[LotStock]:
    """Every lot these sites' depots hold, by site, soonest expiry first."""
    site_of = {d: s for s, d in repository.depots_of(session, site_ids).items()}
    return [LotStock(site_of[lt.depot_id], lt.item.removeprefix(VACCINE_PREFIX), lt.lot,
                     lt.expires_on or date.max, lt.on_hand)
            for lt in depot_store.held_lots(session, list(site_of), item_prefix=VACCINE_PREFIX)]


def _receipt_file(depot: str, item: str, lot: str, expiry: date, doses: int,
                  moment: datetime) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*depots.RECEIPT_COLUMNS, "received_at"])
    writer.writerow([depot, item, lot, expiry.isoformat(), doses, moment.isoformat()])
    return out.getvalue().encode()


def receive(session: Session, *, site_id: int, product: str, lot: str, expiry: date,
            doses: int, actor: str, now: datetime | None = None) -> int:
    """Doses of a lot received at a site: a receipt of the site's depot, booked through
    the depots' import lifecycle; the id of the receipt's record."""
    site = get_site(session, site_id)
    catalogue.product(product)
    if not 1 <= doses <= MAX_QUANTITY * 100:
        raise ValidationFailedError(f"a receipt brings 1 to {MAX_QUANTITY * 100} doses",
                                    field="doses")
    item = vaccine_item(product)
    known = depot_store.lot_expiry(session, item, lot)
    if known is not None and known != expiry:
        raise ValidationFailedError(
            f"lot {lot} was recorded with expiry {known.isoformat()}", field="expiry")
    moment = now or clock.now()
    if expiry < clock.local_day(moment):
        raise ValidationFailedError(f"lot {lot} expired on {expiry.isoformat()}",
                                    field="expiry")
    depot = depots.get_depot(session, site.depot_id)
    done = depots.import_receipts(
        session, content=_receipt_file(depot.code, item, lot, expiry, doses, moment),
        filename=f"{site.code}-receipt.csv", received_by=actor)
    if not done.accepted:
        raise ValidationFailedError(done.report.summary(), field="lot")
    return done.record.id


def _held(session: Session, site: Site, product: str, lot: str) -> int:
    found = depot_store.lot(session, site.depot_id, vaccine_item(product), lot)
    if found is None:
        raise ValidationFailedError(f"this site has no lot {lot} of {product}", field="lot")
    return found.on_hand


def adjust(session: Session, *, site_id: int, product: str, lot: str, doses: int,
           reason: str, actor: str) -> None:
    """A correction of a lot's stock (a count, a broken vial, a cold-chain failure), with
    its reason: an adjustment in the site's depot; the stock never goes below zero."""
    site = get_site(session, site_id)
    if not reason.strip():
        raise ValidationFailedError("an adjustment needs its reason", field="reason")
    if doses == 0 or abs(doses) > MAX_QUANTITY:
        raise ValidationFailedError(f"an adjustment changes the stock by 1 to {MAX_QUANTITY}",
                                    field="doses")
    balance = _held(session, site, product, lot)
    if balance + doses < 0:
        raise ValidationFailedError(f"the site holds {balance} doses of lot {lot}",
                                    field="doses")
    depots.adjust(session, depot_id=site.depot_id, item=vaccine_item(product), lot=lot,
                  change=doses, reason=reason.strip(), actor=actor)


def transfer(session: Session, *, site_id: int, to_site_id: int, product: str, lot: str,
             doses: int, actor: str) -> None:
    """Doses of a lot moved from one site to another: a transfer between their depots."""
    site = get_site(session, site_id)
    other = get_site(session, to_site_id)
    if to_site_id == site_id:
        raise ValidationFailedError("a transfer goes to another site", field="to_site_id")
    if not 1 <= doses <= MAX_QUANTITY:
        raise ValidationFailedError(f"a transfer moves 1 to {MAX_QUANTITY} doses",
                                    field="doses")
    balance = _held(session, site, product, lot)
    if balance < doses:
        raise ValidationFailedError(f"the site holds {balance} doses of lot {lot}",
                                    field="doses")
    depots.transfer(session, from_depot=site.depot_id, to_depot=other.depot_id,
                    item=vaccine_item(product), quantity=doses, actor=actor, lot=lot,
                    reason=f"to vaccination site {other.code}")


def use_dose(session: Session, *, site_id: int, product: str, lot: str | None, day: date,
             actor: str) -> str:
    """One dose issued from the site's depot: from the named lot, else the lot that
    expires first; refused when the site holds no unexpired dose. The lot used."""
    site = get_site(session, site_id)
    item = vaccine_item(product)
    if lot is not None:
        found = depot_store.lot(session, site.depot_id, item, lot)
        if found is None or found.on_hand < 1:
            raise ValidationFailedError(f"this site holds no dose of lot {lot} of {product}",
                                        field="lot")
        if found.expires_on is not None and found.expires_on < day:
            raise ValidationFailedError(
                f"lot {lot} expired on {found.expires_on.isoformat()}", field="lot")
    elif depots.short_items(session, site.depot_id, {item: 1}, on=day):
        raise ValidationFailedError(f"this site holds no unexpired dose of {product}",
                                    field="lot")
    moved = depots.take(session, depot_id=site.depot_id, item=item, quantity=1, actor=actor,
                        lot=lot, reason="vaccination dose", on=day)
    return moved[0].lot


# ------------------------------------------------------------------ site-list import


@dataclass
class SiteImport:
    """The outcome of importing a site list."""

    record: SiteList
    already_imported: bool
    report: Report = field(default_factory=Report)

    @property
    def accepted(self) -> bool:
        """True when the list's sites are (or were already) stored."""
        return self.record.status == ACCEPTED


class SiteListImporter:
    """The site-list format for the kit's import lifecycle: a line naming a known code
    updates that site (its hours replaced), any other creates one."""

    def find(self, session: Session, digest: str) -> SiteList | None:
        """The record of an earlier import of the same file."""
        return repository.site_list_by_digest(session, digest)

    def new_record(self, digest: str) -> SiteList:
        """A new, empty record."""
        return SiteList(digest=digest, attempts=0)

    def read(self, session: Session, content: bytes, filename: str,
             step: Callable[..., None]) -> ParsedSites:
        """Parse the whole file."""
        parsed = engine.read_sites(content)
        step("read")
        return parsed

    def unreadable(self, message: str, line: int = 0, column: str = "") -> Report:
        """The report of a file that is not CSV at all."""
        return engine.site_report([unreadable_problem("CSV", message, line, column)])

    def validate(self, session: Session, parsed: ParsedSites, now: datetime) -> Report:
        """Every problem of the file, districts checked against the city."""
        problems = [*parsed.problems,
                    *engine.check_districts(parsed, repository.district_codes(session))]
        return engine.site_report(problems) if problems else Report()

    def write(self, session: Session, parsed: ParsedSites, record: SiteList, now: datetime,
              step: Callable[..., None]) -> None:
        """Create or update every site of the list, and its hours."""
        districts = repository.district_codes(session)
        session.add(record)
        session.flush()
        known = repository.site_ids_by_code(session, [r.code for r in parsed.rows])
        fresh = [r for r in parsed.rows if r.code not in known]
        depot_ids = depots.site_depots(
            session, [(r.code, r.name, districts[r.district]) for r in fresh])
        repository.insert_rows(session, Site, [
            {"code": r.code, "name": r.name, "district_id": districts[r.district],
             "address": r.address, "stations": r.stations, "doses_per_station_hour": r.rate,
             "active": True, "list_id": record.id, "depot_id": depot_ids[r.code]}
            for r in fresh])
        step("sites", len(fresh), len(parsed.rows))
        for r in parsed.rows:
            if r.code in known:
                found = session.get(Site, known[r.code])
                assert found is not None
                found.name, found.address = r.name, r.address
                found.district_id, found.stations = districts[r.district], r.stations
                found.doses_per_station_hour, found.list_id = r.rate, record.id
                found.active = True
        session.flush()
        ids = repository.site_ids_by_code(session, [r.code for r in parsed.rows])
        repository.replace_hours(session, list(ids.values()))
        repository.insert_rows(session, SiteHours, [
            {"site_id": ids[r.code], "weekday": w, "opens": o, "closes": c}
            for r in parsed.rows for w, (o, c) in sorted(r.hours.items())])
        record.rows = len(parsed.rows)
        record.created = len(fresh)
        record.updated = len(parsed.rows) - len(fresh)
        step("hours")

    def conflicts(self, session: Session, parsed: ParsedSites) -> Report | None:
        """No unique key of a site list can be hit by another file's rows."""
        return None

    def rejected(self, record: SiteList, parsed: ParsedSites | None) -> None:
        """A rejected list wrote no site."""
        record.rows = len(parsed.rows) if parsed else 0
        record.created = record.updated = 0


def import_sites(session: Session, *, content: bytes, filename: str, received_by: str,
                 now: datetime | None = None, progress: Progress | None = None) -> SiteImport:
    """Validate a site list whole, then create or update its sites, or record why it was
    rejected; the same accepted file sent again changes nothing."""
    done = run_import(session, SiteListImporter(), content=content, filename=filename,
                      received_by=received_by, now=now, progress=progress)
    return SiteImport(record=done.record, already_imported=done.already_imported,
                      report=done.report)


def import_sites_file(session: Session, *, path: str | Path, received_by: str,
                      progress: Progress | None = None) -> SiteImport:
    """Import a site list from disk; see import_sites."""
    source = Path(path)
    try:
        content = source.read_bytes()
    except OSError as exc:
        raise NotFoundError(f"cannot read {source}: {exc.strerror}") from exc
    return import_sites(session, content=content, filename=source.name,
                        received_by=received_by, progress=progress)


