"""`epidesk db`: migrate and inspect the database."""

from __future__ import annotations

import typer
from rich.console import Console

from epidesk.db import check_connection, get_engine
from epidesk.migrate import current_revision, head_revision, upgrade

app = typer.Typer(help="Database schema: migrate and inspect.", no_args_is_help=True)
out = Console()


@app.command("upgrade")
def upgrade_cmd(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Migrate the configured database to the given revision (default: head)."""
    engine = get_engine()
    check_connection(engine)
    upgrade(engine, revision)
    out.print(f"database at revision [bold]{current_revision(engine)}[/]")


@app.command("current")
def current_cmd() -> None:
    """Show the database's revision and the code's head revision."""
    engine = get_engine()
    check_connection(engine)
    out.print(f"database: {current_revision(engine) or '(empty)'}  code head: {head_revision()}")
