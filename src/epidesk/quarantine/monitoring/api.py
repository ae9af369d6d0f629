"""JSON routes of home health monitoring: the people under it in your area, a person's
checks, recording a check, clearing a flag for a test."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from epidesk.errors import ValidationFailedError
from epidesk.kit import clock
from epidesk.kit.web import PROBLEM_RESPONSES, AuditDep, DbSession, Id
from epidesk.quarantine.monitoring import service
from epidesk.quarantine.monitoring.deps import (
    FILTERS,
    Desk,
    Reader,
    check_out,
    ensure_person,
    listing,
)
from epidesk.quarantine.monitoring.schemas import (
    CheckIn,
    CheckOut,
    ClearIn,
    ClearOut,
    MonitoredOut,
)

router = APIRouter(responses=PROBLEM_RESPONSES)
State = Annotated[str, Query(max_length=12, description="done, due, missed or needs_test")]


@router.get("/monitoring", response_model=list[MonitoredOut],
            summary="People under home monitoring")
def monitored(session: DbSession, reader: Reader, audit: AuditDep,
              state: State = "") -> list[MonitoredOut]:
    """Everyone home under monitoring today in your area: today's check done, due or
    missed (nobody reached them yesterday), and whether they need a test; only those in
    one state (or needing a test) when asked. People past their last monitoring day are
    not listed."""
    if state and state not in FILTERS:
        raise ValidationFailedError(f"{state!r} is not a state: one of {', '.join(FILTERS)}",
                                    field="state")
    rows, names = listing(session, reader, today=clock.local_day(clock.now()), state=state)
    audit("read", "home_monitoring", state or "all", people=names)
    return rows


@router.get("/monitoring/{resident_id}/checks", response_model=list[CheckOut],
            summary="A person's home checks")
def checks(resident_id: Id, session: DbSession, reader: Reader,
           audit: AuditDep) -> list[CheckOut]:
    """A resident's latest checks, newest first (404 outside your area)."""
    ensure_person(session, reader, resident_id)
    found = service.checks_of_resident(session, resident_id=resident_id)
    audit("read", "home_checks", resident_id, person_id=resident_id)
    return [check_out(c) for c in found]


@router.post("/monitoring/{resident_id}/checks", response_model=CheckOut, status_code=201,
             summary="Record a home check")
def record(resident_id: Id, body: CheckIn, session: DbSession, desk: Desk,
           audit: AuditDep) -> CheckOut:
    """Record today's check (or a past day's, since they came home): temperature and
    symptoms, or not reached with the reason. Fever (37.3 C or more) or any symptom flags
    a test. Someone not home yet, or without home monitoring, or past its end is refused
    (422 naming resident_id); a bad value is refused naming its field."""
    ensure_person(session, desk, resident_id, write=True)
    done = service.record_check(session, resident_id=resident_id, actor=desk.username,
                                check=service.CheckIn(**{**body.model_dump(),
                                                         "symptoms": tuple(body.symptoms)}))
    audit("create", "home_check", done.id, person_id=resident_id)
    return check_out(done)


@router.post("/monitoring/{resident_id}/clear", response_model=ClearOut,
             summary="Clear a flag for a test")
def clear(resident_id: Id, body: ClearIn, session: DbSession, desk: Desk,
          audit: AuditDep) -> ClearOut:
    """Lift the resident's open flags for a test, with the reason (`cleared` 0 when none
    was open)."""
    ensure_person(session, desk, resident_id, write=True)
    count = service.clear_flag(session, resident_id=resident_id, reason=body.reason,
                               actor=desk.username)
    audit("update", "home_check", resident_id, person_id=resident_id, reason=body.reason)
    return ClearOut(resident_id=resident_id, cleared=count)
