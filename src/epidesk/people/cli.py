"""`epidesk people` commands: search residents, show one, show a household, record a move."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from epidesk.kit.console import console, print_page, table
from epidesk.people.rules import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, Flag

if TYPE_CHECKING:
    from epidesk.people.schemas import PersonSummary

app = typer.Typer(help="Residents and households: search, show, record moves.",
                  no_args_is_help=True)
out = console()


def _flags(flags: Sequence[Flag]) -> str:
    return ", ".join(f.label for f in flags) or "-"


def _people_table(title: str, people: Sequence[PersonSummary]) -> Table:
    found = table(out, "Id", "Name", "Latin", "Sex", "Age", "Community", "Flags", title=title,
                  right=("Id", "Age"))
    for p in people:
        found.add_row(str(p.id), p.name, p.name_latin, p.sex, str(p.age),
                      p.community.name, _flags(p.flags))
    return found


@app.command("search")
def search_cmd(
    query: str = typer.Argument(..., help="Name prefix (王秀 or 'wang xiu'), id number, "
                                          "resident id or phone"),
    limit: int = typer.Option(DEFAULT_LIMIT, min=1, max=MAX_LIMIT, help="Results per page"),
    offset: int = typer.Option(0, min=0, max=MAX_OFFSET, help="Results to skip"),
) -> None:
    """Search residents by name prefix, id number, resident id or phone; says how many
    match beyond those shown."""
    from epidesk.db import session_scope
    from epidesk.people import service

    with session_scope() as session:
        result = service.search_people(session, query=query, limit=limit, offset=offset)
        page = service.count_people(session, query=query, offset=offset,
                                    shown=len(result.items))
    if not result.items and offset == 0:
        out.print(f"no resident matches {query!r}")
        return
    if result.items:
        out.print(_people_table(f"Residents for {query!r}", result.items))
    print_page(out, page)


@app.command("show")
def show_cmd(resident_id: int = typer.Argument(..., help="Resident id")) -> None:
    """Show a resident's record: personal data, flags, address, household, memberships,
    and what every other domain holds about them (tests, cases, contacts, ...)."""
    from epidesk.db import session_scope
    from epidesk.kit.access import LocalOperator
    from epidesk.kit.console import cli_actor
    from epidesk.people.deps import person_record

    with session_scope() as session:
        person, panels = person_record(session, caller=LocalOperator(cli_actor()),
                                       resident_id=resident_id, audit=lambda *a, **k: None)
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    for label, value in [
        ("Resident", f"{person.name}  {person.name_latin}  (id {person.id})"),
        ("Id number", person.id_number),
        ("Sex / age", f"{person.sex} / {person.age} (born {person.birth_date.isoformat()})"),
        ("Phone", person.phone or "-"),
        ("Smartphone", "yes" if person.has_smartphone else "no"),
        ("Flags", _flags(person.flags)),
        ("Address", person.address.label),
        ("", person.address.label_local),
        ("Household", f"{person.household_id} (home quarantine: "
                      f"{'suitable' if person.home_suitable else 'not suitable'})"),
    ]:
        facts.add_row(label, value)
    for h in person.households:
        until = h.end_date.isoformat() if h.end_date else "now"
        facts.add_row("Lived in", f"household {h.household_id}, {h.address} "
                                  f"({h.start_date.isoformat()} to {until})")
    for m in person.work_groups:
        facts.add_row("Work group", f"{m.work_group}, {m.workplace} ({m.workplace_kind})")
    for c in person.school_classes:
        facts.add_row("School class", f"{c.school_class}, {c.school} ({c.role})")
    for panel in panels:
        facts.add_row(panel.title, panel.summary)
    out.print(facts)
    if person.household_members:
        out.print(_people_table("Also living here", person.household_members))


@app.command("move")
def move_cmd(
    resident_id: int = typer.Argument(..., help="Resident id"),
    household_id: int = typer.Argument(..., help="The household they moved to"),
    moved_on: datetime = typer.Option(..., "--on", formats=["%Y-%m-%d"],
                                      help="The first day in the new household (YYYY-MM-DD)"),
) -> None:
    """Record that a resident moved to another household on a date."""
    from epidesk.db import session_scope
    from epidesk.people import service

    with session_scope() as session:
        stay = service.move_resident(session, resident_id=resident_id,
                                     household_id=household_id, moved_on=moved_on.date())
        out.print(f"resident {stay.resident_id} lives in household {stay.household_id} "
                  f"from {stay.start_date.isoformat()}")


@app.command("household")
def household_cmd(household_id: int = typer.Argument(..., help="Household id")) -> None:
    """Show a household: address, needs, home-quarantine suitability and members."""
    from epidesk.db import session_scope
    from epidesk.people import service

    with session_scope() as session:
        household = service.household_detail(session, household_id=household_id)
    out.print(f"[bold]Household {household.id}[/]  {household.address.label}")
    out.print(household.address.label_local)
    out.print(f"home quarantine: {'suitable' if household.home_suitable else 'not suitable'}"
              f"   needs: {_flags(household.flags)}")
    out.print(_people_table("Members", household.members))
