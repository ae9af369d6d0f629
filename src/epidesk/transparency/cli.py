"""`epidesk transparency ...`: the public pages' data."""

from __future__ import annotations

import typer

from epidesk.transparency.trajectories.cli import app as trajectories

app = typer.Typer(help="Transparency: what the public sees.", no_args_is_help=True)
app.add_typer(trajectories, name="trajectories")
