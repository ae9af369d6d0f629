"""`epidesk quarantine` commands: facilities (import, format, list, show, capacity,
reserve, inspect), orders (sync, list, show, overdue, extend/shorten, deliver, visitor,
release), placement runs, transfers and home monitoring (their own sub-commands)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer

from epidesk.kit.console import (
    ALREADY_IMPORTED,
    IMPORT_EXIT_CODES,
    Group,
    ImportOutcome,
    cli_actor,
    console,
    failures_as_json,
    progress_bars,
    report_import,
    table,
)
from epidesk.quarantine.monitoring import cli as monitoring
from epidesk.quarantine.placement import cli as placement
from epidesk.quarantine.transfers import cli as transfers

app = typer.Typer(help="Quarantine: facilities, inspections, orders, release.",
                  no_args_is_help=True)
facilities_app = typer.Typer(help="Facilities and rooms, capacity, the room reserve.",
                             no_args_is_help=True)
orders_app = typer.Typer(help="Quarantine and isolation orders.", no_args_is_help=True)
app.add_typer(facilities_app, name="facilities", cls=Group)
app.add_typer(orders_app, name="orders", cls=Group)
app.add_typer(placement.app, name="placement", cls=Group)
app.add_typer(transfers.app, name="transfers", cls=Group)
app.add_typer(monitoring.app, name="monitoring", cls=Group)
out = console()
err = console(stderr=True)

LABELS = {"read": "reading the file", "validate": "validating", "facility": "writing"}


@facilities_app.command("format")
def format_cmd() -> None:
    """The facility-list CSV: one line per room, its columns, and an example."""
    from epidesk.quarantine.facilities import rules

    listed = table(out, "column", "meaning", title="Facility list (CSV, UTF-8, one line per room)")
    for column in rules.COLUMNS:
        optional = " (may be empty)" if column in rules.OPTIONAL else ""
        listed.add_row(column, rules.DESCRIPTIONS[column] + optional)
    out.print(listed)
    out.print("A facility's columns repeat on each of its rooms' lines and must agree; a "
              "later list with a known facility code updates it, and takes the rooms it "
              "leaves out out of service.")
    out.print(rules.example_csv(), markup=False, highlight=False)


@facilities_app.command("import", epilog=IMPORT_EXIT_CODES)
def import_cmd(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help="Facility list CSV (see `epidesk quarantine facilities "
                                     "format`)"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout"),
) -> None:
    """Import a facility list: validated whole, then stored; a file with any bad line is
    rejected whole, with a report by line and column."""
    from epidesk.db import check_connection, get_engine, session_scope
    from epidesk.quarantine.facilities import service as lists

    with failures_as_json(as_json, err):
        check_connection(get_engine())
        with progress_bars(err, LABELS, quiet=as_json) as progress, session_scope() as session:
            done = lists.import_list_file(session, path=path, received_by=cli_actor(),
                                          progress=progress)
            record = done.record
            if done.already_imported:
                outcome = ImportOutcome(
                    kind="facility_list", record_id=record.id, filename=record.filename,
                    status=ALREADY_IMPORTED,
                    heading=f"this file was already imported as facility list {record.id}; "
                            "nothing changed")
            elif done.accepted:
                outcome = ImportOutcome(
                    kind="facility_list", record_id=record.id, filename=record.filename,
                    status=record.status,
                    heading=f"facility list {record.id}: accepted, {record.facilities:,} "
                            f"facilities with {record.rooms:,} rooms",
                    summary=f"{record.added:,} added, {record.changed:,} updated",
                    written={"facilities": record.facilities, "rooms": record.rooms,
                             "added": record.added, "changed": record.changed})
            else:
                outcome = ImportOutcome(
                    kind="facility_list", record_id=record.id, filename=record.filename,
                    status=record.status, heading=f"facility list {record.id}: rejected",
                    problems=lists.list_problems(record),
                    problem_counts=lists.list_problem_counts(record),
                    problem_count=record.problem_count)
    report_import(outcome, as_json=as_json, out=out, err=err)


@facilities_app.command("list")
def list_cmd(day: datetime = typer.Option(None, formats=["%Y-%m-%d"],
                                          help="Capacity and eligibility on this day"),
             limit: int = typer.Option(100, min=1, max=10_000),
             offset: int = typer.Option(0, min=0)) -> None:
    """Facilities: beds, occupied, free, complaints, eligibility for new placements."""
    from epidesk.db import session_scope
    from epidesk.quarantine import service

    with session_scope() as session:
        found = service.list_facilities(session, day=day.date() if day else None, limit=limit,
                                        offset=offset)
        total = service.count_facilities(session)
    listed = table(out, "id", "code", "name", "city", "kind", "use", "beds", "occupied", "free",
                   "complaints", "new placements",
                   right=("id", "beds", "occupied", "free", "complaints"))
    for f in found:
        listed.add_row(str(f.id), f.code, f.name, f.city, f.kind, f.use, f"{f.beds:,}",
                       f"{f.occupied_beds:,}", f"{f.free_beds:,}", str(f.complaints),
                       "eligible" if f.eligibility.eligible else
                       f"not eligible: {f.eligibility.reason.replace('_', ' ')}")
    out.print(listed)
    out.print(f"showing {offset + 1 if found else 0}-{offset + len(found)} of {total:,}"
              + ("; use --limit/--offset" if total > offset + len(found) else ""))


@facilities_app.command("show")
def show_cmd(facility: str = typer.Argument(..., help="Facility id or code")) -> None:
    """A facility: rooms, inspections, complaints, eligibility."""
    from epidesk.db import session_scope
    from epidesk.quarantine import service

    with session_scope() as session:
        ident = (int(facility) if facility.isascii() and facility.isdigit()
                 else service.facility_by_code(session, code=facility).id)
        f = service.facility_detail(session, facility_id=ident)
    out.print(f"{f.name} ({f.code}), {f.kind} for {f.use}, {f.status}; {f.address}, {f.city}"
              + (f", {f.district}" if f.district else ""), highlight=False)
    out.print(f"{f.beds:,} beds in {f.rooms:,} rooms; {f.occupied_beds:,} occupied, "
              f"{f.free_beds:,} free; medical staff {f.medical_staff}; complaints "
              f"{f.complaints}")
    e = f.eligibility
    out.print("new placements: " + ("eligible" if e.eligible else
                                    f"not eligible ({e.reason.replace('_', ' ')}"
                                    + (": " + ", ".join(e.failed_items) if e.failed_items
                                       else "") + ")"))
    inspections = table(out, "day", "inspector", "result", "failed items",
                        title="Inspections")
    for i in f.inspections:
        inspections.add_row(i.inspected_on.isoformat(), i.inspector,
                            "passed" if i.passed else "failed",
                            ", ".join(x.item for x in i.items if not x.passed))
    out.print(inspections)
    rooms = table(out, "room", "type", "beds", "bathroom", "accessible", "in service",
                  title="Rooms", right=("beds",))
    for r in f.room_list:
        rooms.add_row(r.number, r.room_type, str(r.beds), "yes" if r.own_bathroom else "no",
                      "yes" if r.accessible else "no", "yes" if r.in_service else "no")
    out.print(rooms)


@facilities_app.command("reserve")
def reserve_cmd() -> None:
    """The room reserve per district against the national target."""
    from epidesk.db import session_scope
    from epidesk.quarantine import service

    with session_scope() as session:
        found = service.reserve(session)
    listed = table(out, "district", "residents", "target", "rooms", "shortfall",
                   title=f"Room reserve: {found.rooms_per_10k_residents} rooms per 10,000 "
                         f"residents ({found.rule})",
                   right=("residents", "target", "rooms", "shortfall"))
    for r in found.rows:
        listed.add_row(r.district, f"{r.residents:,}", f"{r.target_rooms:,}", f"{r.rooms:,}",
                       f"{r.shortfall:,}")
    out.print(listed)


@facilities_app.command("capacity")
def capacity_cmd(first: datetime = typer.Option(None, formats=["%Y-%m-%d"],
                                                help="First day (default today)"),
                 days: int = typer.Option(7, min=1, max=60)) -> None:
    """Beds, occupied and free beds per facility and day."""
    from epidesk.db import session_scope
    from epidesk.kit import clock
    from epidesk.quarantine import service

    with session_scope() as session:
        found = service.capacity(session, first=first.date() if first else
                                 clock.local_day(clock.now()), days=days)
    listed = table(out, "day", "facility", "open", "beds", "occupied", "free",
                   right=("beds", "occupied", "free"))
    for c in found:
        listed.add_row(c.day.isoformat(), c.code, "yes" if c.open else "no", f"{c.beds:,}",
                       f"{c.occupied_beds:,}", f"{c.free_beds:,}")
    out.print(listed)


@orders_app.command("sync")
def sync_cmd(everyone: bool = typer.Option(False, "--all", help="Settle every active "
                                           "contact, case and order, not only the changes")
             ) -> None:
    """Make and update the orders tracing's contacts and the cases call for since the
    last sync; withdrawn evidence or a withdrawn case withdraws the orders on it."""
    from epidesk.db import session_scope
    from epidesk.quarantine.orders import service as orders

    with session_scope() as session:
        result = orders.sync_orders(session, actor=cli_actor(), everyone=everyone)
    counted = table(out, "", "count", right=("count",), title="Orders")
    for key, value in result.as_dict().items():
        counted.add_row(key, f"{value:,}")
    out.print(counted)


def _print_order(view: dict[str, object]) -> None:
    out.print(f"order {view['id']} of resident {view['resident_id']} ({view['name']}): "
              f"{view['kind']} as {view['category']}, {view['form']}, {view['state']}",
              highlight=False)
    out.print(str(view["explanation"]), highlight=False)
    room = view["room"]
    if isinstance(room, dict):
        out.print(f"room {room['room']} of {room['facility_name']} ({room['facility']})",
                  highlight=False)
    for change in view["end_history"]:  # type: ignore[attr-defined]
        out.print(f"end {change['previous_end_on']} -> {change['end_on']} ({change['kind']}, "
                  f"{change['actor']}): {change['reason']}", highlight=False)


@orders_app.command("show")
def show_order_cmd(order_id: int = typer.Argument(..., min=1)) -> None:
    """An order: its rule explained, dates, room, earlier end dates."""
    from epidesk.db import session_scope
    from epidesk.quarantine.deps import order_view
    from epidesk.quarantine.orders import service as orders

    with session_scope() as session:
        _print_order(order_view(session, orders.get_order(session, order_id=order_id)))


@orders_app.command("overdue")
def overdue_cmd(day: datetime = typer.Option(None, formats=["%Y-%m-%d"])) -> None:
    """People held past their order's end, longest overdue first."""
    from epidesk.db import session_scope
    from epidesk.quarantine.orders import service as orders

    with session_scope() as session:
        found = orders.overdue_orders(session, today=day.date() if day else None, limit=1000)
        listed = table(out, "order", "resident", "form", "ended", "days overdue",
                       right=("order", "resident", "days overdue"))
        for o, days in found:
            listed.add_row(str(o.id), str(o.resident_id), o.form, o.end_on.isoformat(),
                           str(days))
    out.print(listed)


@orders_app.command("change-end")
def change_end_cmd(order_id: int = typer.Argument(..., min=1),
                   end_on: datetime = typer.Option(..., "--end", formats=["%Y-%m-%d"]),
                   reason: str = typer.Option(..., help="Why (kept in the history)")) -> None:
    """Extend or shorten an order; the earlier end stays visible."""
    from epidesk.db import session_scope
    from epidesk.quarantine.orders import service as orders

    with session_scope() as session:
        o = orders.change_end(session, order_id=order_id, end_on=end_on.date(), reason=reason,
                              actor=cli_actor())
        out.print(f"order {o.id} now ends on {o.end_on.isoformat()} (version {o.version})")


@orders_app.command("deliver")
def deliver_cmd(order_id: int = typer.Argument(..., min=1),
                method: str = typer.Option(..., help="in_person, phone, letter or on_behalf"),
                received_by: str = typer.Option(None, help="For on_behalf: who received it"),
                relation: str = typer.Option(None, help="For on_behalf: how they relate")
                ) -> None:
    """Record how the order reached the resident."""
    from epidesk.db import session_scope
    from epidesk.quarantine.orders import service as orders

    with session_scope() as session:
        orders.record_delivery(session, order_id=order_id, method=method,
                               received_by=received_by, relation=relation, actor=cli_actor())
    out.print(f"order {order_id}: delivery recorded ({method})")


@orders_app.command("visitor")
def visitor_cmd(resident_id: int = typer.Argument(..., min=1),
                zone_id: int = typer.Option(..., "--zone", min=1),
                left_on: datetime = typer.Option(..., "--left-on", formats=["%Y-%m-%d"],
                                                 help="The day they left the zone")) -> None:
    """An order for a resident who visited a high- or medium-risk zone."""
    from epidesk.db import session_scope
    from epidesk.quarantine.orders import service as orders

    with session_scope() as session:
        o = orders.visitor_order(session, resident_id=resident_id, zone_id=zone_id,
                                 left_on=left_on.date(), actor=cli_actor())
        out.print(f"order {o.id}: {o.category}, {o.form} until {o.end_on.isoformat()}")


@orders_app.command("release")
def release_cmd(order_id: int = typer.Argument(..., min=1)) -> None:
    """Release the resident when the rule's results are there (else the missing ones are
    named and nothing changes)."""
    from epidesk.db import session_scope
    from epidesk.quarantine.release import service as release

    with session_scope() as session:
        o = release.release(session, order_id=order_id, actor=cli_actor())
        out.print(f"order {o.id}: released on {o.released_on} under {o.release_rule}"
                  + (f"; home health monitoring until {o.monitoring_until}"
                     if o.monitoring_until else ""))


