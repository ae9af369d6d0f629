"""`epidesk trace` commands: run, import visits, synthesize visits, contacts, why.

`import_cmd` is also mounted as `epidesk ingest visits`.
"""

from __future__ import annotations

import time
from datetime import date, datetime
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
)
from epidesk.kit.paging import MAX_LIST

if TYPE_CHECKING:
    from epidesk.tracing.visits.service import VisitImport

app = typer.Typer(help="Contact tracing: visits, exposures, close and sub-close contacts.",
                  no_args_is_help=True)
out = console()
err = console(stderr=True)

LABELS = {"read": "reading the file", "validate": "validating", "venue_visit": "writing visits",
          "cases": "reading cases", "graph": "loading the graph", "classify": "classifying",
          "contact_evidence": "writing evidence", "contact": "writing contacts",
          "done": "done", "visits": "generating visits", "indexes": "rebuilding indexes"}


@app.command("run")
def run_cmd(
    case: list[int] = typer.Option(None, "--case", help="Classify this case (repeatable)"),
    all_cases: bool = typer.Option(False, "--all", help="Classify every active case"),
    preset: str = typer.Option("", help="Preset name (default: the active preset)"),
) -> None:
    """Classify close and sub-close contacts and write what changed.

    By default, the cases reported, reclassified or withdrawn since the last run, and the
    traced cases that evidence arriving later (a visit log, a recorded exposure) concerns.
    """
    from epidesk.db import check_connection, get_engine, session_scope
    from epidesk.errors import ValidationFailedError
    from epidesk.policy.service import load_preset
    from epidesk.tracing import service
    from epidesk.tracing.runs import service as runs

    if case and all_cases:
        raise ValidationFailedError("give --case or --all, not both")
    check_connection(get_engine())
    chosen = load_preset(preset) if preset else None
    with progress_bars(out, LABELS) as progress, session_scope() as session:
        if case or all_cases:
            run = runs.run_tracing(session, actor=cli_actor(), case_ids=case or None,
                                      preset=chosen, progress=progress)
        else:
            followed = service.follow_case_changes(session, actor=cli_actor(), preset=chosen,
                                                   progress=progress)
            if followed is None:
                out.print("no case has changed or has new evidence since the last tracing "
                          "run; nothing to do")
                return
            run = followed
        counted = table(out, "", "count", right=("count",),
                        title=f"Tracing run {run.id} ({run.preset}, {run.seconds:.2f} s)")
        for label, value in (("cases classified", run.cases),
                             ("cases withdrawn", run.cases_withdrawn),
                             ("evidence added", run.evidence_added),
                             ("evidence withdrawn", run.evidence_withdrawn),
                             ("contacts identified", run.contacts_identified),
                             ("contacts promoted", run.contacts_promoted),
                             ("contacts demoted", run.contacts_demoted),
                             ("contacts withdrawn", run.contacts_withdrawn),
                             ("close contacts now", run.close_contacts),
                             ("sub-close contacts now", run.sub_close_contacts)):
            counted.add_row(label, f"{value:,}")
    out.print(counted)


FileArgument = typer.Argument(..., exists=True, dir_okay=False, readable=True,
                              help="Visit log CSV (see `epidesk trace format`)")


@app.command("import-visits", epilog=IMPORT_EXIT_CODES)
def import_cmd(
    path: Path = FileArgument,
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object on stdout "
                                 "(status, counts, problems by line and column), no "
                                 "progress bars"),
) -> None:
    """Import a visit log: validate it whole, then store its visits; a file with any bad
    line is rejected whole, with a report by line and column."""
    from epidesk.db import check_connection, get_engine, session_scope
    from epidesk.tracing.retrace import rules as retrace_rules
    from epidesk.tracing.retrace import service as retrace
    from epidesk.tracing.visits import service as visits

    with failures_as_json(as_json, err):
        check_connection(get_engine())
        with progress_bars(err, LABELS, quiet=as_json) as progress, session_scope() as session:
            result = visits.import_visits_file(session, path=path, received_by=cli_actor(),
                                                progress=progress)
            asked = retrace.cases_asked_by(session, reason=retrace_rules.VISIT_LOG,
                                           source_id=result.log.id)
            outcome = visit_log_outcome(result, asked)
    report_import(outcome, as_json=as_json, out=out, err=err)


def visit_log_outcome(result: VisitImport, asked: list[int]) -> ImportOutcome:
    """What the command says about an imported visit log, and the traced cases it sends
    back to tracing."""
    from epidesk.tracing.visits import service as visits

    log = result.log
    if result.already_imported:
        return ImportOutcome(kind="visit_log", record_id=log.id, filename=log.filename,
                             status=ALREADY_IMPORTED,
                             heading=f"this file was already imported as visit log {log.id}; "
                                     "nothing changed")
    if result.accepted:
        return ImportOutcome(
            kind="visit_log", record_id=log.id, filename=log.filename, status=log.status,
            heading=f"visit log {log.id}: accepted, {log.rows:,} visits of "
                    f"{log.residents:,} residents to {log.venues:,} venues; "
                    + _retrace_message(asked),
            written={"rows": log.rows, "residents": log.residents, "venues": log.venues})
    return ImportOutcome(kind="visit_log", record_id=log.id, filename=log.filename,
                         status=log.status, heading=f"visit log {log.id}: rejected",
                         problems=visits.log_problems(log),
                         problem_counts=visits.log_problem_counts(log),
                         problem_count=log.problem_count)


def _retrace_message(case_ids: list[int]) -> str:
    """What late evidence means for tracing: the traced cases it sends back, or none."""
    if not case_ids:
        return ("no traced case's window holds it: cases reported later take it into "
                "account when they are traced")
    named = ", ".join(f"case {i}" for i in case_ids[:10]) + (" ..." if len(case_ids) > 10
                                                             else "")
    return (f"the next `epidesk trace run` classifies again the {len(case_ids)} traced "
            f"case{'s' if len(case_ids) != 1 else ''} it concerns ({named})")


@app.command("format")
def format_cmd() -> None:
    """Describe the visit log CSV format."""
    from epidesk.tracing.visits import rules as visit_rules

    out.print(visit_rules.VISIT_LOG_FORMAT)


@app.command("synth-visits")
def synth_cmd(
    days: int = typer.Option(14, min=1, max=366, help="Days of visits"),
    seed: int = typer.Option(1, help="Random seed: the same seed gives the same visits"),
    start: str = typer.Option("", help="First day (YYYY-MM-DD; default: days before today)"),
) -> None:
    """Generate venue visits for every resident of the (synthetic) city."""
    from epidesk.db import check_connection, get_engine, session_scope
    from epidesk.tracing.visits import service as visits

    check_connection(get_engine())
    first = date.fromisoformat(start) if start else None
    with progress_bars(out, LABELS) as progress, session_scope() as session:
        made = visits.synthesize_visits(session, days=days, seed=seed, first_day=first,
                                         progress=progress)
    out.print(f"{made.visits:,} visits over {made.days} days from {made.first_day} "
              f"(seed {made.seed}) in {made.seconds:.1f} s")


@app.command("graph")
def graph_cmd(
    opportunities: bool = typer.Option(False, help="Count exposure opportunities too"),
) -> None:
    """Load the contact graph and show its size and load time."""
    from epidesk.db import check_connection, get_engine, session_scope
    from epidesk.tracing.graph import service as graph_service

    check_connection(get_engine())
    started = time.perf_counter()
    with session_scope() as session:
        graph = graph_service.load_graph(session)
    seconds = time.perf_counter() - started
    sizes = table(out, "", "count", right=("count",),
                  title=f"Contact graph (loaded in {seconds:.1f} s)")
    for name, value in graph_service.graph_summary(graph).items():
        sizes.add_row(name.replace("_", " "), f"{value:,}")
    if opportunities:
        sizes.add_section()
        for name, value in graph.opportunities().items():
            sizes.add_row(name.replace("_", " "), f"{value:,}")
    out.print(sizes)


@app.command("contacts")
def contacts_cmd(case_id: int = typer.Argument(..., help="Case id")) -> None:
    """A case's close and sub-close contacts (all of them, with their counts)."""
    from epidesk.db import session_scope
    from epidesk.tracing.contacts import service as contacts

    with session_scope() as session:
        found = contacts.case_contacts(session, case_id=case_id)
        out.print(f"[bold]Case {found.case.id}[/] ({found.case.status}): resident "
                  f"{found.resident.id} {found.resident.name_latin}")
        for title, rows in (("Close contacts", found.close),
                            ("Sub-close contacts", found.sub_close)):
            listed = table(out, "Resident", "Name", "Shared", "Evidence",
                           title=f"{title}: {len(rows)}", right=("Resident", "Evidence"))
            for r in rows:
                listed.add_row(str(r.resident.id), r.resident.name_latin, ", ".join(r.settings),
                               str(r.pieces))
            out.print(listed)


@app.command("why")
def why_cmd(
    resident_id: int = typer.Argument(..., help="Resident id"),
    for_resident: bool = typer.Option(False, "--for-resident",
                                      help="The explanation for the resident (no names)"),
) -> None:
    """Why a resident is a contact: each piece of evidence, or the resident's letter."""
    from epidesk.db import session_scope
    from epidesk.tracing import rules
    from epidesk.tracing.contacts import service as contacts

    with session_scope() as session:
        if for_resident:
            letter = contacts.resident_letter(session, resident_id=resident_id)
            if letter.tier is None:
                out.print("not a contact at present")
                return
            out.print(f"You are a {rules.TIER_LABELS[letter.tier]}.")
            for setting, reasons in letter.groups:
                out.print(f"{rules.SETTING_LABELS.get(setting, setting)}:")
                for reason in reasons:
                    out.print(f"- {reason}")
            for stage in letter.stages:
                out.print(f"  {stage.start} to {stage.end}: {stage.place}")
            for day, on, place in letter.tests:
                out.print(f"  test day {day}: {on} ({place})")
            return
        detail = contacts.contact_detail(session, resident_id=resident_id)
        person = detail.resident
        tier = rules.TIER_LABELS.get(detail.tier or "", "not a contact")
        out.print(f"[bold]{person.name_latin}[/] (resident {person.id}): {tier}")
        grouped = detail.grouped
        for number, group in enumerate(grouped.groups, start=1):
            setting = rules.SETTING_LABELS.get(group.setting, group.setting)
            out.print(f"{number}. {rules.TIER_LABELS[group.tier]}, {setting}, "
                      f"{group.case_label}: {len(group.pieces)} piece(s)")
            for view in group.pieces:
                out.print(f"   - {view.for_staff} ({view.rule})")
        if grouped.collapsed:
            out.print(f"({grouped.collapsed} sub-close derivation(s) not listed: "
                      "already a close contact)")
        for test in detail.follow_up:
            out.print(f"  test day {test.test.day} {test.test.due_on}: {test.status}")


@app.command("decide")
def decide_cmd(
    resident_id: int = typer.Argument(..., help="Resident id"),
    kind: str = typer.Option(..., "--kind", help="confirmed, changed or withdrawn"),
    reason: str = typer.Option(..., "--reason", help="Why (kept with the decision)"),
    tier: str | None = typer.Option(None, "--tier", help="A change: close or sub_close"),
    end_on: datetime | None = typer.Option(None, "--end-on", formats=["%Y-%m-%d"],
                                           help="A change: the new end of quarantine"),
) -> None:
    """Record an investigator's decision on a resident's classification: confirm it,
    change it (a new tier or end of quarantine) or withdraw it, with a reason. It holds
    against later runs until a new exposure; `epidesk quarantine orders sync` brings the
    orders resting on it in step."""
    from epidesk.db import session_scope
    from epidesk.tracing.decisions import service as decisions

    with session_scope() as session:
        decision = decisions.decide(session, resident_id=resident_id, kind=kind, reason=reason,
                                    tier=tier, end_on=end_on.date() if end_on else None,
                                    actor=cli_actor())
        end = f", quarantine ends {decision.end_on}" if decision.end_on else ""
        out.print(f"decision {decision.id}: resident {resident_id} {decision.kind} "
                  f"({decision.previous_tier} {decision.previous_status} -> {decision.tier} "
                  f"{decision.status}{end})", highlight=False)


@app.command("missed")
def missed_cmd(limit: int = typer.Option(50, min=1, max=MAX_LIST, help="Tests to show"),
               offset: int = typer.Option(0, min=0, help="Tests to skip")) -> None:
    """Planned tests of active contacts whose day passed without a sample, oldest first;
    says how many exist beyond those shown."""
    from epidesk.db import session_scope
    from epidesk.tracing.contacts import service as contacts

    with session_scope() as session:
        rows = contacts.missed_tests(session, limit=limit, offset=offset)
        page = contacts.count_missed_tests(session, offset=offset, shown=len(rows))
        for test, person, record in rows:
            out.print(f"{test.due_on}  day {test.day}  resident {person.id} "
                      f"{person.name_latin} ({record.tier})", highlight=False)
    if not rows:
        out.print("no missed test")
    print_page(out, page)


@app.command("record-exposure")
def exposure_cmd(
    resident_a: int = typer.Argument(..., help="Resident id (usually the case)"),
    resident_b: int = typer.Argument(..., help="The other resident's id"),
    at: str = typer.Option(..., help="When, ISO 8601 with UTC offset"),
    setting: str = typer.Option("investigator_judgement", help="A close-contact setting"),
    protected: bool = typer.Option(False, help="Effective protection: no close contact"),
    place: str = typer.Option("", help="Where, in words"),
    venue: int | None = typer.Option(None, help="The venue's id (draws zones and trajectories)"),
    building: int | None = typer.Option(None, help="Or the building's id"),
    note: str = typer.Option("", help="Note"),
) -> None:
    """Record an exposure between two residents."""
    from epidesk.db import session_scope
    from epidesk.tracing.exposures import service as exposures
    from epidesk.tracing.retrace import rules as retrace_rules
    from epidesk.tracing.retrace import service as retrace

    moment = _moment_option("--at", at)
    with session_scope() as session:
        exposure = exposures.record_exposure(session, resident_a=resident_a,
                                           resident_b=resident_b, at=moment, setting=setting,
                                           protected=protected, place=place, venue_id=venue,
                                           building_id=building, note=note or None,
                                           recorded_by=cli_actor())
        asked = retrace.cases_asked_by(session, reason=retrace_rules.EXPOSURE,
                                       source_id=exposure.id)
        out.print(f"exposure {exposure.id} recorded; " + _retrace_message(asked))



def _moment_option(name: str, text: str) -> datetime:
    """A time option as an aware moment, or one clear error naming the option."""
    from epidesk.errors import ValidationFailedError

    example = "e.g. 2026-11-20T09:30:00+08:00"
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailedError(
            f"{name} {text!r} is not an ISO 8601 time with a UTC offset ({example})") from None
    if moment.tzinfo is None:
        raise ValidationFailedError(f"{name} {text!r} has no UTC offset ({example})")
    return moment


# Mounted by the root command as `epidesk ingest visits`.
INGEST_COMMANDS = {"visits": import_cmd}
