"""HTML routes of the tracing domain: runs, visit logs, a case's contacts, why, follow-up."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from epidesk.config import get_settings
from epidesk.errors import DomainError, ValidationFailedError
from epidesk.kit import clock, i18n
from epidesk.kit.access import MEDICAL_READ, TRACING_RUN, Caller
from epidesk.kit.i18n import _
from epidesk.kit.inputs import (
    Offset,
    OptionalDay,
    OptionalId,
    OptionalMoment,
    RecordId,
    is_record_id,
    parse,
)
from epidesk.kit.templating import render
from epidesk.kit.uploads import read_upload
from epidesk.kit.web import AuditDep, DbSession, Id, check_csrf, csrf_token, ensure_in_scope
from epidesk.policy.schemas import PLACE_LABELS
from epidesk.policy.service import active_preset
from epidesk.tracing import rules, service
from epidesk.tracing.contacts import service as contacts
from epidesk.tracing.contacts.rules import CaseContacts
from epidesk.tracing.decisions import rules as decision_rules
from epidesk.tracing.decisions import service as decisions
from epidesk.tracing.deps import (
    MedicalReader,
    Tracer,
    case_contact_people,
    contact_for,
    contact_people,
    start_run,
)
from epidesk.tracing.exposures import service as exposures
from epidesk.tracing.runs import service as runs
from epidesk.tracing.visits import rules as visit_rules
from epidesk.tracing.visits import service as visits

router = APIRouter(include_in_schema=False)

PAGE = 50


def when(value: datetime | None) -> str:
    """A stored time in the city's civil time, to the minute."""
    return "-" if value is None else clock.format_local(value)


def _render(request: Request, name: str, context: dict[str, Any],
            status_code: int = 200, *, language: str | None = None) -> Response:
    return render(request, name, {**context, "when": when}, status_code, language=language)


def _case_ids(text: str) -> list[int] | None:
    if not text.strip():
        return None
    parts = [p for p in re.split(r"[\s,;]+", text.strip()) if p]
    if not all(is_record_id(p) for p in parts):
        raise ValidationFailedError(
            _("%(text)r is not a list of case ids (e.g. 12, 15)", text=text), field="case_ids")
    return sorted({int(p) for p in parts})


@router.get("/tracing")
def overview_page(request: Request, session: DbSession, reader: MedicalReader,
                  ran: Annotated[OptionalId, Query()] = None) -> Response:
    """Tracing runs, recently traced cases, and the forms to run and to upload visits."""
    last = runs.last_runs(session, limit=10)
    return _render(request, "tracing/overview.html", {
        "runs": last, "ran": ran,
        "cases": contacts.recent_traced_cases(session, area=reader.area_for(MEDICAL_READ)),
        "logs": visits.list_visit_logs(session, limit=10),
        "can_run": reader.can(TRACING_RUN),
        "pending": service.pending_changes(session),
        "everywhere": reader.area_for(TRACING_RUN).everywhere,
        "csrf_token": csrf_token(request), "section": "tracing",
        "visit_format": visit_rules.VISIT_LOG_FORMAT,
    })


@router.get("/tracing/go")
def go_page(_reader: MedicalReader,
            case_id: Annotated[OptionalId, Query()] = None,
            resident_id: Annotated[OptionalId, Query()] = None) -> Response:
    """Open a case's contacts or a resident's classification from the find form."""
    for value, target in ((case_id, "cases"), (resident_id, "contacts")):
        if value is not None:
            return RedirectResponse(f"/tracing/{target}/{value}", status_code=303)
    return RedirectResponse("/tracing", status_code=303)


@router.post("/tracing/runs")
def run_page(request: Request, session: DbSession, tracer: Tracer, audit: AuditDep,
             case_ids: Annotated[str, Form(max_length=2000)] = "",
             changes: Annotated[bool, Form()] = False,
             csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Classify contacts from the overview page, then show the run."""
    check_csrf(request, csrf_token)
    run = start_run(session, tracer, None if changes else _case_ids(case_ids),
                    changes=changes)
    audit("create", "tracing_run", run.id)
    return RedirectResponse(f"/tracing?ran={run.id}", status_code=303)


@router.post("/tracing/visit-logs")
def upload_page(request: Request, session: DbSession, tracer: Tracer, audit: AuditDep,
                file: Annotated[UploadFile, File()],
                csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Check and import an uploaded visit log, then show it (accepted, or its report)."""
    check_csrf(request, csrf_token)
    content = read_upload(file, command="epidesk ingest visits")
    result = visits.import_visits(session, content=content,
                                   filename=file.filename or "visits.csv",
                                   received_by=tracer.username)
    audit("create" if not result.already_imported else "read", "visit_log", result.log.id)
    flag = "already" if result.already_imported else result.log.status
    return RedirectResponse(f"/tracing/visit-logs/{result.log.id}?uploaded={flag}",
                            status_code=303)


@router.get("/tracing/visit-logs/{log_id}")
def visit_log_page(request: Request, log_id: Id, session: DbSession, _tracer: Tracer,
                   uploaded: Annotated[str, Query(max_length=16)] = "") -> Response:
    """A visit log: what it holds, or its validation report."""
    log = visits.get_visit_log(session, log_id=log_id)
    return _render(request, "tracing/visit_log.html", {
        "log": log, "uploaded": uploaded, "problems": visits.log_problems(log),
        "counts": visits.log_problem_counts(log), "section": "tracing",
    })


def _case_view(request: Request, session: Session, reader: Caller, case_id: int,
               *, error: str | None = None, recorded: bool = False,
               status_code: int = 200, found: CaseContacts | None = None) -> Response:
    found = found or contacts.case_contacts(session, case_id=case_id,
                                            area=reader.area_for(MEDICAL_READ))
    preset = active_preset()
    return _render(request, "tracing/case.html", {
        "found": found, "can_record": reader.may(TRACING_RUN, found.area),
        "settings": preset.contacts.close_settings.settings, "error": error,
        "recorded": recorded, "csrf_token": csrf_token(request), "section": "tracing",
        "labels": rules.SETTING_LABELS, "tz": clock.city_zone(), "tiers": rules.TIER_LABELS,
    }, status_code)


@router.get("/tracing/cases/{case_id}")
def case_page(request: Request, case_id: Id, session: DbSession, reader: MedicalReader,
              audit: AuditDep,
              recorded: Annotated[str, Query(max_length=8)] = "") -> Response:
    """A case's contacts by tier, with the form to record an exposure with the case."""
    ensure_in_scope(reader, MEDICAL_READ, service.case_area(session, case_id=case_id), "case")
    found = contacts.case_contacts(session, case_id=case_id, area=reader.area_for(MEDICAL_READ))
    response = _case_view(request, session, reader, case_id, recorded=bool(recorded),
                          found=found)
    audit("read", "case_contacts", case_id, person_id=found.case.resident_id,
          people=case_contact_people(found))
    return response


@router.post("/tracing/exposures")
def exposure_page(
    request: Request, session: DbSession, tracer: Tracer, audit: AuditDep,
    case_id: Annotated[RecordId, Form()],
    resident_b_id: Annotated[str, Form(max_length=12)] = "",
    at: Annotated[str, Form(max_length=32)] = "",
    setting: Annotated[str, Form(max_length=32)] = "",
    protected: Annotated[str, Form(max_length=8)] = "",
    place: Annotated[str, Form(max_length=200)] = "",
    venue_id: Annotated[str, Form(max_length=12)] = "",
    building_id: Annotated[str, Form(max_length=12)] = "",
    note: Annotated[str, Form(max_length=2000)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Record an exposure between a case and another resident from the case's page."""
    check_csrf(request, csrf_token)
    ensure_in_scope(tracer, TRACING_RUN, service.case_area(session, case_id=case_id), "case")
    episode = service.get_case(session, case_id=case_id)
    try:
        other: int | None = parse(OptionalId, resident_b_id, "resident_b_id")
        if other is None:
            raise ValidationFailedError(_("give the other resident's id"), field="resident_b_id")
        moment: datetime | None = parse(OptionalMoment, at, "at")
        if moment is None:
            raise ValidationFailedError(_("give the time of the exposure"), field="at")
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=clock.city_zone())
        exposure = exposures.record_exposure(
            session, resident_a=episode.resident_id, resident_b=other,
            at=moment, setting=setting, protected=bool(protected), place=place,
            venue_id=parse(OptionalId, venue_id, "venue_id"),
            building_id=parse(OptionalId, building_id, "building_id"),
            note=note or None, recorded_by=tracer.username)
    except DomainError as exc:
        return _case_view(request, session, tracer, case_id, error=exc.detail,
                          status_code=exc.status)
    audit("create", "exposure", exposure.id, person_id=exposure.resident_b_id)
    return RedirectResponse(f"/tracing/cases/{case_id}?recorded=1", status_code=303)


def _contact_view(request: Request, session: Session, reader: Caller, audit: AuditDep,
                  resident_id: int, *, error: str | None = None,
                  form: dict[str, str] | None = None, status_code: int = 200) -> Response:
    detail = contact_for(session, reader, resident_id)
    audit("read", "contact", resident_id, person_id=resident_id,
          people=contact_people(detail))
    return _render(request, "tracing/contact.html", {
        "detail": detail, "labels": rules.SETTING_LABELS, "tiers": rules.TIER_LABELS,
        "places": PLACE_LABELS, "section": "tracing",
        "may_decide": detail.contact is not None and reader.may(TRACING_RUN, detail.area),
        "decision_kinds": decision_rules.KINDS, "error": error, "form": form or {},
        "csrf_token": csrf_token(request),
    }, status_code)


@router.get("/tracing/contacts/{resident_id}")
def contact_page(request: Request, resident_id: Id, session: DbSession,
                 reader: MedicalReader, audit: AuditDep) -> Response:
    """Why a resident is a contact: every piece of evidence, the investigators' decisions,
    the follow-up and history (and, for investigators of the area, the decision form)."""
    return _contact_view(request, session, reader, audit, resident_id)


@router.post("/tracing/contacts/{resident_id}/decisions")
def decision_page(
    request: Request, resident_id: Id, session: DbSession, tracer: Tracer, audit: AuditDep,
    kind: Annotated[str, Form(max_length=16)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    tier: Annotated[str, Form(max_length=16)] = "",
    end_on: Annotated[str, Form(max_length=32)] = "",
    csrf_token: Annotated[str, Form(max_length=128)] = "",
) -> Response:
    """Confirm, change or withdraw the classification, with a reason; on bad input the
    page again with the error, nothing changed."""
    check_csrf(request, csrf_token)
    ensure_in_scope(tracer, TRACING_RUN,
                    service.resident_area(session, resident_id=resident_id), "resident")
    try:
        decisions.decide(session, resident_id=resident_id, kind=kind, reason=reason,
                         tier=tier or None, end_on=parse(OptionalDay, end_on, "end_on"),
                         actor=tracer.username)
    except ValidationFailedError as exc:
        return _contact_view(request, session, tracer, audit, resident_id, error=exc.detail,
                             form={"kind": kind, "reason": reason, "tier": tier,
                                   "end_on": end_on}, status_code=exc.status)
    audit("update", "contact", resident_id, person_id=resident_id)
    return RedirectResponse(f"/tracing/contacts/{resident_id}#decisions", status_code=303)


@router.get("/tracing/contacts/{resident_id}/letter")
def letter_page(request: Request, resident_id: Id, session: DbSession,
                reader: MedicalReader, audit: AuditDep,
                lang: Annotated[str, Query(max_length=16)] = "") -> Response:
    """The letter to give the resident, printable, in the resident's language (or the one
    asked for with ?lang=): why, the quarantine and its end, the tests, the hotline; no
    case and no other person is named."""
    if lang and i18n.known(lang) is None:
        raise ValidationFailedError(
            f"lang: {lang!r} is not a language here (choose {' or '.join(i18n.LANGUAGES)})")
    ensure_in_scope(reader, MEDICAL_READ,
                    service.resident_area(session, resident_id=resident_id), "resident")
    person = service.get_resident(session, resident_id=resident_id)
    language = i18n.known(lang) or i18n.known(person.language) or i18n.DEFAULT
    with i18n.using(language):
        letter = contacts.resident_letter(session, resident_id=resident_id)
    audit("read", "contact_letter", resident_id, person_id=resident_id)
    return _render(request, "tracing/letter.html", {
        "letter": letter, "person": person, "tiers": rules.TIER_LABELS,
        "hotline": get_settings().hotline_number, "letter_language": language,
        "today": clock.city_today(),
    }, language=language)


@router.get("/tracing/follow-up")
def missed_page(request: Request, session: DbSession, reader: MedicalReader, audit: AuditDep,
                offset: Annotated[Offset, Query()] = 0) -> Response:
    """Contacts inside the caller's area who missed a planned test."""
    rows = contacts.missed_tests(session, area=reader.area_for(MEDICAL_READ), limit=PAGE + 1,
                                offset=offset)
    audit("read", "missed_tests", "list", people=[person.id for _, person, _ in rows[:PAGE]])
    return _render(request, "tracing/missed.html", {
        "rows": rows[:PAGE], "has_more": len(rows) > PAGE, "offset": offset, "page": PAGE,
        "tiers": rules.TIER_LABELS, "places": PLACE_LABELS, "section": "tracing",
    })
