"""JSON routes of the tracing domain: visit logs, exposures, runs, contacts and evidence."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Query, Response, UploadFile
from fastapi.responses import JSONResponse

from epidesk.errors import PROBLEM_JSON
from epidesk.kit.access import MEDICAL_READ, TRACING_RUN
from epidesk.kit.inputs import DIGITS, Ge, Le, Offset
from epidesk.kit.uploads import read_upload
from epidesk.kit.web import (
    CONFLICT_RESPONSE,
    PROBLEM_RESPONSES,
    AuditDep,
    DbSession,
    Id,
    ensure_in_scope,
)
from epidesk.tracing import rules, service
from epidesk.tracing.contacts import service as contacts
from epidesk.tracing.decisions import service as decisions
from epidesk.tracing.deps import (
    MedicalReader,
    Tracer,
    case_contact_people,
    contact_for,
    contact_people,
    import_message,
    start_run,
)
from epidesk.tracing.exposures import service as exposures
from epidesk.tracing.runs import service as runs
from epidesk.tracing.schemas import (
    CaseContactsOut,
    ContactOut,
    DecisionIn,
    DecisionOut,
    ExposureIn,
    ExposureOut,
    LetterOut,
    MissedTestOut,
    RunIn,
    RunOut,
    VisitImportOut,
    VisitLogDetail,
    case_contacts_out,
    contact_out,
    exposure_out,
    letter_out,
    log_detail,
    missed_out,
    run_out,
)
from epidesk.tracing.visits import service as visits

router = APIRouter(responses=PROBLEM_RESPONSES)

@router.post("/tracing/runs", response_model=RunOut, status_code=201, tags=["tracing"],
             summary="Classify contacts", responses=CONFLICT_RESPONSE)
def create_run(body: RunIn, session: DbSession, tracer: Tracer, audit: AuditDep) -> RunOut:
    """Classify the given cases (and the cases they affect), the cases changed since the
    last run (`changes`), or every active case.

    Writes new evidence, withdraws evidence no longer found, and identifies, promotes,
    demotes or withdraws contacts with their follow-up plans.
    """
    run = start_run(session, tracer, body.case_ids, changes=body.changes)
    audit("create", "tracing_run", run.id)
    return run_out(run)


@router.get("/tracing/runs", response_model=list[RunOut], tags=["tracing"],
            summary="Tracing runs")
def list_runs(session: DbSession, _: Tracer,
              limit: Annotated[int, Ge(1), Le(200), DIGITS, Query()] = 20) -> list[RunOut]:
    """Tracing runs, newest first (counts only)."""
    return [run_out(r) for r in runs.last_runs(session, limit=limit)]


@router.post("/tracing/visit-logs", response_model=VisitImportOut, status_code=201,
             tags=["tracing"], summary="Upload a visit log",
             responses={200: {"model": VisitImportOut, "description": "Already imported"},
                        **CONFLICT_RESPONSE})
def upload_visit_log(
    response: Response, session: DbSession, tracer: Tracer, audit: AuditDep,
    file: Annotated[UploadFile, File(description="Visit log CSV: resident_id, venue_id, "
                                                 "started_at, ended_at")],
) -> Any:
    """Validate a visit log whole, then store its visits.

    201: accepted. 200: the same file was accepted before, nothing changed. 422: rejected
    whole with a report naming line, column and problem; nothing of it was written.
    """
    content = read_upload(file, command="epidesk ingest visits")
    result = visits.import_visits(session, content=content,
                                   filename=file.filename or "visits.csv",
                                   received_by=tracer.username)
    audit("create" if not result.already_imported else "read", "visit_log", result.log.id)
    detail = log_detail(result.log)
    if not result.accepted:
        return JSONResponse({
            "type": "https://epidesk.org/problems/visit-log-rejected",
            "title": "Visit log rejected", "status": 422,
            "detail": import_message(result), "instance": "/api/tracing/visit-logs",
            "log_id": result.log.id, "problem_counts": detail.problem_counts,
            "problems": [p.model_dump() for p in detail.problems],
            "truncated": detail.problem_count > len(detail.problems),
        }, status_code=422, media_type=PROBLEM_JSON)
    if result.already_imported:
        response.status_code = 200
    return VisitImportOut(already_imported=result.already_imported,
                          message=import_message(result), log=detail)


@router.get("/tracing/visit-logs/{log_id}", response_model=VisitLogDetail, tags=["tracing"],
            summary="A visit log")
def get_visit_log(log_id: Id, session: DbSession, _: Tracer) -> VisitLogDetail:
    """A visit log: what it holds, or its validation report."""
    return log_detail(visits.get_visit_log(session, log_id=log_id))


@router.post("/tracing/exposures", response_model=ExposureOut, status_code=201,
             tags=["tracing"], summary="Record an exposure")
def create_exposure(body: ExposureIn, session: DbSession, tracer: Tracer,
                    audit: AuditDep) -> ExposureOut:
    """Record an exposure between two residents; the first must live in the caller's area."""
    ensure_in_scope(tracer, TRACING_RUN,
                    service.resident_area(session, resident_id=body.resident_a_id), "resident")
    exposure = exposures.record_exposure(
        session, resident_a=body.resident_a_id, resident_b=body.resident_b_id, at=body.at,
        setting=body.setting, protected=body.protected, place=body.place,
        venue_id=body.venue_id, building_id=body.building_id, note=body.note,
        recorded_by=tracer.username)
    audit("create", "exposure", exposure.id, person_id=body.resident_a_id)
    audit("create", "exposure", exposure.id, person_id=body.resident_b_id)
    return exposure_out(exposure)


@router.get("/tracing/cases/{case_id}/contacts", response_model=CaseContactsOut,
            tags=["tracing"], summary="A case's contacts by tier")
def get_case_contacts(case_id: Id, session: DbSession, reader: MedicalReader,
                      audit: AuditDep) -> CaseContactsOut:
    """A case's close and sub-close contacts living inside the caller's area."""
    ensure_in_scope(reader, MEDICAL_READ, service.case_area(session, case_id=case_id), "case")
    found = contacts.case_contacts(session, case_id=case_id, area=reader.area_for(MEDICAL_READ))
    audit("read", "case_contacts", case_id, person_id=found.case.resident_id,
          people=case_contact_people(found))
    return case_contacts_out(found)


@router.get("/tracing/contacts/{resident_id}", response_model=ContactOut, tags=["tracing"],
            summary="Why is this person a contact?")
def get_contact(resident_id: Id, session: DbSession, reader: MedicalReader,
                audit: AuditDep) -> ContactOut:
    """A resident's tier with every piece of evidence (case, setting, place, overlap, rule),
    the follow-up plan with results and missed tests, and the history."""
    detail = contact_for(session, reader, resident_id)
    audit("read", "contact", resident_id, person_id=resident_id,
          people=contact_people(detail))
    return contact_out(detail)


@router.post("/tracing/contacts/{resident_id}/decisions", response_model=DecisionOut,
             status_code=201, tags=["tracing"], summary="Decide on a classification")
def create_decision(resident_id: Id, body: DecisionIn, session: DbSession, tracer: Tracer,
                    audit: AuditDep) -> DecisionOut:
    """Confirm, change (a new tier or end date) or withdraw a resident's classification,
    with a reason. The decision holds against later tracing runs until a new exposure or a
    further decision; quarantine's next sync brings the orders resting on it in step."""
    ensure_in_scope(tracer, TRACING_RUN,
                    service.resident_area(session, resident_id=resident_id), "resident")
    decision = decisions.decide(session, resident_id=resident_id, kind=body.kind,
                                reason=body.reason, tier=body.tier, end_on=body.end_on,
                                actor=tracer.username)
    audit("update", "contact", resident_id, person_id=resident_id)
    return DecisionOut.model_validate(decision)


@router.get("/tracing/contacts/{resident_id}/letter", response_model=LetterOut,
            tags=["tracing"], summary="The explanation for the resident")
def get_letter(resident_id: Id, session: DbSession, reader: MedicalReader,
               audit: AuditDep) -> LetterOut:
    """Why the resident is a contact and which tests to take, naming no case or person."""
    ensure_in_scope(reader, MEDICAL_READ,
                    service.resident_area(session, resident_id=resident_id), "resident")
    letter = contacts.resident_letter(session, resident_id=resident_id)
    audit("read", "contact_letter", resident_id, person_id=resident_id)
    return letter_out(letter)


@router.get("/tracing/follow-up/missed", response_model=list[MissedTestOut],
            tags=["tracing"], summary="Missed follow-up tests")
def get_missed(session: DbSession, reader: MedicalReader, audit: AuditDep,
               limit: Annotated[int, Ge(1), Le(rules.MAX_LIST), DIGITS, Query()] = 100,
               offset: Annotated[Offset, Query()] = 0) -> list[MissedTestOut]:
    """Planned tests of active contacts inside the caller's area whose day passed unsampled."""
    rows = contacts.missed_tests(session, area=reader.area_for(MEDICAL_READ), limit=limit,
                                offset=offset)
    audit("read", "missed_tests", "list", people=[person.id for _, person, _ in rows])
    return missed_out(rows)
