"""`epidesk people` commands."""

import typer

app = typer.Typer(help="people", no_args_is_help=True)
