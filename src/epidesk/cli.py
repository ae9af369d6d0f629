"""The `epidesk` command: a Typer root that mounts each domain's sub-app.

`--help` must answer at once, so this module and every domain's `cli.py` import only
typer, rich and the kit's light modules at module level; services, models, SQLAlchemy,
FastAPI and pydantic are imported inside the commands (`tests/test_cli.py` checks it).
"""

from __future__ import annotations

import copy
import sys

import typer
from rich.console import Console

from epidesk.kit import domains
from epidesk.kit.console import IMPORT_EXIT_CODES, Group, served_url

err = Console(stderr=True, soft_wrap=True)


app = typer.Typer(
    name="epidesk",
    cls=Group,
    help="Epidesk outbreak-response platform.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# `epidesk ingest results|visits`: the data files labs and venues send, in one place;
# a domain's cli module offers its importers in INGEST_COMMANDS.
ingest = typer.Typer(help="Ingest data files: lab batches and venue visit logs.",
                     no_args_is_help=True)
_groups: dict[str, typer.Typer] = {}
for _domain, _module in domains.parts("cli"):
    app.add_typer(_module.app, name=_domain.cli_name, cls=Group)
    _groups[_domain.cli_name] = _module.app
    for _name, _command in getattr(_module, "INGEST_COMMANDS", {}).items():
        ingest.command(_name, epilog=IMPORT_EXIT_CODES)(_command)
app.add_typer(ingest, name="ingest", cls=Group)
# A domain may add commands to a lower domain's group (GROUP_COMMANDS), when the command
# needs the higher domain: `epidesk zones compare` runs the synthetic outbreak.
for _domain, _module in domains.parts("cli"):
    for _group, _commands in getattr(_module, "GROUP_COMMANDS", {}).items():
        for _name, _command in _commands.items():
            _groups[_group].command(_name)(_command)


@app.command()
def serve(
    host: str = typer.Option(None, help="Address to listen on (default from settings)"),
    port: int = typer.Option(None, help="Port (default from settings)"),
    reload: bool = typer.Option(False, help="Reload on code changes"),
) -> None:
    """Serve the platform (API, staff pages and public pages); prints its address."""
    import uvicorn

    from epidesk import logs
    from epidesk.app import server_options
    from epidesk.db import check_connection, get_engine

    check_connection(get_engine())
    log_config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    log_config["filters"] = {"personal_data": {"()": logs.PersonalDataFilter}}
    for handler in log_config["handlers"].values():
        handler["filters"] = ["personal_data"]
    options = server_options()
    options = {**options, "host": host or options["host"], "port": port or options["port"]}
    url = served_url(options["host"], options["port"])
    err.print(f"Epidesk at {url}  (staff sign-in: {url}/signin)", highlight=False)
    uvicorn.run(
        "epidesk.app:create_app",
        factory=True,
        log_config=log_config,
        reload=reload,
        **options,
    )


def _mount_shared() -> None:
    from epidesk import dbcli, retentioncli

    app.add_typer(dbcli.app, name="db", cls=Group)
    app.add_typer(retentioncli.app, name="retention", cls=Group)


_mount_shared()


def main() -> None:
    """Entry point: run the CLI, turning expected errors into one clear line and exit 1.

    A command's own exit code (`typer.Exit(1)` for a rejected file, 130 when interrupted)
    is the process's exit code.
    """
    try:
        code = app(standalone_mode=False)
    except (typer.Exit, SystemExit) as exc:
        code = getattr(exc, "exit_code", None)
        if code is None:
            code = getattr(exc, "code", 0)
        sys.exit(code or 0)
    except typer.Abort:
        err.print("aborted")
        sys.exit(1)
    except Exception as exc:  # domain errors and usage errors carry their own message
        from epidesk.errors import DomainError

        if isinstance(exc, DomainError):
            err.print(f"[bold red]error:[/] {exc.title}: {exc.detail}", highlight=False)
            sys.exit(1)
        usage_errors = _usage_error_types()
        if isinstance(exc, usage_errors):
            exc.show()  # type: ignore[attr-defined]
            sys.exit(exc.exit_code)  # type: ignore[attr-defined]
        raise
    sys.exit(code if isinstance(code, int) else 0)


def _usage_error_types() -> tuple[type[Exception], ...]:
    """Click's usage errors, and those of the click copy that newer Typer bundles."""
    import click

    types: list[type[Exception]] = [click.ClickException]
    try:
        from typer._click.exceptions import ClickException as BundledClickException
    except ImportError:
        pass
    else:
        types.append(BundledClickException)
    return tuple(types)
