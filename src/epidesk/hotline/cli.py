"""`epidesk hotline ...`: the escalation job, the targets, the queue, one ticket, the
public figures' refresh, and escorted medical trips (`epidesk hotline escorts`)."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from epidesk.hotline.escorts import cli as escorts
from epidesk.kit.console import Group, cli_actor

app = typer.Typer(help="The citizen hotline: escalation, targets, tickets, public figures.",
                  no_args_is_help=True)
console = Console()
app.add_typer(escorts.app, name="escorts", cls=Group)


@app.command("escalate")
def escalate() -> None:
    """Pass tickets that missed a target to a supervisor, then to the command centre
    (safe to run any number of times; run it every few minutes)."""
    from epidesk.db import session_scope
    from epidesk.hotline import service

    with session_scope() as session:
        counts = service.escalate_due(session, actor=cli_actor())
    console.print(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()))


@app.command("targets")
def targets(category: str = typer.Argument(None, help="A category to change"),
            first_response: int = typer.Option(None, help="Minutes to the first response"),
            resolution: int = typer.Option(None, help="Minutes to the resolution")) -> None:
    """Show the targets per category, or set one category's (for tickets received from
    now on)."""
    from epidesk.db import session_scope
    from epidesk.errors import DomainError
    from epidesk.hotline import service

    with session_scope() as session:
        if category is not None:
            if first_response is None or resolution is None:
                raise typer.BadParameter("give --first-response and --resolution")
            try:
                service.set_targets(session, category=category,
                                    first_response_minutes=first_response,
                                    resolution_minutes=resolution, actor=cli_actor())
            except DomainError as exc:
                console.print(f"refused: {exc.detail}")
                raise typer.Exit(1) from exc
        table = Table(title="Targets (minutes)", title_justify="left")
        for column in ("Category", "First response", "Resolution"):
            table.add_column(column)
        for code, t in service.targets(session).items():
            table.add_row(code, str(t.first_response_minutes), str(t.resolution_minutes))
    console.print(table)


@app.command("list")
def list_tickets(escalated: bool = typer.Option(False, help="Only tickets passed up"),
                 limit: int = typer.Option(50, min=1, max=500)) -> None:
    """Unresolved tickets, the most escalated and soonest due first."""
    from epidesk.db import session_scope
    from epidesk.hotline import repository
    from epidesk.kit.access import AreaFilter
    from epidesk.kit.clock import format_local

    with session_scope() as session:
        found = repository.queue(session, area=AreaFilter(everywhere=True),
                                 statuses=("open", "answered"),
                                 min_escalation=1 if escalated else 0, limit=limit)
        table = Table(title=f"{len(found)} unresolved ticket(s)", title_justify="left")
        for column in ("Reference", "Category", "Status", "Resolution due", "Missed", "Level"):
            table.add_column(column)
        for t in found:
            table.add_row(t.reference, t.category, t.status, format_local(t.resolution_due),
                          t.breach, str(t.escalation))
    console.print(table)


@app.command("show")
def show(reference: str = typer.Argument(..., help="The ticket's reference")) -> None:
    """One ticket with its history."""
    from epidesk.db import session_scope
    from epidesk.hotline import repository, service

    with session_scope() as session:
        ticket = service.follow(session, reference=reference)
        if ticket is None:
            console.print("no ticket with this reference")
            raise typer.Exit(1)
        console.print(f"{ticket.reference}: {ticket.category}, {ticket.status}, "
                      f"missed: {ticket.breach}, level {ticket.escalation}")
        console.print(ticket.description)
        for u in repository.updates(session, ticket.id):
            console.print(f"  {u.at:%Y-%m-%d %H:%M} {u.kind} ({u.actor}): {u.note}")


@app.command("stats")
def stats(refresh: bool = typer.Option(False, help="Recompute the figures of tickets "
                                                  "changed since the last refresh first"),
          rebuild: bool = typer.Option(False, help="Recompute every day's figures first")
          ) -> None:
    """The public figures per day and category, as kept ready."""
    from epidesk.db import session_scope
    from epidesk.hotline.stats import service as figures

    with session_scope() as session:
        if rebuild:
            console.print(f"{figures.rebuild(session)} day-category row(s) rebuilt")
        elif refresh:
            console.print(f"{figures.refresh(session)} day-category row(s) recomputed")
        table = Table(title="Hotline figures", title_justify="left")
        for column in ("Day", "Category", "Received", "Answered in time", "Resolved in time",
                       "Median answer (min)", "Median resolution (min)"):
            table.add_column(column)
        for s in figures.stored(session)[-60:]:
            table.add_row(s.day.isoformat(), s.category, str(s.received),
                          str(s.responded_in_time), str(s.resolved_in_time),
                          f"{s.median_response_minutes or '-'}",
                          f"{s.median_resolution_minutes or '-'}")
    console.print(table)
