"""`epidesk quarantine placement` commands: run, show, commit, discard."""

from __future__ import annotations

import json

import typer

from epidesk.kit.console import cli_actor, console, table

app = typer.Typer(help="Placement of people under centralized orders into rooms.",
                  no_args_is_help=True)
out = console()
err = console(stderr=True)


def _figures(run: object, as_json: bool) -> None:
    from epidesk.quarantine.placement.deps import run_out

    figures = run_out(run)  # type: ignore[arg-type]
    if as_json:
        out.print_json(figures.model_dump_json())
        return
    out.print(f"placement run {figures.id} ({figures.state}), day {figures.day}", highlight=False)
    out.print(f"people {figures.people:,}  placed {figures.placed_people:,}  "
              f"not placed {figures.unplaced_people:,}  carers {figures.carers:,}  "
              f"free rooms {figures.rooms_free:,}", highlight=False)
    out.print(f"cost {figures.cost:,.1f}  lower bound {figures.lower_bound:,.1f}  "
              f"gap {figures.gap:.4%}  greedy {figures.greedy_cost:,.1f}  "
              f"{figures.seconds:.2f} s", highlight=False)
    out.print("check: " + json.dumps(figures.check), highlight=False)


@app.command("run")
def run_cmd(day: str = typer.Option("", help="The day whose eligible facilities to use "
                                             "(YYYY-MM-DD; default today)"),
            as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON")
            ) -> None:
    """Solve a placement and store it as a proposal for review (nothing is assigned)."""
    from datetime import date

    from epidesk.db import session_scope
    from epidesk.quarantine.placement import service

    try:
        on = date.fromisoformat(day) if day else None
    except ValueError:
        err.print(f"--day: {day!r} is not a day (YYYY-MM-DD)", highlight=False)
        raise typer.Exit(2) from None
    with session_scope() as session:
        run = service.run_placement(session, actor=cli_actor(), day=on)
        _figures(run, as_json)


@app.command("show")
def show_cmd(run_id: int = typer.Argument(..., help="The run's id"),
             as_json: bool = typer.Option(False, "--json", help="Print as JSON")) -> None:
    """A run's figures and each person's proposed room, or why there is none."""
    from epidesk.db import session_scope
    from epidesk.errors import NotFoundError
    from epidesk.quarantine.placement import service
    from epidesk.quarantine.placement.deps import run_detail

    with session_scope() as session:
        try:
            run = service.get_run(session, run_id=run_id)
        except NotFoundError as missing:
            err.print(str(missing), highlight=False)
            raise typer.Exit(1) from None
        detail, _ = run_detail(session, run)
        if as_json:
            out.print_json(detail.model_dump_json())
            return
        _figures(run, False)
        rows = table(out, "name", "household", "role", "facility", "room", "minutes", "reason",
                     right=("minutes",))
        for line in detail.lines:
            rows.add_row(line.name, str(line.household_id), line.role, line.facility or "-",
                         line.room or "-", "-" if line.travel_minutes is None
                         else f"{line.travel_minutes:.0f}", line.reason or "")
        out.print(rows)


def _decide(run_id: int, commit: bool) -> None:
    from epidesk.db import session_scope
    from epidesk.errors import ConflictError, NotFoundError
    from epidesk.quarantine.placement import service

    try:
        with session_scope() as session:
            decide = service.commit_run if commit else service.discard_run
            run = decide(session, run_id=run_id, actor=cli_actor())
            _figures(run, False)
    except (ConflictError, NotFoundError) as refused:
        err.print(str(refused), highlight=False)
        raise typer.Exit(1) from None


@app.command("commit")
def commit_cmd(run_id: int = typer.Argument(..., help="The run's id")) -> None:
    """Assign every room of a proposed run at once (refused if orders or rooms changed)."""
    _decide(run_id, True)


@app.command("discard")
def discard_cmd(run_id: int = typer.Argument(..., help="The run's id")) -> None:
    """Set a proposed run aside; nothing is assigned."""
    _decide(run_id, False)
