"""HTML routes of the people domain: search, residents, households, communities, buildings."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from epidesk.errors import DomainError
from epidesk.geography.pages import MapFeature, svg_map
from epidesk.kit import clock
from epidesk.kit.access import PEOPLE_READ, PEOPLE_WRITE, Caller
from epidesk.kit.i18n import _
from epidesk.kit.inputs import DIGITS, Ge, Le, Offset, OptionalId
from epidesk.kit.templating import render
from epidesk.kit.web import AuditDep, DbSession, Id, check_csrf, csrf_token, ensure_in_scope
from epidesk.people import service
from epidesk.people.deps import (
    Reader,
    Writer,
    find_duplicates,
    merge_records,
    move_person,
    person_record,
    register,
)
from epidesk.people.merging import service as merging
from epidesk.people.registry.rules import Registration, normalise_number
from epidesk.people.rules import ID_TYPE_LABELS, KIND_LABELS, IdType, RegistrationKind
from epidesk.people.schemas import DEFAULT_LIMIT, MAX_OFFSET, HouseholdBrief

router = APIRouter(include_in_schema=False)



@router.get("/people")
def search_page(
    request: Request,
    session: DbSession,
    reader: Reader,
    audit: AuditDep,
    q: Annotated[str, Query(max_length=64)] = "",
    offset: Annotated[int, Ge(0), Le(MAX_OFFSET), DIGITS, Query()] = 0,
) -> Response:
    """The resident search form and one page of results."""
    result = service.search_people(session, query=q, limit=DEFAULT_LIMIT, offset=offset,
                                   area=reader.area_for(PEOPLE_READ))
    if result.mode is not None:
        audit("read", "resident_search", q[:64], people=[p.id for p in result.items])
    return render(request, "people/search.html", {
        "result": result,
        "q": q,
        "previous_offset": max(0, offset - DEFAULT_LIMIT) if offset else None,
        "next_offset": offset + DEFAULT_LIMIT
        if result.has_more and offset + DEFAULT_LIMIT <= MAX_OFFSET else None,
        "capped": result.has_more and offset + DEFAULT_LIMIT > MAX_OFFSET,
        "section": "people",
    })


def _form_view(request: Request, values: dict[str, Any], error: str | None = None,
               status_code: int = 200) -> Response:
    return render(request, "people/new.html", {
        "values": values, "error": error, "kinds": KIND_LABELS, "id_types": ID_TYPE_LABELS,
        "today": clock.local_day(clock.now()).isoformat(), "csrf_token": csrf_token(request),
        "section": "people"}, status_code=status_code)


@router.get("/people/new")
def new_person_page(request: Request, _writer: Writer,
                    household_id: Annotated[OptionalId, Query()] = None
                    ) -> Response:
    """The form to register a person who is not in the resident register."""
    return _form_view(request, {"household_id": household_id or "", "kind": "traveller",
                                "id_type": "id_card"})


def _date(value: str, name: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise service.invalid([(name, _("%(value)s is not a date (YYYY-MM-DD)",
                                        value=repr(value)))]) from exc


def _optional_id(value: str, name: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not text.isdigit() or not 1 <= int(text) < 2**31:
        raise service.invalid([(name, _("%(value)s is not an id", value=repr(value)))])
    return int(text)


@router.post("/people/new")
def register_page(
    request: Request, session: DbSession, writer: Writer, audit: AuditDep,
    kind: Annotated[str, Form(max_length=16)] = "",
    name: Annotated[str, Form(max_length=32)] = "",
    name_latin: Annotated[str, Form(max_length=64)] = "",
    sex: Annotated[str, Form(max_length=1)] = "",
    birth_date: Annotated[str, Form(max_length=10)] = "",
    id_type: Annotated[str, Form(max_length=16)] = "id_card",
    id_number: Annotated[str, Form(max_length=40)] = "",
    phone: Annotated[str, Form(max_length=20)] = "",
    has_smartphone: Annotated[str, Form(max_length=8)] = "",
    source: Annotated[str, Form(max_length=64)] = "",
    household_id: Annotated[str, Form(max_length=12)] = "",
    address_id: Annotated[str, Form(max_length=12)] = "",
    home_suitable: Annotated[str, Form(max_length=8)] = "",
    member_from: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Register the person from the form; on a mistake the form comes back filled in."""
    check_csrf(request, csrf_token)
    values = {"kind": kind, "name": name, "name_latin": name_latin, "sex": sex,
              "birth_date": birth_date, "id_type": id_type, "id_number": id_number,
              "phone": phone, "has_smartphone": bool(has_smartphone), "source": source,
              "household_id": household_id, "address_id": address_id,
              "home_suitable": bool(home_suitable), "member_from": member_from}
    try:
        if kind not in set(RegistrationKind):
            raise service.invalid([("kind", _("choose what kind of person this is"))])
        if id_type not in set(IdType):
            raise service.invalid([("id_type", _("choose the identity document"))])
        registration = Registration(
            kind=RegistrationKind(kind), name=name, name_latin=name_latin, sex=sex,
            birth_date=_date(birth_date, "birth_date"), id_type=IdType(id_type),
            id_number=normalise_number(id_number), phone=normalise_number(phone),
            has_smartphone=bool(has_smartphone), source=source,
            member_from=_date(member_from, "member_from"))
        person_id = register(session, writer, registration,
                             household_id=_optional_id(household_id, "household_id"),
                             address_id=_optional_id(address_id, "address_id"),
                             home_suitable=bool(home_suitable), audit=audit)
    except DomainError as exc:
        return _form_view(request, values, exc.detail, exc.status)
    return RedirectResponse(f"/people/{person_id}?registered=1", status_code=303)


@router.get("/people/duplicates")
def duplicates_page(
    request: Request, session: DbSession, reader: Reader, audit: AuditDep,
    offset: Annotated[Offset, Query()] = 0,
) -> Response:
    """Likely duplicate records inside the reader's area, with the reasons, to merge."""
    found = find_duplicates(session, reader, limit=DEFAULT_LIMIT, offset=offset, audit=audit)
    return render(request, "people/duplicates.html", {
        "found": found, "can_merge": reader.can(PEOPLE_WRITE),
        "previous_offset": max(0, offset - DEFAULT_LIMIT) if offset else None,
        "next_offset": offset + DEFAULT_LIMIT if offset + DEFAULT_LIMIT < found.total else None,
        "section": "people"})


@router.get("/people/{resident_id}")
def person_page(
    request: Request, resident_id: Id, session: DbSession, reader: Reader, audit: AuditDep,
    merged_from: Annotated[OptionalId, Query()] = None,
) -> Response:
    """A resident's record: personal data, address, household and memberships, then
    every other domain's panel (tests, cases, contacts, ...) the reader may see. A
    record merged into another leads there."""
    person, panels = person_record(session, caller=reader, resident_id=resident_id,
                                   audit=audit)
    if person.merged_into_id is not None:
        return RedirectResponse(f"/people/{person.merged_into_id}?merged_from={person.id}",
                                status_code=303)
    return _person_view(request, reader, person, panels, merged_from=merged_from)


def _person_view(request: Request, reader: Caller, person: Any, panels: Any, *,
                 error: str | None = None, status_code: int = 200, **extra: Any) -> Response:
    return render(request, "people/person.html", {
        "person": person, "panels": panels, "section": "people",
        "can_write": reader.may(PEOPLE_WRITE, service.person_area(person)),
        "csrf_token": csrf_token(request), "error": error,
        "today": clock.local_day(clock.now()).isoformat(),
        "registered": request.query_params.get("registered") == "1",
        "moved": request.query_params.get("moved") == "1", **extra},
        status_code=status_code)


@router.post("/people/{resident_id}/moves")
def move_page(
    request: Request, resident_id: Id, session: DbSession, writer: Writer, audit: AuditDep,
    household_id: Annotated[str, Form(max_length=12)] = "",
    moved_on: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Record a household move from the person's page."""
    check_csrf(request, csrf_token)
    ensure_in_scope(writer, PEOPLE_WRITE, service.resident_area(session, resident_id),
                    "resident", resident_id)
    try:
        target = _optional_id(household_id, "household_id")
        if target is None:
            raise service.invalid([("household_id", _("give the household they moved to"))])
        move_person(session, writer, resident_id=resident_id, household_id=target,
                    moved_on=_date(moved_on, "moved_on"), audit=audit)
    except DomainError as exc:
        person, panels = person_record(session, caller=writer, resident_id=resident_id,
                                       audit=audit)
        return _person_view(request, writer, person, panels, error=exc.detail,
                            status_code=exc.status)
    return RedirectResponse(f"/people/{resident_id}?moved=1", status_code=303)


@router.get("/people/{resident_id}/merge")
def merge_form_page(
    request: Request, resident_id: Id, session: DbSession, writer: Writer, audit: AuditDep,
    other: Annotated[OptionalId, Query()] = None,
) -> Response:
    """The merge form: both records side by side, a reason, and a confirmation."""
    return _merge_view(request, session, writer, audit, resident_id, other)


def _merge_view(request: Request, session: DbSession, writer: Caller, audit: AuditDep,
                resident_id: int, other: int | None, *, error: str | None = None,
                reason: str = "", status_code: int = 200) -> Response:
    ensure_in_scope(writer, PEOPLE_WRITE, service.resident_area(session, resident_id),
                    "resident", resident_id)
    area = writer.area_for(PEOPLE_WRITE)
    survivor = service.person_detail(session, resident_id=resident_id, area=area)
    shown = [survivor.id]
    second = None
    if other is not None:
        try:
            merging.check_merge(session, survivor_id=resident_id, merged_id=other, area=area)
            second = service.person_detail(session, resident_id=other, area=area)
            shown.append(second.id)
        except DomainError as exc:
            error = error or exc.detail
            status_code = status_code if status_code != 200 else exc.status
    audit("read", "resident_merge", resident_id, person_id=resident_id, people=shown)
    return render(request, "people/merge.html", {
        "survivor": survivor, "other": second, "other_id": other or "", "error": error,
        "reason": reason, "csrf_token": csrf_token(request), "section": "people"},
        status_code=status_code)


@router.post("/people/{resident_id}/merge")
def merge_page(
    request: Request, resident_id: Id, session: DbSession, writer: Writer, audit: AuditDep,
    other_id: Annotated[str, Form(max_length=12)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    confirm: Annotated[str, Form(max_length=8)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Merge the other record into this one once the form is confirmed."""
    check_csrf(request, csrf_token)
    ensure_in_scope(writer, PEOPLE_WRITE, service.resident_area(session, resident_id),
                    "resident", resident_id)
    other: int | None = None
    try:
        other = _optional_id(other_id, "other_id")
        if other is None:
            raise service.invalid([("other_id", _("give the id of the record that goes"))])
        if not confirm:
            raise service.invalid([("confirm", _("tick the box to confirm the merge"))])
        merge_records(session, writer, survivor_id=resident_id, other_id=other, reason=reason,
                      audit=audit)
    except DomainError as exc:
        return _merge_view(request, session, writer, audit, resident_id, other,
                           error=exc.detail, reason=reason, status_code=exc.status)
    return RedirectResponse(f"/people/{resident_id}?merged_from={other}", status_code=303)


@router.get("/households/{household_id}")
def household_page(
    request: Request, household_id: Id, session: DbSession, reader: Reader, audit: AuditDep
) -> Response:
    """A household: address, members, needs and home-quarantine suitability."""
    household = service.household_detail(session, household_id=household_id,
                                         area=reader.area_for(PEOPLE_READ))
    audit("read", "household", household.id, people=[m.id for m in household.members])
    return render(request, "people/household.html",
                  {"household": household, "section": "people"})


@router.get("/places/communities/{community_id}")
def community_page(
    request: Request, community_id: Id, session: DbSession, reader: Reader, audit: AuditDep
) -> Response:
    """A community: map, buildings, population, venues, workplaces and schools."""
    overview = service.community_overview(session, community_id=community_id,
                                          area=reader.area_for(PEOPLE_READ))
    audit("read", "community", community_id)
    community = overview.community
    drawing = svg_map(
        community.polygon,
        [MapFeature(polygon=b.polygon, label=f"Building {b.number}", text=str(b.number),
                    href=f"/places/buildings/{b.id}")
         for b in community.buildings],
    )
    return render(request, "people/community.html",
                  {"overview": overview, "community": community, "map": drawing,
                   "section": "places"})


@router.get("/places/buildings/{building_id}")
def building_page(
    request: Request, building_id: Id, session: DbSession, reader: Reader, audit: AuditDep
) -> Response:
    """A building: its units and flats, and the household in each flat."""
    result = service.building_households(session, building_id=building_id,
                                         area=reader.area_for(PEOPLE_READ))
    audit("read", "building", building_id)
    by_address: dict[int, HouseholdBrief] = {h.address_id: h for h in result.households}
    per_unit: dict[int, int] = defaultdict(int)
    for unit in result.building.units:
        per_unit[unit.id] = sum(1 for f in unit.flats if f.id in by_address)
    return render(request, "people/building.html", {
        "building": result.building,
        "households": by_address,
        "households_per_unit": per_unit,
        "section": "places",
    })
