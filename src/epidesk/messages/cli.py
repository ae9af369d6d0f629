"""`epidesk messages ...`: the dispatcher job and the state of the queue."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="Outbound messages: dispatch SMS, see the queue.", no_args_is_help=True)
console = Console()


@app.command("dispatch")
def dispatch() -> None:
    """Route queued messages and send the SMS that are due (file adapter unless
    EPIDESK_MESSAGES_SMS_URL names a provider); safe to run any number of times."""
    from epidesk.db import session_scope
    from epidesk.messages.dispatch import service

    with session_scope() as session:
        counts = service.dispatch(session)
    console.print(", ".join(f"{k}: {v}" for k, v in counts.items()))


@app.command("status")
def status() -> None:
    """Messages by channel and state."""
    from epidesk.db import session_scope
    from epidesk.messages import repository

    with session_scope() as session:
        counts = repository.state_counts(session)
    table = Table(title="Outbound messages", title_justify="left")
    for column in ("Channel", "State", "Messages"):
        table.add_column(column)
    for (channel, state), n in sorted(counts.items()):
        table.add_row(channel, state, f"{n:,}")
    console.print(table)
