"""`epidesk zones ...`: the daily job, zones in force, the footprint, an address, changes."""

from __future__ import annotations

import datetime as dt

import typer
from rich.console import Console
from rich.table import Table

from epidesk.kit.console import cli_actor

app = typer.Typer(help="Risk zones: the daily step-down, zones, footprint, address lookup.",
                  no_args_is_help=True)
console = Console()


def _day(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise typer.BadParameter(f"{text!r} is not a date (YYYY-MM-DD)") from exc


@app.command("step-down")
def step_down(day: str = typer.Option(None, help="The city day (default: today)"),
              preset: str = typer.Option(None, help="A preset (default: the active one)")
              ) -> None:
    """Draw the new cases' zones and step zones down for a day (safe to run twice)."""
    from epidesk.db import session_scope
    from epidesk.policy.service import get_preset
    from epidesk.zoning import service

    chosen = get_preset(preset) if preset else None
    with session_scope() as session:
        done = service.daily(session, actor=cli_actor(), day=_day(day), preset=chosen)
        counts = done.counts()
    console.print(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in counts.items()))


@app.command("list")
def list_zones(preset: str = typer.Option(None, help="A preset (default: the active one)")
               ) -> None:
    """The zones in force."""
    from epidesk.db import session_scope
    from epidesk.policy.service import get_preset
    from epidesk.zoning import service

    chosen = get_preset(preset) if preset else None
    with session_scope() as session:
        zones = service.active_zones(session, preset=chosen)
        table = Table(title=f"{len(zones)} zones in force", title_justify="left")
        for column in ("Zone", "Area", "Level", "Residents", "Households", "Rule",
                       "Planned end"):
            table.add_column(column)
        for z in zones:
            table.add_row(str(z.id), z.label, z.level, f"{z.residents:,}", f"{z.households:,}",
                          z.rule, z.planned_end.isoformat() if z.planned_end else "-")
    console.print(table)


@app.command("footprint")
def footprint(day: str = typer.Option(None, help="The city day (default: today)"),
              preset: str = typer.Option(None, help="A preset (default: the active one)")
              ) -> None:
    """Residents under each level, households told to stay home, resident-days so far."""
    from epidesk.db import session_scope
    from epidesk.kit import clock
    from epidesk.policy.service import get_preset
    from epidesk.zoning.footprint import service

    chosen = get_preset(preset) if preset else None
    with session_scope() as session:
        cost = service.footprint(session, day=_day(day) or clock.city_today(), preset=chosen)
    console.print(f"{cost.day.isoformat()}: " + ", ".join(
        f"{n:,} residents in {level}-risk zones" for level, n in cost.residents.items()))
    console.print(f"{cost.households_stay_home:,} households told to stay home; "
                  f"{cost.resident_days:,} restricted resident-days so far")


@app.command("lookup")
def lookup(community: str = typer.Option(..., help="Community name or code"),
           building: int = typer.Option(..., help="Building number"),
           unit: int = typer.Option(..., help="Unit number"),
           flat: str = typer.Option(..., help="Flat number, e.g. 201"),
           lang: str = typer.Option("en", help="en or zh")) -> None:
    """The zone of an address, as a resident (or a hotline operator) sees it."""
    from epidesk.db import session_scope
    from epidesk.zoning.lookup import service as finder
    from epidesk.zoning.rules import language

    with session_scope() as session:
        answer = finder.address_answer(session, community=community, building=building,
                                       unit=unit, flat=flat, lang=language(lang))
    if not answer["in_zone"]:
        console.print(answer["message"])
    for z in answer["zones"]:
        console.print(f"{z['level_name']}: {z['place']}. {z['measures']} "
                      f"{z['planned_end'] or ''} {z['why']}")


@app.command("change")
def change(zone_id: int = typer.Argument(..., help="The zone"),
           to: str = typer.Option(..., help="The new area, e.g. building:12"),
           reason: str = typer.Option(..., help="Why (kept in the history)"),
           override_reason: str = typer.Option("", help="An override's reason"),
           category: str = typer.Option(None, help="An override's category of reason")
           ) -> None:
    """Widen or narrow a zone, with a written reason."""
    from epidesk.db import session_scope
    from epidesk.zoning import service

    with session_scope() as session:
        zone = service.change_area(session, zone_id=zone_id, to_key=to, reason=reason,
                                   actor=cli_actor(), override=bool(override_reason or category),
                                   override_reason=override_reason, category=category)
        console.print(f"zone {zone.id} is now {zone.label} ({zone.residents:,} residents)")
