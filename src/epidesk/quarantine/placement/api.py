"""JSON routes of placement runs: run, list, show, commit, discard; the shortfall forecast."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from epidesk.kit.inputs import DIGITS, Ge, Le
from epidesk.kit.web import CONFLICT_RESPONSE, PROBLEM_RESPONSES, AuditDep, DbSession, Id
from epidesk.quarantine.placement import service
from epidesk.quarantine.placement.deps import (
    Planner,
    Reader,
    forecast_out,
    run_detail,
    run_out,
)
from epidesk.quarantine.placement.schemas import ForecastOut, RunDetail, RunIn, RunOut

router = APIRouter(responses=PROBLEM_RESPONSES)


@router.post("/placement/runs", response_model=RunOut, status_code=201,
             summary="Run the placement")
def create_run(body: RunIn, session: DbSession, planner: Planner, audit: AuditDep) -> RunOut:
    """Place everyone under a centralized order without a room in the free rooms of the
    facilities eligible on the day; stored as a proposal for review (nothing assigned)."""
    run = service.run_placement(session, actor=planner.username, day=body.day)
    audit("create", "placement_run", run.id)
    return run_out(run)


@router.get("/placement/runs", response_model=list[RunOut],
            summary="Placement runs")
def list_runs(session: DbSession, _: Planner,
              limit: Annotated[int, Ge(1), Le(200), DIGITS, Query()] = 20) -> list[RunOut]:
    """Placement runs, newest first (figures only)."""
    return [run_out(r) for r in service.list_runs(session, limit=limit)]


@router.get("/placement/runs/{run_id}", response_model=RunDetail,
            summary="A placement run with its lines")
def show_run(run_id: Id, session: DbSession, reader: Reader, audit: AuditDep) -> RunDetail:
    """A run: each person's proposed room, or why there is none (people outside your
    area unnamed)."""
    run = service.get_run(session, run_id=run_id)
    detail, named = run_detail(session, run, reader)
    audit("read", "placement_run", run.id, people=named)
    return detail


@router.post("/placement/runs/{run_id}/commit", response_model=RunOut,
             summary="Commit a placement run", responses=CONFLICT_RESPONSE)
def commit_run(run_id: Id, session: DbSession, planner: Planner, audit: AuditDep) -> RunOut:
    """Write every room of a proposed run at once; 409 when the orders or rooms changed
    since it was made (run again), or the run is no longer proposed."""
    run = service.commit_run(session, run_id=run_id, actor=planner.username)
    audit("update", "placement_run", run.id,
          people=[line.resident_id for line in run.lines if line.room_id is not None])
    return run_out(run)


@router.post("/placement/runs/{run_id}/discard", response_model=RunOut,
             summary="Discard a placement run", responses=CONFLICT_RESPONSE)
def discard_run(run_id: Id, session: DbSession, planner: Planner, audit: AuditDep) -> RunOut:
    """Set a proposed run aside; nothing is assigned."""
    run = service.discard_run(session, run_id=run_id, actor=planner.username)
    audit("update", "placement_run", run.id)
    return run_out(run)


@router.get("/placement/forecast", response_model=list[ForecastOut],
            summary="Shortfall forecast")
def forecast(session: DbSession, _: Planner,
             days: Annotated[int, Ge(1), Le(30), DIGITS, Query()] = 7) -> list[ForecastOut]:
    """Beds needed against beds available per city and day."""
    return forecast_out(session, days)
