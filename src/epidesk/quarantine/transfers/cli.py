"""`epidesk quarantine transfers` commands: create a manifest, add people, depart, check
people out and in (at the facility, or at home on a return), list the missing, resolve an
alert with a reason."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import typer

from epidesk.kit.console import cli_actor, console, table

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from epidesk.quarantine.models import TransferManifest

app = typer.Typer(help="Vehicle manifests: to a facility, and home at release.",
                  no_args_is_help=True)
out = console()
err = console(stderr=True)

MOMENT = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S%z"]


def _city_time(value: datetime) -> datetime:
    from epidesk.kit import clock

    return value if value.tzinfo else value.replace(tzinfo=clock.city_zone())


def _print_manifest(session: Session, m: TransferManifest, *, lines: bool = False) -> None:
    from epidesk.kit import clock
    from epidesk.quarantine.transfers.deps import manifest_detail

    detail, _ = manifest_detail(session, m, None, clock.now())
    out.print(f"manifest {detail.id} ({detail.purpose}): {detail.vehicle}, {detail.facility}; "
              f"departs {clock.format_local(detail.departs_at)}, expected "
              f"{clock.format_local(detail.expected_at)}"
              + (f", left {clock.format_local(detail.departed_at)}" if detail.departed_at
                 else ""), highlight=False)
    out.print(f"{detail.people} of {detail.seats} seats; checked out {detail.checked_out}, "
              f"arrived {detail.checked_in}, missing {detail.missing}", highlight=False)
    if lines:
        shown = table(out, "line", "resident", "name", "state", "room", right=("line",))
        for line in detail.lines:
            shown.add_row(str(line.line_no), str(line.resident_id or "-"), line.name,
                          line.state, line.room or "-")
        out.print(shown)


@app.command("create")
def create_cmd(
    vehicle: str = typer.Option(..., help="The vehicle's plate or number"),
    seats: int = typer.Option(..., min=1, max=100),
    facility: str = typer.Option(..., help="The facility's id or code"),
    departs: datetime = typer.Option(..., formats=MOMENT,
                                     help="Departure, city time (YYYY-MM-DDTHH:MM)"),
    expected: datetime = typer.Option(..., formats=MOMENT,
                                      help="Expected arrival, city time (YYYY-MM-DDTHH:MM)"),
    driver: str = typer.Option(..., help="The driver's name"),
    phone: str = typer.Option(..., help="The driver's phone"),
    route: str = typer.Option("", help="The route"),
    person: list[int] = typer.Option(..., "--person", min=1,
                                     help="A resident under a centralized order (repeat)"),
) -> None:
    """Make a manifest to a facility with the people on it, in seat order; refused whole,
    naming what is wrong (unknown person, seats, times)."""
    from epidesk.db import session_scope
    from epidesk.quarantine import service as facilities
    from epidesk.quarantine.transfers import service

    with session_scope() as session:
        ident = (int(facility) if facility.isascii() and facility.isdigit()
                 else facilities.facility_by_code(session, code=facility).id)
        order_ids = service.orders_of_residents(session, resident_ids=person)
        m = service.create_manifest(session, actor=cli_actor(), manifest=service.ManifestIn(
            vehicle=vehicle[:32], seats=seats, route=route[:500], facility_id=ident,
            departs_at=_city_time(departs), expected_at=_city_time(expected),
            driver_name=driver[:64], driver_phone=phone[:20], order_ids=order_ids))
        _print_manifest(session, m, lines=True)


@app.command("add")
def add_cmd(manifest_id: int = typer.Argument(..., min=1),
            person: list[int] = typer.Option(..., "--person", min=1,
                                             help="A resident under a centralized order "
                                                  "(repeat)")) -> None:
    """Add people to a manifest that has not left (refused whole, nothing added, when one
    is unknown, already on it, or the seats would not hold them)."""
    from epidesk.db import session_scope
    from epidesk.quarantine.transfers import service

    with session_scope() as session:
        order_ids = service.orders_of_residents(session, resident_ids=person)
        service.add_people(session, manifest_id=manifest_id, order_ids=order_ids,
                           actor=cli_actor())
        _print_manifest(session, service.get_manifest(session, manifest_id=manifest_id),
                        lines=True)


@app.command("show")
def show_cmd(manifest_id: int = typer.Argument(..., min=1)) -> None:
    """A manifest and each person's state."""
    from epidesk.db import session_scope
    from epidesk.quarantine.transfers import service

    with session_scope() as session:
        _print_manifest(session, service.get_manifest(session, manifest_id=manifest_id),
                        lines=True)


@app.command("edit")
def edit_cmd(
    manifest_id: int = typer.Argument(..., min=1),
    vehicle: str = typer.Option(None, help="The vehicle's plate or name"),
    seats: int = typer.Option(None, help="Seats (never below the people on board)"),
    driver_name: str = typer.Option(None, "--driver-name", help="The driver's name"),
    driver_phone: str = typer.Option(None, "--driver-phone", help="The driver's phone"),
    route: str = typer.Option(None, help="The route"),
    departs: datetime = typer.Option(None, formats=MOMENT,
                                     help="Departure, city time (YYYY-MM-DDTHH:MM)"),
    expected: datetime = typer.Option(None, formats=MOMENT,
                                      help="Expected arrival, city time (YYYY-MM-DDTHH:MM)"),
    note: str = typer.Option(None, help="A note for the dispatch"),
) -> None:
    """Set or change a manifest's dispatch details (what is not given stays); after the
    departure only --driver-phone and --note. Each change is logged; a bad value is
    refused whole, naming the field."""
    from epidesk.db import session_scope
    from epidesk.quarantine.transfers import service

    with session_scope() as session:
        changes = service.edit_manifest(
            session, manifest_id=manifest_id, actor=cli_actor(), edit=service.DispatchEdit(
                vehicle=vehicle, seats=seats, driver_name=driver_name,
                driver_phone=driver_phone, route=route, note=note,
                departs_at=_city_time(departs) if departs else None,
                expected_at=_city_time(expected) if expected else None))
        for c in changes:
            out.print(f"{c.field}: {c.old_value!r} -> {c.new_value!r}", highlight=False)
        if not changes:
            out.print("nothing changed", highlight=False)
        m = service.get_manifest(session, manifest_id=manifest_id)
        _print_manifest(session, m)
        out.print(f"driver {m.driver_name or '-'}, {m.driver_phone or '-'}"
                  + (f"; note: {m.note}" if m.note else ""), highlight=False)


@app.command("list")
def list_cmd(limit: int = typer.Option(20, min=1, max=500),
             no_driver: bool = typer.Option(False, "--no-driver",
                                            help="Only trips without a driver's contact "
                                                 "(returns home not yet left, and trips "
                                                 "departing within the set hours)")) -> None:
    """The latest manifests, latest departure first."""
    from epidesk.db import session_scope
    from epidesk.kit import clock
    from epidesk.quarantine.transfers import repository, service
    from epidesk.quarantine.transfers.deps import manifest_out

    with session_scope() as session:
        shown = table(out, "id", "purpose", "vehicle", "facility", "departs", "people",
                      "arrived", "missing", right=("id", "people", "arrived", "missing"))
        now = clock.now()
        found = (service.without_driver(session, now=now, limit=limit) if no_driver
                 else repository.manifests(session, limit=limit))
        for m in found:
            o = manifest_out(session, m, now)
            shown.add_row(str(o.id), o.purpose, o.vehicle + (" (no driver)" if o.needs_driver
                                                             else ""), o.facility,
                          clock.format_local(o.departs_at), str(o.people), str(o.checked_in),
                          str(o.missing))
        out.print(shown)


@app.command("depart")
def depart_cmd(manifest_id: int = typer.Argument(..., min=1)) -> None:
    """Record that the vehicle left (once; refused while nobody has been checked out)."""
    from epidesk.db import session_scope
    from epidesk.quarantine.transfers import service

    with session_scope() as session:
        m, changed = service.depart(session, manifest_id=manifest_id, actor=cli_actor())
        out.print(f"manifest {m.id}: " + ("departure recorded" if changed
                                          else "had already left; nothing changed"))


@app.command("check-out")
def check_out_cmd(manifest_id: int = typer.Argument(..., min=1),
                  line: int = typer.Option(..., "--line", min=1, max=100)) -> None:
    """Tick a manifest line off as boarded (at pickup, or leaving the facility on a
    return home); a repeat changes nothing."""
    from epidesk.db import session_scope
    from epidesk.quarantine.transfers import service

    with session_scope() as session:
        done = service.check_out(session, manifest_id=manifest_id, line_no=line,
                                 actor=cli_actor())
        out.print(f"manifest {manifest_id} line {done.line_no}: checked out")


@app.command("check-in")
def check_in_cmd(manifest_id: int = typer.Argument(..., min=1),
                 person: int = typer.Option(..., "--person", min=1,
                                            help="The resident arriving"),
                 home: bool = typer.Option(False, "--home",
                                           help="Arrived home on a return home")) -> None:
    """Check a person in at the facility (or at home with --home); a repeat changes
    nothing; someone not on the manifest is refused."""
    from epidesk.db import session_scope
    from epidesk.quarantine.transfers import service

    with session_scope() as session:
        check = service.check_in_home if home else service.check_in
        done, changed = check(session, manifest_id=manifest_id, resident_id=person,
                              actor=cli_actor())
        out.print(f"manifest {manifest_id} line {done.line_no}: "
                  + ("checked in" if changed else "already checked in; nothing changed"))


@app.command("missing")
def missing_cmd(as_json: bool = typer.Option(False, "--json",
                                             help="Print one JSON list on stdout")) -> None:
    """Everyone not checked in by the expected arrival plus the grace period, unresolved."""
    from epidesk.db import session_scope
    from epidesk.kit import clock
    from epidesk.quarantine.transfers.deps import alerts_out

    with session_scope() as session:
        found, _ = alerts_out(session, None, clock.now())
    if as_json:
        out.print_json(json.dumps([a.model_dump(mode="json") for a in found]))
        return
    shown = table(out, "line id", "manifest", "line", "vehicle", "expected", "resident",
                  "name", right=("line id", "manifest", "line", "resident"))
    for a in found:
        shown.add_row(str(a.line_id), str(a.manifest_id), str(a.line_no), a.vehicle,
                      clock.format_local(a.expected_at), str(a.resident_id), a.name)
    out.print(shown)
    out.print(f"{len(found)} missing", highlight=False)


@app.command("resolve")
def resolve_cmd(line_id: int = typer.Argument(..., min=1, help="The alert's line id"),
                reason: str = typer.Option(..., help="arrived_late, hospital, other_facility, "
                                                     "home_order or not_travelling"),
                note: str = typer.Option(..., help="What happened")) -> None:
    """Close a missing person's alert with what happened."""
    from epidesk.db import session_scope
    from epidesk.quarantine.transfers import service

    with session_scope() as session:
        done = service.resolve(session, line_id=line_id, resolution=reason, note=note,
                               actor=cli_actor())
        out.print(f"manifest {done.manifest_id} line {done.line_no}: resolved ({reason})")
