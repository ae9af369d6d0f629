"""JSON routes of the cases domain: cases, their changes, the daily bulletin."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session

from epidesk.cases import service
from epidesk.cases.deps import CaseWriter, MedicalReader
from epidesk.cases.schemas import (
    BulletinOut,
    CaseDetailOut,
    CaseOut,
    ReclassifyIn,
    WithdrawIn,
    bulletin_out,
    case_detail_out,
    case_out,
)
from epidesk.kit.access import CASES_WRITE, MEDICAL_READ, Caller
from epidesk.kit.days import day_to_show
from epidesk.kit.inputs import DIGITS, Day, Ge, Le, Offset, OptionalDay, OptionalId, OptionalMoment
from epidesk.kit.web import PROBLEM_RESPONSES, AuditDep, CsvResponse, DbSession, Id, ensure_in_scope

router = APIRouter(responses=PROBLEM_RESPONSES)


@router.get("/cases", response_model=list[CaseOut], tags=["cases"], summary="Cases")
def list_cases(
    session: DbSession, reader: MedicalReader, audit: AuditDep,
    status: Literal["active", "withdrawn"] | None = None,
    classification: Literal["asymptomatic", "confirmed"] | None = None,
    district_id: Annotated[OptionalId, Query()] = None,
    reported_on: Annotated[OptionalDay, Query()] = None,
    resident_id: Annotated[OptionalId, Query()] = None,
    limit: Annotated[int, Ge(1), Le(service.MAX_LIST), DIGITS, Query()] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> list[CaseOut]:
    """Cases of residents inside the caller's area, newest report first."""
    rows = service.list_cases(session, area=reader.area_for(MEDICAL_READ), status=status,
                              classification=classification, district_id=district_id,
                              reported_on=reported_on, resident_id=resident_id, limit=limit,
                              offset=offset)
    audit("read", "case_list", str(reported_on or "all"), person_id=resident_id,
          people=[r.id for _, r in rows])
    return [case_out(e, r) for e, r in rows]


@router.get("/cases/bulletin", response_model=BulletinOut, tags=["cases"],
            summary="Daily bulletin")
def get_bulletin(session: DbSession, _: MedicalReader,
                 day: Annotated[OptionalDay, Query(description=(
                     "The city's day (default: today when it has data, else the latest "
                     "day with reported cases or results)"))] = None,
                 as_of: Annotated[OptionalMoment, Query()] = None) -> BulletinOut:
    """New cases of a day by district, local and imported, as the data stood at as_of;
    `shown` says why this day (asked for, today, or the latest day with data)."""
    shown = day_to_show(session, asked=day)
    return bulletin_out(service.bulletin(session, day=shown.day, as_of=as_of), shown=shown)


@router.get("/cases/bulletin.csv", response_class=CsvResponse, tags=["cases"],
            summary="Daily bulletin as CSV")
def get_bulletin_csv(session: DbSession, _: MedicalReader, day: Annotated[Day, Query()],
                     as_of: Annotated[OptionalMoment, Query()] = None) -> PlainTextResponse:
    """The daily bulletin as CSV: one line per district and origin, then the city."""
    text = service.bulletin_csv(service.bulletin(session, day=day, as_of=as_of))
    return PlainTextResponse(text, media_type="text/csv", headers={
        "content-disposition": f"attachment; filename=bulletin-{day.isoformat()}.csv"})


def _record(session: Session, principal: Caller, permission: str,
            case_id: int) -> service.CaseRecord:
    record = service.case_record(session, case_id=case_id)
    ensure_in_scope(principal, permission, record.area, "case", case_id)
    return record


@router.get("/cases/{case_id}", response_model=CaseDetailOut, tags=["cases"], summary="A case")
def get_case(case_id: Id, session: DbSession, reader: MedicalReader,
             audit: AuditDep) -> CaseDetailOut:
    """A case with its history."""
    record = _record(session, reader, MEDICAL_READ, case_id)
    audit("read", "case", case_id, person_id=record.resident.id)
    return case_detail_out(record.episode, record.resident)


@router.post("/cases/{case_id}/reclassify", response_model=CaseDetailOut, tags=["cases"],
             summary="Reclassify a case as confirmed")
def reclassify_case(case_id: Id, body: ReclassifyIn, session: DbSession, writer: CaseWriter,
                    audit: AuditDep) -> CaseDetailOut:
    """Reclassify an asymptomatic infection as a confirmed case (both dates are kept)."""
    record = _record(session, writer, CASES_WRITE, case_id)
    episode = service.reclassify(session, case_id=case_id, actor=writer.username, on=body.on,
                                 onset_date=body.onset_date, note=body.note)
    audit("update", "case", case_id, person_id=record.resident.id)
    return case_detail_out(episode, record.resident)


@router.post("/cases/{case_id}/withdraw", response_model=CaseDetailOut, tags=["cases"],
             summary="Withdraw a case")
def withdraw_case(case_id: Id, body: WithdrawIn, session: DbSession, writer: CaseWriter,
                  audit: AuditDep) -> CaseDetailOut:
    """Withdraw a case (a false positive, say) with a reason; it stays on record."""
    record = _record(session, writer, CASES_WRITE, case_id)
    episode = service.withdraw(session, case_id=case_id, reason=body.reason,
                               actor=writer.username)
    audit("update", "case", case_id, person_id=record.resident.id)
    return case_detail_out(episode, record.resident)
