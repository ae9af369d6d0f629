"""HTML routes of placement runs: the overview (runs, the form to run, the shortfall
forecast) and the review of a run (commit or discard)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from epidesk.errors import ConflictError
from epidesk.kit import clock
from epidesk.kit.access import QUARANTINE_WRITE, Caller
from epidesk.kit.inputs import OptionalDay, parse
from epidesk.kit.templating import render
from epidesk.kit.web import AuditDep, DbSession, Id, check_csrf, csrf_token
from epidesk.quarantine.placement import service
from epidesk.quarantine.placement.deps import Planner, Reader, forecast_out, run_detail

router = APIRouter(include_in_schema=False)


def _review(request: Request, session: DbSession, run_id: int, caller: Caller,
            audit: AuditDep, extra: dict[str, Any] | None = None, status_code: int = 200
            ) -> Response:
    run = service.get_run(session, run_id=run_id)
    detail, named = run_detail(session, run, caller)
    audit("read", "placement_run", run.id, people=named)
    return render(request, "quarantine/placement/run.html", {
        "run": detail, "csrf_token": csrf_token(request), "section": "quarantine",
        "can_decide": caller.can(QUARANTINE_WRITE)
        and caller.area_for(QUARANTINE_WRITE).everywhere,
        "when": lambda v: "-" if v is None else clock.format_local(v), **(extra or {}),
    }, status_code)


@router.get("/quarantine/placement")
def overview_page(request: Request, session: DbSession, _: Planner) -> Response:
    """Placement runs, the form to run one, and the shortfall forecast."""
    return render(request, "quarantine/placement/overview.html", {
        "runs": service.list_runs(session, limit=20), "forecast": forecast_out(session, 7),
        "csrf_token": csrf_token(request), "section": "quarantine",
    })


@router.post("/quarantine/placement/runs")
def run_page(request: Request, session: DbSession, planner: Planner, audit: AuditDep,
             day: Annotated[str, Form(max_length=32)] = "",
             csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Run the placement, then show the proposal for review."""
    check_csrf(request, csrf_token)
    on = parse(OptionalDay, day, field="day")
    run = service.run_placement(session, actor=planner.username, day=on)
    audit("create", "placement_run", run.id)
    return RedirectResponse(f"/quarantine/placement/runs/{run.id}", status_code=303)


@router.get("/quarantine/placement/runs/{run_id}")
def review_page(request: Request, run_id: Id, session: DbSession, reader: Reader,
                audit: AuditDep) -> Response:
    """A run for review: each person's proposed room, or why there is none."""
    return _review(request, session, run_id, reader, audit)


@router.post("/quarantine/placement/runs/{run_id}/commit")
def commit_page(request: Request, run_id: Id, session: DbSession, planner: Planner,
                audit: AuditDep, csrf_token: Annotated[str, Form(max_length=128)] = ""
                ) -> Response:
    """Commit a run (every room at once), or show why it was refused."""
    check_csrf(request, csrf_token)
    try:
        run = service.commit_run(session, run_id=run_id, actor=planner.username)
    except ConflictError as refused:
        return _review(request, session, run_id, planner, audit, {"refused": str(refused)},
                       409)
    audit("update", "placement_run", run.id,
          people=[line.resident_id for line in run.lines if line.room_id is not None])
    return RedirectResponse(f"/quarantine/placement/runs/{run.id}?done=committed",
                            status_code=303)


@router.post("/quarantine/placement/runs/{run_id}/discard")
def discard_page(request: Request, run_id: Id, session: DbSession, planner: Planner,
                 audit: AuditDep, csrf_token: Annotated[str, Form(max_length=128)] = ""
                 ) -> Response:
    """Discard a proposed run."""
    check_csrf(request, csrf_token)
    try:
        run = service.discard_run(session, run_id=run_id, actor=planner.username)
    except ConflictError as refused:
        return _review(request, session, run_id, planner, audit, {"refused": str(refused)},
                       409)
    audit("update", "placement_run", run.id)
    return RedirectResponse(f"/quarantine/placement/runs/{run.id}?done=discarded",
                            status_code=303)
