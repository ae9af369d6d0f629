"""`epidesk policy` commands: list, show, compare and validate protocol presets."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.markup import escape
from rich.tree import Tree

from epidesk.kit.console import console as cli_console
from epidesk.kit.console import table

app = typer.Typer(
    help="Protocol presets: the rule files every restriction comes from.",
    no_args_is_help=True,
)

UNCONFIRMED = "[bold black on yellow] UNCONFIRMED [/]"


@app.command("list")
def list_presets() -> None:
    """List the presets: shipped ones and those in EPIDESK_PRESET_DIRS (all of them)."""
    from epidesk.config import get_settings
    from epidesk.policy import service
    from epidesk.policy.rules import format_value

    console = cli_console()
    active = get_settings().preset
    found = table(console, "Name", "Title", "Date", "Unconfirmed", "File",
                  title="Protocol presets", right=("Unconfirmed",))
    presets = service.list_presets()
    for entry in presets:
        name = escape(entry.name) + (" (active)" if entry.name == active else "")
        file = "shipped" if entry.shipped else escape(entry.file)
        if entry.error is not None:
            found.add_row(name, f"[red]invalid: {escape(entry.error)}[/]", "", "", file)
            continue
        count = entry.unconfirmed or 0
        found.add_row(
            name, escape(entry.title or ""), format_value(entry.date),
            f"[yellow]{count}[/]" if count else "0", file,
        )
    console.print(found)
    console.print(f"{len(presets)} presets in all", highlight=False)


@app.command()
def show(
    preset: str = typer.Argument(..., help="A preset name, or the path of a .toml file"),
    as_json: bool = typer.Option(False, "--json", help="Print the preset as JSON"),
) -> None:
    """Show every value of a preset by section; unconfirmed values are marked."""
    from epidesk.policy import service
    from epidesk.policy.rules import SECTION_TITLES, record_views

    console = cli_console()
    loaded = service.load_preset(preset)
    if as_json:
        typer.echo(json.dumps(loaded.model_dump(mode="json"), indent=2, ensure_ascii=False))
        return
    unconfirmed = loaded.unconfirmed()
    root = Tree(
        f"[bold]{escape(loaded.name)}[/] — {escape(loaded.title)} ({loaded.date.isoformat()})"
    )
    root.add(f"file: {escape(loaded.file)}")
    if loaded.extends:
        root.add(f"extends: {escape(loaded.extends)}")
    root.add(escape(loaded.summary))
    if unconfirmed:
        root.add(
            f"{UNCONFIRMED} {len(unconfirmed)} records to check against the original text"
        )
    else:
        root.add("every record is confirmed")
    sections: dict[str, Tree] = {}
    for view in record_views(loaded):
        if view.section not in sections:
            sections[view.section] = root.add(f"[bold]{SECTION_TITLES[view.section]}[/]")
        label = f"[cyan]{escape(view.name)}[/]  source: {escape(view.source)}"
        if not view.confirmed:
            label += f"  {UNCONFIRMED}"
        node = sections[view.section].add(label)
        if view.summary:
            node.add(f"[italic]{escape(view.summary)}[/]")
        for field, value in view.fields:
            node.add(f"{escape(field)}: {escape(value)}")
        if view.note and view.note != view.summary:
            node.add(f"[dim]note: {escape(view.note)}[/]")
    sources = root.add("[bold]Sources[/]")
    for key, text in loaded.sources.items():
        sources.add(f"{escape(key)}: {escape(text)}")
    console.print(root)


@app.command()
def diff(
    a: str = typer.Argument(..., help="First preset (name or path)"),
    b: str = typer.Argument(..., help="Second preset (name or path)"),
    provenance: bool = typer.Option(
        False, "--provenance", help="Also compare source, confirmed and note"
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the differences as JSON"),
) -> None:
    """Show the values that differ between two presets, location by location."""
    from epidesk.policy import service
    from epidesk.policy.rules import format_value, jsonable, preset_diff

    console = cli_console()
    left, right = service.load_preset(a), service.load_preset(b)
    differences = preset_diff(left, right, include_provenance=provenance)
    if as_json:
        rows = [{"path": d.path, "a": jsonable(d.a), "b": jsonable(d.b)} for d in differences]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    if not differences:
        console.print(f"{escape(left.name)} and {escape(right.name)} set the same values.")
        return
    found = table(console, "Path", escape(left.name), escape(right.name),
                  title=f"{len(differences)} values differ")
    for d in differences:
        found.add_row(escape(d.path), escape(format_value(d.a)), escape(format_value(d.b)))
    console.print(found)


@app.command()
def validate(
    file: Path = typer.Argument(..., help="The preset file to check"),
) -> None:
    """Check a preset file of your own; errors name the file, the line or the field."""
    from epidesk.policy import service

    console = cli_console()
    preset = service.load_preset(file)
    count = len(preset.unconfirmed())
    console.print(
        f"[green]ok[/]: {escape(str(file))} is a valid preset {escape(preset.name)!r} "
        f"({count} unconfirmed records)",
        highlight=False,
        soft_wrap=True,
    )
