"""`epidesk retention`: delete or pseudonymise resolved records past the retention period."""

from __future__ import annotations

import typer

from epidesk.kit.console import console, table

app = typer.Typer(help="Data retention: resolved records past their period.",
                  no_args_is_help=True)
out = console()


@app.command("run")
def run_cmd(
    days: int = typer.Option(None, help="Retention period in days (default from settings)"),
    apply: bool = typer.Option(False, "--apply", help="Change the data (default: dry run)"),
) -> None:
    """Show (or, with --apply, carry out) what the retention policies touch."""
    from epidesk.config import get_settings
    from epidesk.db import check_connection, get_engine, session_scope
    from epidesk.kit import clock, retention

    check_connection(get_engine())
    period = days if days is not None else get_settings().retention_days
    with session_scope() as session:
        outcomes = retention.run(session, days=period, now=clock.now(), dry_run=not apply)
    done = table(out, "policy", "action", "records", right=("records",),
                 title=f"{'Applied' if apply else 'Dry run'}: resolved more than {period} "
                       "days ago")
    for o in outcomes:
        done.add_row(o.policy, o.action, f"{o.records:,}")
    out.print(done)
    if not apply:
        out.print("nothing was changed; add --apply to carry it out")
