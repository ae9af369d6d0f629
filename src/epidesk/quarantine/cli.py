"""`epidesk quarantine` commands (each sub-entity's commands, mounted here)."""

from __future__ import annotations

import typer

from epidesk.quarantine.placement import cli as placement

app = typer.Typer(help="Quarantine: facilities, orders, placement, transfers, release.",
                  no_args_is_help=True)
app.add_typer(placement.app, name="placement")
