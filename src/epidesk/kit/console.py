"""What every domain's command line shares: consoles and tables that stay legible in a
terminal and in a log, progress bars, pages of a list, imported files' reports, and who
is acting.

Light on purpose (rich and typer only): every domain's `cli.py` imports it at module level.
"""

from __future__ import annotations

import getpass
import json
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import typer
from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleDimensions
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from typer.core import TyperGroup

from epidesk.kit.paging import PageCount

Step = Callable[[str, int, int], None]

LOG_WIDTH = 80  # the width of output that is not a terminal, unless COLUMNS says otherwise
WIDE = 100  # from this width on, lists show their secondary columns

# Tables written to a log or a pipe: ASCII only, a rule under the header and above totals,
# no frame (every column of 80 is worth having).
PLAIN = box.Box(
    "    \n"
    "    \n"
    " -- \n"
    "    \n"
    " -- \n"
    " -- \n"
    "    \n"
    "    \n",
    ascii=True,
)

# What an import command's exit code means (said in each import command's help).
IMPORT_EXIT_CODES = ("Exit codes: 0 the file was accepted (or had been accepted before: "
                     "nothing changed); 1 it was rejected (nothing written; the report goes "
                     "to stderr) or the command failed; 2 bad usage.")
ALREADY_IMPORTED = "already_imported"


class Group(TyperGroup):
    """A command group whose flags (--help, --install-completion, ...) read False rather
    than None when not given: Typer checks a None flag through pydantic, which would cost
    every sub-command's --help the import of pydantic. The root and every nested group
    (`epidesk quarantine facilities ...`) use it."""

    def get_params(self, ctx: Any) -> Any:
        """The group's parameters, flags off by default."""
        params = super().get_params(ctx)
        for param in params:
            if getattr(param, "is_flag", False) and param.default is None:
                param.default = False
        return params


class CliConsole(Console):
    """A console as wide as the terminal; 80 columns (or COLUMNS) when it writes to a log
    or a pipe, whatever the width of a terminal it was started from."""

    @property
    def size(self) -> ConsoleDimensions:
        """The terminal's size, or COLUMNS (default 80) wide when not a terminal."""
        found = super().size
        if self.is_terminal:
            return found
        columns = os.environ.get("COLUMNS", "")
        return ConsoleDimensions(int(columns) if columns.isdigit() else LOG_WIDTH,
                                 found.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


def console(*, stderr: bool = False) -> CliConsole:
    """The console of a command's output (stdout) or of its diagnostics (stderr)."""
    return CliConsole(stderr=stderr)


def table(console: Console, *columns: str, title: str | None = None,
          right: Sequence[str] = ()) -> Table:
    """A table for `console`: framed in a terminal, plain ASCII in a log; `right` names
    the columns aligned right (numbers). A cell too long for its column wraps between
    words, or else between characters (never inside a wide character such as 汉字)."""
    terminal = console.is_terminal
    found = Table(title=title, title_justify="left", caption_justify="left",
                  box=box.HEAVY_HEAD if terminal else PLAIN, show_edge=terminal,
                  pad_edge=terminal, padding=(0, 1) if terminal else (0, 1, 0, 0),
                  min_width=min(cell_len(title or ""), console.width))  # a title on one line
    for name in columns:
        found.add_column(name, justify="right" if name in right else "left", overflow="fold",
                         min_width=max((cell_len(w) for w in name.split()), default=0))
    return found


def wide(console: Console) -> bool:
    """Whether the console has room for a list's secondary columns (100 columns or more)."""
    return console.width >= WIDE


def print_page(console: Console, page: PageCount) -> None:
    """The line under a list: how many rows exist beyond what it shows."""
    console.print(page.note(), highlight=False)


def served_url(host: str, port: int) -> str:
    """The address of a server listening on host and port (EPIDESK_HOST, EPIDESK_PORT)."""
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return f"http://{shown}:{port}"


def cli_actor() -> str:
    """Who runs a command, as recorded on what it writes: `cli:<login name>`."""
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no login name (e.g. a container without a passwd entry)
        return "cli"


@contextmanager
def progress_bars(console: Console, labels: Mapping[str, str] | None = None,
                  width: int = 20, *, quiet: bool = False) -> Iterator[Step]:
    """One bar per step: yields `progress(step, done, total)` for a service to call.

    `labels` turns a service's step names into words; unknown steps show as named. In a
    log (not a terminal) each step is one plain line, written when the command ends.
    `quiet` shows nothing (a command printing JSON for a script).
    """
    names = labels or {}
    # In a log, each step's line without its bar: "validating   1/1 0:00:00".
    bars = [BarColumn()] if console.is_terminal else []
    with Progress(TextColumn(f"{{task.description:<{width}}}"), *bars,
                  MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                  transient=False, disable=quiet) as bar:
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
    report = table(console, "Line", "Column", "Problem", right=("Line",))
    for p in problems:
        report.add_row(str(p["line"]), p["column"], p["problem"])
    console.print(report)
    if total > len(problems):
        console.print(f"(the first {len(problems)} problems by line)")


@dataclass(frozen=True)
class ImportOutcome:
    """What an import command says about one file, to a person or (as JSON) to a script."""

    kind: str  # the record's kind, e.g. "lab_batch"
    record_id: int
    filename: str
    status: str  # "accepted", "rejected" or ALREADY_IMPORTED
    heading: str  # one line (rich markup)
    summary: str = ""  # what an accepted file wrote, in words
    written: Mapping[str, int] = field(default_factory=dict)
    problems: Sequence[Mapping[str, Any]] = ()
    problem_counts: Mapping[str, int] = field(default_factory=dict)
    problem_count: int = 0

    def as_json(self) -> dict[str, Any]:
        """The outcome as one JSON object (`--json`)."""
        return {"status": self.status, "kind": self.kind, "id": self.record_id,
                "file": self.filename, "counts": dict(self.written),
                "problem_count": self.problem_count,
                "problem_counts": dict(self.problem_counts),
                "problems": [dict(p) for p in self.problems],
                "problems_listed": len(self.problems)}


@contextmanager
def failures_as_json(as_json: bool, err: Console) -> Iterator[None]:
    """With `as_json`, a command that fails (the database unreachable, ...) still prints
    one JSON object on stdout, {"status": "error", "title", "detail"}, and exits 1."""
    try:
        yield
    except Exception as exc:
        from epidesk.errors import DomainError

        if not as_json or not isinstance(exc, DomainError):
            raise
        typer.echo(json.dumps({"status": "error", "title": exc.title, "detail": exc.detail},
                              ensure_ascii=False))
        err.print(f"error: {exc.title}: {exc.detail}", highlight=False)
        raise typer.Exit(1) from None


def report_import(outcome: ImportOutcome, *, as_json: bool, out: Console,
                  err: Console) -> None:
    """Say what became of an imported file; exit 1 when it was rejected.

    Accepted (or accepted before): a line on stdout. Rejected: the report on stderr.
    With `as_json`: one JSON object on stdout, whatever the outcome.
    """
    rejected = outcome.status not in ("accepted", ALREADY_IMPORTED)
    if as_json:
        typer.echo(json.dumps(outcome.as_json(), ensure_ascii=False))
    elif outcome.status == ALREADY_IMPORTED:
        out.print(outcome.heading)
    elif not rejected:
        print_imported(out, heading=outcome.heading, accepted=True, summary=outcome.summary,
                       problems=(), counts={}, total=0)
    else:
        print_imported(err, heading=outcome.heading, accepted=False, summary="",
                       problems=outcome.problems, counts=outcome.problem_counts,
                       total=outcome.problem_count)
        err.print("[bold red]rejected:[/] nothing of this file was written")
    if rejected:
        raise typer.Exit(1)
