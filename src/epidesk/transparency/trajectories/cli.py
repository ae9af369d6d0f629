"""`epidesk transparency trajectories ...`: publish a day's trajectories, purge expired ones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from epidesk.kit.console import console

app = typer.Typer(help="Anonymised trajectories: publish a day's, delete expired ones.",
                  no_args_is_help=True)
out = console()


def _day(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from exc


@app.command("publish")
def publish_cmd(
    day: str = typer.Option(None, help="The publication day (default: the city's today)"),
    folder: str = typer.Option(None, help="Folder of published files (default from settings)"),
) -> None:
    """Compute and store a day's trajectories and write their files (safe to run twice)."""
    from epidesk.config import get_settings
    from epidesk.db import session_scope
    from epidesk.kit import clock
    from epidesk.transparency.trajectories import service

    chosen = _day(day) or clock.city_today()
    with session_scope() as session:
        done = service.publish(session, day=chosen,
                               folder=Path(folder) if folder else get_settings().publication_dir)
    if done.withheld:
        out.print(f"{chosen}: {done.found} entries withheld: fewer cases behind them than "
                  "the minimum (EPIDESK_TRAJECTORY_MIN_CASES)")
    else:
        out.print(f"{chosen}: {len(done.entries)} entries published")


@app.command("purge")
def purge_cmd(
    day: str = typer.Option(None, help="Purge as of this city day (default: today)"),
    folder: str = typer.Option(None, help="Folder of published files (default from settings)"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only count what would go"),
) -> None:
    """Delete expired entries from the database and from every trajectory file (dated
    copies included); dated files left empty are removed."""
    from epidesk.db import session_scope
    from epidesk.kit import clock
    from epidesk.transparency.trajectories import service

    chosen = _day(day) or clock.city_today()
    with session_scope() as session:
        done = service.purge(session, today=chosen, root=Path(folder) if folder else None,
                             dry_run=dry_run)
    verb = "would delete" if dry_run else "deleted"
    out.print(f"{chosen}: {verb} {done.entries} entries; files rewritten: "
              f"{done.files_rewritten}, removed: {done.files_removed}")
