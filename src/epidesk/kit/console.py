"""What every domain's command line shares: progress bars and who is acting."""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

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


def print_imported(console: Console, *, heading: str, accepted: bool, summary: str,
                   problems: Sequence[Mapping[str, Any]], counts: Mapping[str, int],
                   total: int) -> None:
    """An imported file's record: its heading, then what it wrote or its report."""
    console.print(heading)
    if accepted:
        console.print(summary)
        return
    console.print(f"{total:,} problems: "
                  + ", ".join(f"{n:,} {k.replace('_', ' ')}" for k, n in counts.items()))
    table = Table(title_justify="left")
    table.add_column("Line", justify="right")
    table.add_column("Column")
    table.add_column("Problem")
    for p in problems:
        table.add_row(str(p["line"]), p["column"], p["problem"])
    console.print(table)
    if total > len(problems):
        console.print(f"(the first {len(problems)} problems by line)")
