"""`epidesk synth` commands."""

from __future__ import annotations

import typer
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

from epidesk.db import check_connection, get_engine, session_scope
from epidesk.synth import repository, rules
from epidesk.synth.service import CitySummary, build_city

app = typer.Typer(help="Synthetic cities for demonstrations, tests and benchmarks.",
                  no_args_is_help=True)
out = Console()


@app.command("city")
def city(
    people: int = typer.Option(100_000, "--people", help="Number of residents"),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same city"),
    skip_existing: bool = typer.Option(
        False, "--skip-existing", help="Do nothing (and succeed) if a city already exists"
    ),
) -> None:
    """Build a deterministic synthetic city into the configured (empty) database."""
    rules.validate_people(people)
    rules.validate_seed(seed)
    engine = get_engine()
    check_connection(engine)
    if skip_existing:
        with session_scope() as session:
            existing = repository.first_city(session)
            if existing is not None:
                out.print(f"the database already holds the city {existing.name}; "
                          "nothing built")
                return
    with Progress(
        TextColumn("{task.description:<22}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=out,
        transient=False,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def progress(label: str, done: int, total: int) -> None:
            if label not in tasks:
                tasks[label] = bar.add_task(label, total=total)
            bar.update(tasks[label], completed=done, total=total)

        with session_scope() as session:
            summary = build_city(session, people=people, seed=seed, progress=progress)
    out.print(summary_table(summary))


def summary_table(summary: CitySummary) -> Table:
    """The rows written per table and the time each phase took."""
    table = Table(title=f"{summary.city}: {summary.people:,} residents, seed {summary.seed} "
                        f"({summary.backend})")
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, count in summary.rows.items():
        table.add_row(name, f"{count:,}")
    table.add_section()
    table.add_row("generate", f"{summary.generate_seconds:.1f} s")
    if summary.encode_seconds:
        table.add_row("encode", f"{summary.encode_seconds:.1f} s")
    table.add_row("write", f"{summary.copy_seconds:.1f} s")
    table.add_row("keys and indexes", f"{summary.index_seconds:.1f} s")
    table.add_row("total (phases overlap)" if summary.encode_seconds else "total",
                  f"{summary.seconds:.1f} s")
    return table
