"""`epidesk policy` commands."""

import typer

app = typer.Typer(help="policy", no_args_is_help=True)
