"""What every domain's command line shares: progress bars and who is acting."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

Step = Callable[[str, int, int], None]


def cli_actor() -> str:
    """Who runs a command, as recorded on what it writes: `cli:<login name>`."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name (e.g. a container without a passwd entry)
        return "cli"


@contextmanager
def progress_bars(console: Console, labels: Mapping[str, str] | None = None,
                  width: int = 20) -> Iterator[Step]:
    """One bar per step: yields `progress(step, done, total)` for a service to call.

    `labels` turns a service's step names into words; unknown steps show as named.
    """
    names = labels or {}
    with Progress(TextColumn(f"{{task.description:<{width}}}"), BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=False) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(step: str, done: int, total: int) -> None:
            name = names.get(step, step)
            if name not in tasks:
                tasks[name] = bar.add_task(name, total=total)
            bar.update(tasks[name], completed=done, total=total)

        yield progress
