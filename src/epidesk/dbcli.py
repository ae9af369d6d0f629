"""`epidesk db`: migrate, inspect, back up and restore the database."""

from __future__ import annotations

from pathlib import Path

import typer

from epidesk.kit.console import console

app = typer.Typer(help="Database schema: migrate and inspect; backups.", no_args_is_help=True)
out = console()


@app.command("upgrade")
def upgrade_cmd(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Migrate the configured database to the given revision (default: head)."""
    from epidesk.db import check_connection, get_engine
    from epidesk.migrate import current_revision, upgrade

    engine = get_engine()
    check_connection(engine)
    upgrade(engine, revision)
    out.print(f"database at revision [bold]{current_revision(engine)}[/]")


@app.command("current")
def current_cmd() -> None:
    """Show the database's revision and the code's head revision."""
    from epidesk.db import check_connection, get_engine
    from epidesk.migrate import current_revision, head_revision

    engine = get_engine()
    check_connection(engine)
    out.print(f"database: {current_revision(engine) or '(empty)'}  code head: {head_revision()}")


@app.command("backup")
def backup_cmd(
    file: Path = typer.Argument(..., help="The backup file to write (replaced if it exists)"),
) -> None:
    """Copy the configured database into FILE while the platform keeps running."""
    from epidesk.config import get_settings
    from epidesk.db import check_connection, get_engine
    from epidesk.kit.backup import backup

    engine = get_engine()
    check_connection(engine)
    done = backup(get_settings().database_url, file)
    out.print(f"backed up the {done.backend} database to [bold]{done.file}[/] "
              f"({done.size:,} bytes)")


@app.command("restore")
def restore_cmd(
    file: Path = typer.Argument(..., help="A file written by `epidesk db backup`"),
    force: bool = typer.Option(False, "--force",
                               help="Replace a database that already holds tables"),
) -> None:
    """Put a backup FILE into the configured database, which must be empty unless --force."""
    from epidesk.config import get_settings
    from epidesk.db import check_connection, get_engine
    from epidesk.kit.backup import restore

    engine = get_engine()
    check_connection(engine)
    done = restore(get_settings().database_url, file, force=force)
    out.print(f"restored {done.file} into the {done.backend} database")
