"""`epidesk cases` commands: ingest lab results, list, show, reclassify, withdraw, bulletin.

`ingest_cmd` is also mounted as `epidesk ingest results`.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from epidesk.kit.console import (
    ALREADY_IMPORTED,
    IMPORT_EXIT_CODES,
    ImportOutcome,
    cli_actor,
    console,
    failures_as_json,
    print_page,
    progress_bars,
    report_import,
    table,
    wide,
)
from epidesk.kit.paging import MAX_LIST

if TYPE_CHECKING:
    from epidesk.testing.ingest.service import IngestResult

app = typer.Typer(help="Cases: ingest lab results, list, reclassify, withdraw, bulletin.",
                  no_args_is_help=True)
out = console()
err = console(stderr=True)

LABELS = {"read": "reading the file", "parse": "parsing", "residents": "looking up residents",
          "validate": "validating", "tube": "writing tubes",
          "sample": "writing samples", "retest_order": "ordering retests",
          "retests": "resolving retests", "cases": "registering cases"}


def ingest_file(path: Path, *, as_json: bool = False) -> None:
    """Ingest a lab batch file with a progress bar (on stderr); exit 1 when it is rejected."""
    from epidesk.cases import service
    from epidesk.db import check_connection, get_engine, session_scope

    with failures_as_json(as_json, err):
        check_connection(get_engine())
        with progress_bars(err, LABELS, quiet=as_json) as progress, session_scope() as session:
            result = service.ingest_results_file(session, path=path, received_by=cli_actor(),
                                                 progress=progress, deferred=True)
            outcome = batch_outcome(result)
    report_import(outcome, as_json=as_json, out=out, err=err)


def batch_outcome(result: IngestResult) -> ImportOutcome:
    """What the command says about an ingested lab batch."""
    from epidesk.testing import service as testing
    from epidesk.testing.deps import batch_heading, batch_summary

    batch = result.batch
    if result.already_ingested:
        return ImportOutcome(kind="lab_batch", record_id=batch.id, filename=batch.filename,
                             status=ALREADY_IMPORTED,
                             heading=f"this file was already ingested as batch {batch.id}; "
                                     "nothing changed")
    written = {name: getattr(batch, name) for name in (
        "rows", "tubes", "pooled_tubes", "positive_tubes", "invalid_tubes", "retests_ordered",
        "retests_resolved", "cases_created", "repositives_linked")} if result.accepted else {}
    return ImportOutcome(kind="lab_batch", record_id=batch.id, filename=batch.filename,
                         status=batch.status, heading=batch_heading(batch),
                         summary=batch_summary(batch), written=written,
                         problems=testing.batch_problems(batch),
                         problem_counts=testing.batch_problem_counts(batch),
                         problem_count=batch.problem_count)


FileArgument = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                              help="Lab batch: CSV or Parquet")
JsonOption = typer.Option(False, "--json", help="Print one JSON object on stdout (status, "
                                                "counts, problems by line and column), no "
                                                "progress bars")


@app.command("ingest", epilog=IMPORT_EXIT_CODES)
def ingest_cmd(path: Path = FileArgument, as_json: bool = JsonOption) -> None:
    """Ingest a lab batch: validate it whole, write results, retests and cases; a file
    with any bad line is rejected whole, with a report by line and column."""
    ingest_file(path, as_json=as_json)


@app.command("list")
def list_cmd(
    reported_on: str = typer.Option("", help="Only cases reported on this day (YYYY-MM-DD)"),
    status: str = typer.Option("", help="active or withdrawn"),
    limit: int = typer.Option(50, min=1, max=MAX_LIST, help="Cases to show"),
    offset: int = typer.Option(0, min=0, help="Cases to skip"),
) -> None:
    """List cases, newest report first; says how many exist beyond those shown."""
    from epidesk.cases import service
    from epidesk.db import session_scope

    day = _day("--reported-on", reported_on) if reported_on else None
    with session_scope() as session:
        rows = service.list_cases(session, reported_on=day, status=status or None,
                                  limit=limit, offset=offset)
        page = service.count_cases(session, reported_on=day, status=status or None,
                                   offset=offset, shown=len(rows))
        # Onset and isolation days need a wide console (`cases show` has them all).
        days = ("Sampled", "Onset", "Isolated", "Reported") if wide(out) else ("Sampled",
                                                                               "Reported")
        found = table(out, "Id", "Resident", "Class", "Status", *days, "Origin",
                      title="Cases", right=("Id",))
        for c, r in rows:
            shown = {"Sampled": c.sampling_date, "Onset": c.onset_date,
                     "Isolated": c.isolation_date, "Reported": c.reported_on}
            found.add_row(str(c.id), f"{r.id} {r.name_latin}", c.classification, c.status,
                          *(str(shown[d] or "-") for d in days),
                          "imported" if c.imported else "local")
    if rows:
        out.print(found)
    else:
        out.print("no case")
    print_page(out, page)


@app.command("show")
def show_cmd(case_id: int = typer.Argument(..., help="Case id")) -> None:
    """Show a case with its history."""
    from epidesk.cases import service
    from epidesk.db import session_scope

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
    from epidesk.cases import service
    from epidesk.db import session_scope

    with session_scope() as session:
        episode = service.reclassify(
            session, case_id=case_id, actor=cli_actor(),
            on=_day("--on", on) if on else None,
            onset_date=_day("--onset", onset) if onset else None)
        out.print(f"case {episode.id} is confirmed from {episode.confirmed_on} "
                  f"(asymptomatic from {episode.asymptomatic_on})")


@app.command("withdraw")
def withdraw_cmd(case_id: int = typer.Argument(..., help="Case id"),
                 reason: str = typer.Option(..., help="Why, e.g. 'false positive'")) -> None:
    """Withdraw a case, with a reason."""
    from epidesk.cases import service
    from epidesk.db import session_scope

    with session_scope() as session:
        episode = service.withdraw(session, case_id=case_id, reason=reason, actor=cli_actor())
        out.print(f"case {episode.id} withdrawn: {episode.withdrawal_reason}")


@app.command("bulletin")
def bulletin_cmd(
    day: str = typer.Option("", help="Day (YYYY-MM-DD; default: today when it has data, else "
                                     "the latest day with reported cases or results)"),
    as_of: str = typer.Option("", help="Count as the data stood at this time (ISO 8601)"),
    csv: bool = typer.Option(False, "--csv", help="Print CSV"),
) -> None:
    """The daily bulletin: new cases by district, local and imported."""
    from datetime import datetime

    from epidesk.cases import service
    from epidesk.db import session_scope
    from epidesk.kit.days import CHOSEN, day_to_show

    asked = _day("--day", day) if day else None
    try:
        moment = datetime.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise typer.BadParameter(f"{as_of!r} is not a time (ISO 8601)",
                                 param_hint="--as-of") from None
    with session_scope() as session:
        shown = day_to_show(session, asked=asked)
        result = service.bulletin(session, day=shown.day, as_of=moment)
    chosen = shown.day
    if csv:
        typer.echo(service.bulletin_csv(result), nl=False)
        return
    if shown.kind != CHOSEN:
        out.print(f"showing {chosen}: {shown.label}")
    numbers = ("Confirmed", "Asymptomatic", "Reclassified")
    found = table(out, "District", "Origin", *numbers, right=numbers,
                  title=f"Daily bulletin {chosen} (as of {result.as_of:%Y-%m-%d %H:%M} UTC)")
    for name, counts in [*((r.name, r.counts) for r in result.rows),
                         ("Whole city", result.total)]:
        if name == "Whole city":
            found.add_section()
        for origin, c in (("local", counts.local), ("imported", counts.imported)):
            found.add_row(name if origin == "local" else "", origin,
                          *(str(v) for v in (c.new_confirmed, c.new_asymptomatic,
                                             c.reclassified)))
    out.print(found)


def _day(option: str, text: str) -> date:
    """A day option (YYYY-MM-DD), or a usage error naming the option."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a day (YYYY-MM-DD)",
                                 param_hint=option) from None


# Mounted by the root command as `epidesk ingest results`.
INGEST_COMMANDS = {"results": ingest_cmd}
