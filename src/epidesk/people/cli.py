"""`epidesk people` commands: search residents, show one, show a household, record a move."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from epidesk.kit.console import console, print_page, table
from epidesk.people.rules import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MAX_OFFSET,
    Flag,
    IdType,
    RegistrationKind,
)

if TYPE_CHECKING:
    from epidesk.people.schemas import PersonSummary

app = typer.Typer(help="Residents and households: search, show, register people the "
                       "register does not know, record moves, find and merge duplicates.",
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
        ("On record as", person.registration
         + (f", registered at {person.registration_source}" if person.registration_source
            else "") + (f" by {person.registered_by}" if person.registered_by else "")),
        ("Document", f"{person.id_type_label}: {person.id_number or 'no number yet'}"),
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
    if person.merged_into_id is not None:
        facts.add_row("Merged", f"into resident {person.merged_into_id}: read that record")
    if person.merged_from:
        facts.add_row("Merged into it", ", ".join(str(i) for i in person.merged_from))
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


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


@app.command("register")
def register_cmd(
    name: str = typer.Option(..., help="Name in Chinese characters (or as on the document)"),
    name_latin: str = typer.Option(..., "--latin", help="Name in latin letters"),
    sex: str = typer.Option(..., help="F or M"),
    born: datetime = typer.Option(..., formats=["%Y-%m-%d"], help="Birth date (YYYY-MM-DD)"),
    kind: RegistrationKind = typer.Option(RegistrationKind.TRAVELLER,
                                          help="traveller, migrant_worker, newborn, other"),
    source: str = typer.Option(..., help="Where the person was registered"),
    household: int | None = typer.Option(None, help="An existing household's id"),
    address: int | None = typer.Option(None, help="Or an address without a household"),
    home_suitable: bool = typer.Option(False, help="A new household's home suits home "
                                                   "quarantine"),
    since: datetime | None = typer.Option(None, formats=["%Y-%m-%d"],
                                          help="Living there since (default: today)"),
    id_type: IdType = typer.Option(IdType.ID_CARD, help="The identity document"),
    id_number: str | None = typer.Option(None, help="Its number (optional for newborns, "
                                                    "travellers and others)"),
    phone: str | None = typer.Option(None, help="Phone number"),
    smartphone: bool = typer.Option(False, help="Has a smartphone"),
) -> None:
    """Register a person who is not in the resident register, into a household."""
    from epidesk.db import session_scope
    from epidesk.kit import clock
    from epidesk.kit.console import cli_actor
    from epidesk.people.registry import service as registry
    from epidesk.people.registry.rules import Registration, normalise_number

    today = clock.local_day(clock.now())
    registration = Registration(
        kind=kind, name=name, name_latin=name_latin, sex=sex.upper(), birth_date=born.date(),
        id_type=id_type, id_number=normalise_number(id_number), phone=normalise_number(phone),
        has_smartphone=smartphone, source=source, member_from=_day(since) or today)
    with session_scope() as session:
        person = registry.register_person(
            session, registration=registration, household_id=household, address_id=address,
            home_suitable=home_suitable, actor=cli_actor(), today=today)
        out.print(f"registered resident {person.id} ({person.name} {person.name_latin}, "
                  f"{kind.label}) in household {person.household_id}")


@app.command("duplicates")
def duplicates_cmd(
    limit: int = typer.Option(DEFAULT_LIMIT, min=1, max=MAX_LIMIT, help="Pairs per page"),
    offset: int = typer.Option(0, min=0, help="Pairs to skip"),
) -> None:
    """List pairs of records that look like one person, with the reasons."""
    from epidesk.db import session_scope
    from epidesk.people.merging import service as merging

    with session_scope() as session:
        found = merging.find_duplicates(session, limit=limit, offset=offset)
    if not found.items:
        out.print("no likely duplicates")
        return
    table = Table(title=f"Likely duplicates {offset + 1}-{offset + len(found.items)} of "
                        f"{found.total}", title_justify="left")
    for column in ("First", "Second", "Why"):
        table.add_column(column)
    for pair in found.items:
        table.add_row(*(f"{p.id} {p.name} {p.name_latin} ({p.community.name})"
                        for p in (pair.first, pair.second)), "; ".join(pair.reason_labels))
    out.print(table)
    if offset + len(found.items) < found.total:
        out.print(f"more pairs: --offset {offset + len(found.items)}")


@app.command("merge")
def merge_cmd(
    survivor: int = typer.Argument(..., help="The record that stays"),
    other: int = typer.Argument(..., help="The record merged into it"),
    reason: str = typer.Option(..., help="Why the two records are one person"),
) -> None:
    """Merge one record into another: tests, cases, contacts, visits and memberships move
    to the record that stays; the other points to it from now on."""
    from epidesk.db import session_scope
    from epidesk.kit.console import cli_actor
    from epidesk.people.merging import service as merging

    with session_scope() as session:
        merged = merging.merge_people(session, survivor_id=survivor, merged_id=other,
                                      reason=reason, actor=cli_actor())
    out.print(f"resident {other} merged into {survivor}")
    for note in merged.outcome:
        out.print(f"  {note}")
