"""`epidesk vaccination ...`: products, sites and their list import, slots, campaign
checks, coverage and reminders."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import typer

from epidesk.kit.console import (
    ALREADY_IMPORTED,
    ImportOutcome,
    cli_actor,
    console,
    failures_as_json,
    report_import,
    table,
)

app = typer.Typer(help="Vaccination: products, sites, campaigns checked against capacity, "
                       "appointments, coverage.", no_args_is_help=True)
out = console()
err = console(stderr=True)

SITE_LIST_HELP = ("Site list CSV: code, name, district (code), address, stations, "
                  "doses_per_station_hour, mon ... sun (HH:MM-HH:MM, empty when closed)")


def _day(text: str | None, name: str) -> date:
    from epidesk.kit import clock

    if text is None:
        return clock.city_today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a day YYYY-MM-DD", param_hint=name) from None


@app.command("products")
def products_cmd() -> None:
    """The vaccine products and their schedules (from the product files)."""
    from epidesk.vaccination.catalogue import service as catalogue

    shown = table(out, "Product", "Dose", "Series", "From age", "After (days)")
    for p in catalogue.products().values():
        for d in p.doses:
            age = str(d.min_age) + (f" ({d.min_age_or_high_risk} unless high-risk)"
                                    if d.min_age_or_high_risk else "")
            after = "" if d.min_interval_days is None else (
                f"{d.min_interval_days}" + (f"-{d.max_interval_days}"
                                            if d.max_interval_days else "+"))
            shown.add_row(p.name, str(d.number), d.series.replace("_", " "), age, after)
    out.print(shown)


@app.command("import-sites")
def import_sites_cmd(
    path: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                                help=SITE_LIST_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout"),
) -> None:
    """Import a site list: validated whole, then its sites created or updated; a file
    with any bad line is rejected whole, with a report by line and column."""
    from epidesk.db import session_scope
    from epidesk.kit.imports import listed_problems, problem_counts
    from epidesk.vaccination.sites import service as sites

    with failures_as_json(as_json, err), session_scope() as session:
        done = sites.import_sites_file(session, path=path, received_by=cli_actor())
        r = done.record
        if done.already_imported:
            outcome = ImportOutcome(kind="site_list", record_id=r.id, filename=r.filename,
                                    status=ALREADY_IMPORTED,
                                    heading=f"this file was already imported as site list "
                                            f"{r.id}; nothing changed")
        elif done.accepted:
            outcome = ImportOutcome(kind="site_list", record_id=r.id, filename=r.filename,
                                    status=r.status,
                                    heading=f"site list {r.id}: accepted",
                                    summary=f"{r.created:,} sites created, {r.updated:,} updated",
                                    written={"rows": r.rows, "created": r.created,
                                             "updated": r.updated})
        else:
            outcome = ImportOutcome(kind="site_list", record_id=r.id, filename=r.filename,
                                    status=r.status, heading=f"site list {r.id}: rejected",
                                    problems=listed_problems(r),
                                    problem_counts=problem_counts(r),
                                    problem_count=r.problem_count)
    report_import(outcome, as_json=as_json, out=out, err=err)


@app.command("sites")
def sites_cmd(district: int | None = typer.Option(None, help="Only this district's sites")
              ) -> None:
    """Sites with their stations, rate and stock."""
    from epidesk.db import session_scope
    from epidesk.vaccination.sites import repository, service

    with session_scope() as session:
        found = repository.sites(session, district_ids=[district] if district else None,
                                 limit=10_000)
        held: dict[int, int] = {}
        for x in service.stock(session, [s.id for s in found]):
            held[x.site_id] = held.get(x.site_id, 0) + x.doses
        shown = table(out, "Id", "Code", "Name", "District", "Stations", "Rate", "Stock",
                      right=("Id", "Stations", "Rate", "Stock"))
        for s in found:
            shown.add_row(str(s.id), s.code, s.name, str(s.district_id), str(s.stations),
                          str(s.doses_per_station_hour), f"{held.get(s.id, 0):,}")
    out.print(shown)


@app.command("open-slots")
def open_slots_cmd(site: int = typer.Argument(..., help="Site id"),
                   day: str = typer.Argument(..., help="Day YYYY-MM-DD"),
                   dose: int = typer.Argument(..., help="Dose number"),
                   capacity: int = typer.Argument(..., help="Places")) -> None:
    """Offer places for one dose number at a site on a day."""
    from epidesk.db import session_scope
    from epidesk.vaccination.booking import service as booking

    with session_scope() as session:
        pool = booking.open_slots(session, site_id=site, day=_day(day, "day"),
                                  dose_number=dose, capacity=capacity)
        out.print(f"site {site}, {day}, dose {dose}: {pool.capacity} places, "
                  f"{pool.booked} booked")


@app.command("check")
def check_cmd(
    district: int = typer.Argument(..., help="District id"),
    first: str = typer.Argument(..., help="First day YYYY-MM-DD"),
    last: str = typer.Argument(..., help="Last day YYYY-MM-DD"),
    target: int = typer.Argument(..., help="Doses to give"),
    dose: int | None = typer.Option(None, help="Only this dose number"),
    accept: str | None = typer.Option(None, help="Accept it under this name if feasible"),
    as_json: bool = typer.Option(False, "--json", help="Print the check as JSON"),
) -> None:
    """Check a campaign target against the district's capacity, staff, stock and eligible
    residents; exit 1 when it is not feasible."""
    from epidesk.db import session_scope
    from epidesk.vaccination.campaigns import service as campaigns

    with failures_as_json(as_json, err), session_scope() as session:
        found = campaigns.check(session, district_id=district, first_day=_day(first, "first"),
                                last_day=_day(last, "last"), target=target, dose_number=dose)
        if accept and found.feasible:
            campaigns.accept(session, name=accept, district_id=district,
                             first_day=found.first_day, last_day=found.last_day,
                             target=target, dose_number=dose, actor=cli_actor())
    if as_json:
        typer.echo(json.dumps(found.as_dict(), ensure_ascii=False))
    else:
        verdict = "feasible" if found.feasible else (
            f"NOT feasible: {found.achievable:,} of {target:,} doses, "
            f"{found.shortfall:,} short ({', '.join(found.limits)})")
        out.print(f"district {district}, {found.days} days: {verdict}")
        out.print(f"capacity {found.capacity:,} (every station staffed: "
                  f"{found.full_capacity:,}); stock {found.stock:,}; eligible "
                  f"{found.eligible:,}")
        for s in found.suggestions:
            numbers = ", ".join(f"{k} {v}" for k, v in s.numbers.items() if k != "sites")
            out.print(f"- {s.kind.replace('_', ' ')}: {numbers}"
                      + (" (enough on its own)" if s.enough else ""))
    if not found.feasible:
        raise typer.Exit(1)


@app.command("coverage")
def coverage_cmd(day: str | None = typer.Option(None, help="As of this day (default today)"),
                 as_json: bool = typer.Option(False, "--json")) -> None:
    """Coverage by district and age band, by dose (counts only)."""
    from epidesk.db import session_scope
    from epidesk.vaccination import service

    when = _day(day, "--day")
    with session_scope() as session:
        rows = service.coverage(session, day=when)
    if as_json:
        typer.echo(json.dumps([{"district": r.district, "age_band": r.band,
                                "residents": r.residents,
                                **dict(zip(service.DOSE_NAMES, r.doses, strict=True))}
                               for r in rows]))
        return
    shown = table(out, "District", "Age", "Residents", "Dose 1", "Dose 2", "Booster 1",
                  "Booster 2", title=f"Coverage on {when.isoformat()}",
                  right=("Residents", "Dose 1", "Dose 2", "Booster 1", "Booster 2"))
    for r in rows:
        shown.add_row(r.district, r.band, f"{r.residents:,}", *[f"{n:,}" for n in r.doses])
    out.print(shown)


@app.command("remind")
def remind_cmd() -> None:
    """Queue a reminder to every resident who opted in and whose dose is due."""
    from epidesk.db import session_scope
    from epidesk.kit import clock
    from epidesk.vaccination.booking import service as booking

    with session_scope() as session:
        queued = booking.send_reminders(session, today=clock.city_today(), actor=cli_actor())
    out.print(f"{queued:,} reminders queued")
