"""`epidesk synth` commands."""

import typer

app = typer.Typer(help="synth", no_args_is_help=True)
