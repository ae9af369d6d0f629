"""HTML routes of the cases domain: cases, their changes, the bulletin, the landing page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import PlainTextResponse, RedirectResponse
from starlette.responses import Response

from epidesk.cases import service
from epidesk.cases.deps import CaseWriter, MedicalReader
from epidesk.config import get_settings
from epidesk.errors import DomainError
from epidesk.kit import clock
from epidesk.kit.access import CASES_WRITE, MEDICAL_READ
from epidesk.kit.days import day_to_show
from epidesk.kit.inputs import Offset, OptionalDay, OptionalId, OptionalMoment, parse
from epidesk.kit.links import Link, links_from
from epidesk.kit.templating import render
from epidesk.kit.web import AuditDep, DbSession, Id, check_csrf, csrf_token, ensure_in_scope

router = APIRouter(include_in_schema=False)

PAGE = 50


def _day(text: str, default: date, field: str) -> date:
    day: date | None = parse(OptionalDay, text, field)
    return default if day is None else day


def _moment(text: str, field: str = "as_of") -> datetime | None:
    moment: datetime | None = parse(OptionalMoment, text, field)
    return None if moment is None else clock.aware(moment)


@router.get("/cases")
def cases_page(
    request: Request, session: DbSession, reader: MedicalReader, audit: AuditDep,
    status: Annotated[str, Query(pattern="^(|active|withdrawn)$")] = "",
    classification: Annotated[str, Query(pattern="^(|asymptomatic|confirmed)$")] = "",
    reported_on: Annotated[str, Query(max_length=10)] = "",
    resident_id: Annotated[OptionalId, Query()] = None,
    offset: Annotated[Offset, Query()] = 0,
) -> Response:
    """Cases of residents inside the caller's area, newest report first, with filters."""
    day = _day(reported_on, date.min, "reported_on") if reported_on.strip() else None
    rows = service.list_cases(session, area=reader.area_for(MEDICAL_READ),
                              status=status or None, classification=classification or None,
                              reported_on=day, resident_id=resident_id, limit=PAGE + 1,
                              offset=offset)
    audit("read", "case_list", reported_on or "all", person_id=resident_id,
          people=[r.id for _, r in rows[:PAGE]])
    query = "&".join(f"{k}={v}" for k, v in (("status", status),
                                             ("classification", classification),
                                             ("reported_on", reported_on),
                                             ("resident_id", resident_id or "")) if v)
    return render(request, "cases/list.html", {
        "rows": rows[:PAGE], "has_more": len(rows) > PAGE, "offset": offset, "page": PAGE,
        "status": status, "classification": classification, "reported_on": reported_on,
        "resident_id": resident_id, "query": query, "section": "cases",
    })


@router.get("/cases/bulletin")
def bulletin_page(
    request: Request, session: DbSession, _reader: MedicalReader,
    day: Annotated[str, Query(max_length=10)] = "",
    as_of: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """The daily bulletin: new cases of a day by district, local and imported; without a
    day, today when it has data, else the latest day that has."""
    shown = day_to_show(session, asked=_day(day, clock.city_today(), "day") if day else None)
    result = service.bulletin(session, day=shown.day, as_of=_moment(as_of))
    return render(request, "cases/bulletin.html", {
        "bulletin": result, "day": shown.day.isoformat(), "shown": shown, "as_of": as_of,
        "section": "cases",
    })


@router.get("/cases/bulletin.csv")
def bulletin_csv_page(
    session: DbSession, _reader: MedicalReader, day: Annotated[str, Query(max_length=10)],
    as_of: Annotated[str, Query(max_length=32)] = "",
) -> Response:
    """The daily bulletin as a CSV download."""
    chosen = _day(day, clock.city_today(), "day")
    text = service.bulletin_csv(service.bulletin(session, day=chosen, as_of=_moment(as_of)))
    return PlainTextResponse(text, media_type="text/csv", headers={
        "content-disposition": f"attachment; filename=bulletin-{chosen.isoformat()}.csv"})


@router.get("/cases/{case_id}")
def case_page(request: Request, case_id: Id, session: DbSession, reader: MedicalReader,
              audit: AuditDep) -> Response:
    """A case: classification, dates, the proving result, history and the forms to change it."""
    record = service.case_record(session, case_id=case_id)
    ensure_in_scope(reader, MEDICAL_READ, record.area, "case", case_id)
    audit("read", "case", case_id, person_id=record.resident.id)
    links = links_from(session, caller=reader, kind="case", ids=[case_id])
    return _case_view(request, reader.may(CASES_WRITE, record.area), record,
                      links=links.get(case_id, []))


def _case_view(request: Request, can_write: bool, record: service.CaseRecord,
               error: str | None = None, status_code: int = 200,
               links: Sequence[Link] = ()) -> Response:
    return render(request, "cases/case.html", {
        "case": record.episode, "resident": record.resident, "can_write": can_write,
        "links": links,
        "csrf_token": csrf_token(request), "error": error, "section": "cases",
        "today": clock.city_today().isoformat(),
    }, status_code)


@router.post("/cases/{case_id}/reclassify")
def reclassify_page(
    request: Request, case_id: Id, session: DbSession, writer: CaseWriter, audit: AuditDep,
    on: Annotated[str, Form(max_length=10)] = "",
    onset_date: Annotated[str, Form(max_length=10)] = "",
    note: Annotated[str, Form(max_length=500)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Reclassify the case as confirmed from its page."""
    check_csrf(request, csrf_token)
    record = service.case_record(session, case_id=case_id)
    ensure_in_scope(writer, CASES_WRITE, record.area, "case", case_id)
    try:
        service.reclassify(session, case_id=case_id, actor=writer.username,
                           on=_day(on, clock.city_today(), "on"),
                           onset_date=parse(OptionalDay, onset_date, "onset_date"),
                           note=note or None)
    except DomainError as exc:
        return _case_view(request, True, record, exc.detail, exc.status)
    audit("update", "case", case_id, person_id=record.resident.id)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.post("/cases/{case_id}/withdraw")
def withdraw_page(
    request: Request, case_id: Id, session: DbSession, writer: CaseWriter, audit: AuditDep,
    reason: Annotated[str, Form(max_length=1000)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Withdraw the case from its page, with a reason."""
    check_csrf(request, csrf_token)
    record = service.case_record(session, case_id=case_id)
    ensure_in_scope(writer, CASES_WRITE, record.area, "case", case_id)
    try:
        service.withdraw(session, case_id=case_id, reason=reason, actor=writer.username)
    except DomainError as exc:
        return _case_view(request, True, record, exc.detail, exc.status)
    audit("update", "case", case_id, person_id=record.resident.id)
    return RedirectResponse(f"/cases/{case_id}", status_code=303)


@router.get("/")
def landing(request: Request, session: DbSession) -> Response:
    """The public landing page, with the city's new cases of the last seven days.

    Only city-wide totals are shown: no district, no person.
    """
    return render(request, "cases/landing.html", {"trend": service.recent_days(session, days=7),
                                                  "hotline": get_settings().hotline_number})
