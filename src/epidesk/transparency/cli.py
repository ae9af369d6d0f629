"""`epidesk transparency ...`: publish a day's public figures, list the publications."""

from __future__ import annotations

import datetime as dt
import json

import typer
from rich.console import Console

from epidesk.kit.console import Group, cli_actor, table
from epidesk.transparency.trajectories.cli import app as trajectories

app = typer.Typer(help="Public figures: the daily publication and the open-data files.",
                  no_args_is_help=True)
app.add_typer(trajectories, name="trajectories", cls=Group)
console = Console()


def _day(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)",
                                 param_hint="--day") from exc


@app.command("publish")
def publish(day: str = typer.Option(None, help="The city day (default: today)"),
            as_json: bool = typer.Option(False, "--json", help="Answer as JSON")) -> None:
    """Publish a day's public figures (the daily job; safe to run twice: an unchanged day
    is not published again, changed figures become the day's next version)."""
    from epidesk.db import session_scope
    from epidesk.transparency.deps import publish as run
    from epidesk.transparency.deps import result_json

    chosen = _day(day)
    with session_scope() as session:
        answer = result_json(run(session, actor=cli_actor(), day=chosen))
    if as_json:
        typer.echo(json.dumps(answer))
    elif answer["created"]:
        console.print(f"published {answer['day']} version {answer['version']}: "
                      f"{answer['files']} files, {answer['revisions']} revised figures")
    else:
        console.print(f"{answer['day']} unchanged since version {answer['version']}: "
                      "nothing written")


@app.command("list")
def list_publications() -> None:
    """Every publication, newest first."""
    from epidesk.db import session_scope
    from epidesk.transparency import service

    with session_scope() as session:
        found = service.catalogue(session)
    out = table(console, "Day", "Version", "Published", "Files", "SHA-256",
                title=f"{len(found)} publications")
    for p in found:
        out.add_row(p["day"], str(p["version"]), p["published_at"], str(len(p["files"])),
                    p["digest"][:16])
    console.print(out)
