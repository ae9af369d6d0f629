"""`epidesk supplies ...`: the households served, the overdue list, the day's batches,
receipts at depots and the depots' figures."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import typer

from epidesk.kit.console import (
    ALREADY_IMPORTED,
    IMPORT_EXIT_CODES,
    ImportOutcome,
    cli_actor,
    console,
    failures_as_json,
    report_import,
    table,
)

app = typer.Typer(help="Household supplies: households served, batches, depots, receipts.",
                  no_args_is_help=True)


def _day(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from exc


@app.command("sync")
def sync(day: str = typer.Option(None, help="The city day (default: today)")) -> None:
    """Bring the households served up to the zones in force (safe to run twice)."""
    from epidesk.db import session_scope
    from epidesk.kit import clock
    from epidesk.supplies import service

    with session_scope() as session:
        counts = service.sync_roster(session, day=_day(day) or clock.city_today())
    console().print(", ".join(f"{k}: {v:,}" for k, v in counts.items()))


@app.command("overdue")
def overdue(days: int = typer.Option(None, min=1, max=60,
                                     help="N (default: EPIDESK_SUPPLIES_OVERDUE_DAYS)"),
            as_json: bool = typer.Option(False, "--json", help="One JSON object")) -> None:
    """Restricted households past N days without a delivery, most urgent first."""
    from epidesk.db import session_scope
    from epidesk.kit import clock
    from epidesk.supplies import service

    out = console()
    with session_scope() as session:
        found = service.overdue(session, day=clock.city_today(), days=days)
    if as_json:
        typer.echo(json.dumps({"households": [
            {"household_id": v.household_id, "days_without_delivery": v.days_without,
             "score": v.score, "flags": v.flags.named()} for v in found]}))
        return
    shown = table(out, "Household", "Building", "Days", "Score", "Needs",
                  title=f"{len(found):,} households overdue", right=("Days", "Score"))
    for v in found:
        shown.add_row(str(v.household_id), str(v.building_id), str(v.days_without),
                      f"{v.score:.0f}", ", ".join(v.flags.named()))
    out.print(shown)


@app.command("batches")
def batches(day: str = typer.Option(None, help="The city day (default: today)"),
            build: bool = typer.Option(False, "--build", help="Build the day's batches first")
            ) -> None:
    """The day's batches in round order (with --build: made first, safe to run twice)."""
    from epidesk.db import session_scope
    from epidesk.kit import clock
    from epidesk.supplies import repository, service

    out = console()
    chosen = _day(day) or clock.city_today()
    with session_scope() as session:
        if build:
            run = service.build_batches(session, day=chosen, actor=cli_actor())
            out.print(f"{run.batches:,} batches, {run.deliveries:,} deliveries, "
                      f"{run.held:,} held, in {run.seconds:.2f} s")
        shown = table(out, "Round", "Batch", "Building", "Doors", "Depot", "Status",
                      title=f"Batches on {chosen.isoformat()}", right=("Round", "Doors"))
        for b in repository.batches(session, day=chosen):
            shown.add_row(str(b.rank), str(b.id), str(b.building_id), str(len(b.deliveries)),
                          str(b.depot_id or "-"),
                          b.status + (f": {b.hold_reason}" if b.hold_reason else ""))
        out.print(shown)


@app.command("depots")
def depots_cmd(day: str = typer.Option(None, help="The city day (default: today)")) -> None:
    """Every depot's stock, rate of issue, days of stock and shortage alerts."""
    from epidesk.db import session_scope
    from epidesk.kit import clock
    from epidesk.supplies.depots import repository
    from epidesk.supplies.depots import service as depots

    out = console()
    chosen = _day(day) or clock.city_today()
    with session_scope() as session:
        for depot in repository.depots(session):
            shown = table(out, "Item", "On hand", "Per day", "Days left", "Out days", "Alert",
                          title=f"{depot.name} ({depot.code})",
                          right=("On hand", "Per day", "Days left", "Out days"))
            for f in depots.figures(session, depot_id=depot.id, day=chosen):
                shown.add_row(f.item, f"{f.on_hand:,}", f"{f.rate:g}",
                              "-" if f.days_of_stock is None else f"{f.days_of_stock:g}",
                              str(f.stock_out_days), "SHORTAGE" if f.shortage else "")
            out.print(shown)


@app.command("add-depot")
def add_depot(code: str = typer.Argument(..., help="A short unique code, used in receipts"),
              name: str = typer.Argument(..., help="The depot's name"),
              district_id: int = typer.Option(..., "--district", min=1,
                                              help="The district it serves")) -> None:
    """A new depot."""
    from epidesk.db import session_scope
    from epidesk.supplies.depots import service as depots

    with session_scope() as session:
        found = depots.create_depot(session, code=code, name=name, district_id=district_id)
        console().print(f"depot {found.id} ({found.code})")


@app.command("receive", epilog=IMPORT_EXIT_CODES)
def receive(path: Path = typer.Argument(..., exists=True, dir_okay=False,
                                        help="Receipt CSV: depot, item, lot, expires_on, "
                                             "quantity"),
            as_json: bool = typer.Option(False, "--json", help="One JSON object")) -> None:
    """Book a receipt file whole (rejected whole with a report; the same file twice
    changes nothing)."""
    from epidesk.db import session_scope
    from epidesk.kit.imports import listed_problems, problem_counts
    from epidesk.supplies.depots import service as depots

    out, err = console(), console(stderr=True)
    with failures_as_json(as_json, err), session_scope() as session:
        result = depots.import_receipts(session, content=path.read_bytes(),
                                        filename=path.name, received_by=cli_actor())
        record = result.record
        status = ALREADY_IMPORTED if result.already_imported else record.status
        outcome = ImportOutcome(
            kind="stock_receipt", record_id=record.id, filename=path.name, status=status,
            heading=f"receipt {record.id} ({path.name}): {status.replace('_', ' ')}",
            summary=f"{record.lines:,} lines booked", written={"lines": record.lines},
            problems=listed_problems(record), problem_counts=problem_counts(record),
            problem_count=record.problem_count)
    report_import(outcome, as_json=as_json, out=out, err=err)
