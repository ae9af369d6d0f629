"""`epidesk cases` commands: ingest lab results, list, show, reclassify, withdraw, bulletin.

`ingest_cmd` is also mounted as `epidesk ingest results`.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from epidesk.cases import service
from epidesk.db import check_connection, get_engine, session_scope
from epidesk.kit import clock
from epidesk.kit.console import cli_actor, progress_bars
from epidesk.testing.deps import print_batch

app = typer.Typer(help="Cases: ingest lab results, list, reclassify, withdraw, bulletin.",
                  no_args_is_help=True)
out = Console()

LABELS = {"read": "reading the file", "parse": "parsing", "residents": "looking up residents",
          "validate": "validating", "tube": "writing tubes",
          "sample": "writing samples", "retest_order": "ordering retests",
          "retests": "resolving retests", "cases": "registering cases"}


def ingest_file(path: Path) -> None:
    """Ingest a lab batch file with a progress bar; exit 1 when it is rejected."""
    check_connection(get_engine())
    with progress_bars(out, LABELS) as progress, session_scope() as session:
        result = service.ingest_results_file(session, path=path, received_by=cli_actor(),
                                             progress=progress)
    if result.already_ingested:
        out.print(f"this file was already ingested as batch {result.batch.id}; nothing changed")
        return
    print_batch(out, result.batch)
    if not result.accepted:
        out.print("[bold red]rejected:[/] nothing of this file was written")
        raise typer.Exit(1)


FileArgument = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                              help="Lab batch: CSV or Parquet")


@app.command("ingest")
def ingest_cmd(path: Path = FileArgument) -> None:
    """Ingest a lab batch: validate it whole, write results, retests and cases."""
    ingest_file(path)


@app.command("list")
def list_cmd(
    reported_on: str = typer.Option("", help="Only cases reported on this day (YYYY-MM-DD)"),
    status: str = typer.Option("", help="active or withdrawn"),
    limit: int = typer.Option(50, min=1, max=service.MAX_LIST),
) -> None:
    """List cases, newest report first."""
    day = date.fromisoformat(reported_on) if reported_on else None
    with session_scope() as session:
        rows = service.list_cases(session, reported_on=day, status=status or None, limit=limit)
        table = Table(title="Cases", title_justify="left")
        for name in ("Id", "Resident", "Classification", "Status", "Sampled", "Onset",
                     "Isolated", "Reported", "Origin"):
            table.add_column(name)
        for c, r in rows:
            table.add_row(str(c.id), f"{r.id} {r.name_latin}", c.classification, c.status,
                          str(c.sampling_date), str(c.onset_date or "-"),
                          str(c.isolation_date or "-"), str(c.reported_on),
                          "imported" if c.imported else "local")
    out.print(table if rows else "no case")


@app.command("show")
def show_cmd(case_id: int = typer.Argument(..., help="Case id")) -> None:
    """Show a case with its history."""
    with session_scope() as session:
        record = service.case_record(session, case_id=case_id)
        c, r = record.episode, record.resident
        out.print(f"[bold]Case {c.id}[/] {c.classification} ({c.status}): resident {r.id} "
                  f"{r.name} {r.name_latin}")
        out.print(f"sampled {c.sampling_date}, onset {c.onset_date or '-'}, isolated "
                  f"{c.isolation_date or '-'}, reported {c.reported_on}; asymptomatic on "
                  f"{c.asymptomatic_on or '-'}, confirmed on {c.confirmed_on or '-'}")
        for e in c.events:
            out.print(f"  {e.at:%Y-%m-%d %H:%M} {e.kind} by {e.actor}: {e.note or ''}")


@app.command("reclassify")
def reclassify_cmd(
    case_id: int = typer.Argument(..., help="Case id"),
    on: str = typer.Option("", help="Day of the reclassification (default today)"),
    onset: str = typer.Option("", help="Symptom onset (YYYY-MM-DD), when known"),
) -> None:
    """Reclassify an asymptomatic infection as a confirmed case."""
    with session_scope() as session:
        episode = service.reclassify(
            session, case_id=case_id, actor=cli_actor(),
            on=date.fromisoformat(on) if on else None,
            onset_date=date.fromisoformat(onset) if onset else None)
        out.print(f"case {episode.id} is confirmed from {episode.confirmed_on} "
                  f"(asymptomatic from {episode.asymptomatic_on})")


@app.command("withdraw")
def withdraw_cmd(case_id: int = typer.Argument(..., help="Case id"),
                 reason: str = typer.Option(..., help="Why, e.g. 'false positive'")) -> None:
    """Withdraw a case, with a reason."""
    with session_scope() as session:
        episode = service.withdraw(session, case_id=case_id, reason=reason, actor=cli_actor())
        out.print(f"case {episode.id} withdrawn: {episode.withdrawal_reason}")


@app.command("bulletin")
def bulletin_cmd(
    day: str = typer.Option("", help="Day (YYYY-MM-DD; default today)"),
    as_of: str = typer.Option("", help="Count as the data stood at this time (ISO 8601)"),
    csv: bool = typer.Option(False, "--csv", help="Print CSV"),
) -> None:
    """The daily bulletin: new cases by district, local and imported."""
    chosen = date.fromisoformat(day) if day else clock.city_today()
    moment = datetime.fromisoformat(as_of) if as_of else None
    with session_scope() as session:
        result = service.bulletin(session, day=chosen, as_of=moment)
    if csv:
        typer.echo(service.bulletin_csv(result), nl=False)
        return
    table = Table(title=f"Daily bulletin {chosen} (as of {result.as_of:%Y-%m-%d %H:%M} UTC)",
                  title_justify="left")
    table.add_column("District")
    for name in ("Confirmed", "Asymptomatic", "Reclassified", "Imp. confirmed",
                 "Imp. asymptomatic", "Imp. reclassified"):
        table.add_column(name, justify="right")
    for name, counts in [*((r.name, r.counts) for r in result.rows),
                         ("Whole city", result.total)]:
        table.add_row(name, *(str(v) for c in (counts.local, counts.imported)
                              for v in (c.new_confirmed, c.new_asymptomatic, c.reclassified)))
    out.print(table)


# Mounted by the root command as `epidesk ingest results`.
INGEST_COMMANDS = {"results": ingest_cmd}
