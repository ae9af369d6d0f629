"""`epidesk quarantine monitoring` commands: the people under home health monitoring
today (done, due, missed, needing a test), recording a check, clearing a flag."""

from __future__ import annotations

import json
from datetime import datetime

import typer

from epidesk.kit.console import cli_actor, console, table

app = typer.Typer(help="Home health monitoring after release: daily checks.",
                  no_args_is_help=True)
out = console()


@app.command("list")
def list_cmd(state: str = typer.Option("", help="Only done, due, missed or needs_test"),
             as_json: bool = typer.Option(False, "--json",
                                          help="Print one JSON list on stdout")) -> None:
    """Everyone home under monitoring today, those missed yesterday first."""
    from epidesk.db import session_scope
    from epidesk.errors import ValidationFailedError
    from epidesk.kit import clock
    from epidesk.quarantine.monitoring.deps import FILTERS, listing

    if state and state not in FILTERS:
        raise ValidationFailedError(f"{state!r} is not a state: one of {', '.join(FILTERS)}",
                                    field="state")
    with session_scope() as session:
        rows, _ = listing(session, None, today=clock.local_day(clock.now()), state=state)
    if as_json:
        out.print_json(json.dumps([r.model_dump(mode="json") for r in rows]))
        return
    shown = table(out, "resident", "name", "state", "test", "home since", "until",
                  "last check", right=("resident",))
    for r in rows:
        shown.add_row(str(r.resident_id), r.name, r.state, "needs a test" if r.needs_test
                      else "-", r.home_on.isoformat(), r.until.isoformat(),
                      clock.format_local(r.last_check_at) if r.last_check_at else "-")
    out.print(shown)
    out.print(f"{len(rows)} under home monitoring" + (f" ({state})" if state else ""),
              highlight=False)


@app.command("record")
def record_cmd(
    resident_id: int = typer.Argument(..., min=1),
    method: str = typer.Option(..., help="visit, phone or self_report"),
    temperature: float = typer.Option(None, help="Degrees Celsius"),
    symptom: list[str] = typer.Option([], "--symptom", help="fever, cough, sore_throat, "
                                      "taste_smell, breath or other (repeat)"),
    other: str = typer.Option("", help="What the other symptom is"),
    not_reached: str = typer.Option("", "--not-reached",
                                    help="They could not be reached: why"),
    day: datetime = typer.Option(None, formats=["%Y-%m-%d"],
                                 help="The day checked (default today)"),
) -> None:
    """Record a check of someone home under monitoring; fever (37.3 C or more) or a
    symptom flags a test. Refused, naming what is wrong, for someone not home yet,
    without monitoring, or past its end."""
    from epidesk.db import session_scope
    from epidesk.quarantine.monitoring import service

    with session_scope() as session:
        done = service.record_check(session, resident_id=resident_id, actor=cli_actor(),
                                    check=service.CheckIn(
            method=method, reached=not not_reached, temperature=temperature,
            symptoms=tuple(symptom), other_symptom=other, reason=not_reached,
            checked_on=day.date() if day else None))
        out.print(f"check {done.id} of resident {resident_id} on {done.checked_on}: "
                  + ("not reached" if not done.reached else
                     "flagged: needs a test" if done.flagged else "recorded"),
                  highlight=False)


@app.command("clear")
def clear_cmd(resident_id: int = typer.Argument(..., min=1),
              reason: str = typer.Option(..., help="Why no test is needed")) -> None:
    """Clear a person's flag for a test, with the reason."""
    from epidesk.db import session_scope
    from epidesk.quarantine.monitoring import service

    with session_scope() as session:
        count = service.clear_flag(session, resident_id=resident_id, reason=reason,
                                   actor=cli_actor())
    out.print(f"resident {resident_id}: " + (f"{count} flag(s) cleared" if count
                                             else "no open flag; nothing changed"),
              highlight=False)
