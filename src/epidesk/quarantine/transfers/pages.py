"""HTML routes of transfers: the overview (dispatched, arrived, missing; open alerts;
manifests) and the check-in page used on a phone at the bus door."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from epidesk.errors import DomainError
from epidesk.kit import clock
from epidesk.kit.access import Caller
from epidesk.kit.inputs import RecordId, parse
from epidesk.kit.templating import render
from epidesk.kit.web import AuditDep, DbSession, Id, check_csrf, csrf_token
from epidesk.quarantine.transfers import repository, rules, service
from epidesk.quarantine.transfers.deps import (
    HomeDesk,
    Reader,
    Transport,
    alerts_out,
    ensure_home_desk,
    manifest_detail,
    manifest_out,
)

router = APIRouter(include_in_schema=False)


def _when(value: Any) -> str:
    return "-" if value is None else clock.format_local(value)


@router.get("/quarantine/transfers")
def overview_page(request: Request, session: DbSession, reader: Reader,
                  audit: AuditDep) -> Response:
    """Dispatched, arrived and missing; the open alerts; the latest manifests."""
    now = clock.now()
    found, names = alerts_out(session, reader, now)
    audit("read", "transfer_alerts", "open", people=names)
    return render(request, "quarantine/transfers/overview.html", {
        "counts": service.counts(session, now=now), "alerts": found,
        "manifests": [manifest_out(session, m, now)
                      for m in repository.manifests(session, limit=20)],
        "resolutions": rules.RESOLUTIONS, "csrf_token": csrf_token(request),
        "section": "quarantine", "when": _when,
    })


def _check_in_page(request: Request, session: DbSession, reader: Any, audit: AuditDep,
                   manifest_id: int, q: str, extra: dict[str, Any] | None = None,
                   status_code: int = 200) -> Response:
    m = service.get_manifest(session, manifest_id=manifest_id)
    now = clock.now()
    lines = service.search(session, manifest_id=manifest_id, term=q)
    detail, names = manifest_detail(session, m, reader, now, lines)
    audit("read", "transfer_manifest", m.id, people=names)
    return render(request, "quarantine/transfers/check_in.html", {
        "manifest": detail, "q": q, "csrf_token": csrf_token(request),
        "section": "quarantine", "when": _when, **(extra or {}),
    }, status_code)


@router.get("/quarantine/transfers/{manifest_id}/check-in")
def check_in_page(request: Request, manifest_id: Id, session: DbSession, reader: Reader,
                  audit: AuditDep, q: Annotated[str, Query(max_length=64)] = "",
                  done: Annotated[str, Query(max_length=16)] = "") -> Response:
    """Find a person on the manifest by name, ID number or line number, and check them in."""
    return _check_in_page(request, session, reader, audit, manifest_id, q,
                          {"done": done})


def _arrival(request: Request, session: DbSession, caller: Caller, audit: AuditDep,
             manifest_id: int, resident_id: str, q: str, *, home: bool) -> Response:
    """Check a person in (a repeat changes nothing), or say why not on the page."""
    try:
        who = parse(RecordId, resident_id, field="resident_id")
        if home:
            ensure_home_desk(session, caller, manifest_id, who)
            line, changed = service.check_in_home(session, manifest_id=manifest_id,
                                                  resident_id=who, actor=caller.username)
        else:
            line, changed = service.check_in(session, manifest_id=manifest_id,
                                             resident_id=who, actor=caller.username)
    except DomainError as refused:
        if refused.status == 404:
            raise
        return _check_in_page(request, session, caller, audit, manifest_id, q,
                              {"refused": refused.detail}, refused.status)
    audit("update", "transfer_line", line.id, person_id=line.resident_id)
    flag = "in" if changed else "already"
    return RedirectResponse(f"/quarantine/transfers/{manifest_id}/check-in?done={flag}",
                            status_code=303)


@router.post("/quarantine/transfers/{manifest_id}/check-in")
def check_in_post(request: Request, manifest_id: Id, session: DbSession,
                  transport: Transport, audit: AuditDep,
                  resident_id: Annotated[str, Form(max_length=16)] = "",
                  q: Annotated[str, Form(max_length=64)] = "",
                  csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Check a person in at the facility (a repeat changes nothing), or say why not."""
    check_csrf(request, csrf_token)
    return _arrival(request, session, transport, audit, manifest_id, resident_id, q,
                    home=False)


@router.post("/quarantine/transfers/{manifest_id}/home-arrivals")
def home_arrival_post(request: Request, manifest_id: Id, session: DbSession,
                      desk: HomeDesk, audit: AuditDep,
                      resident_id: Annotated[str, Form(max_length=16)] = "",
                      q: Annotated[str, Form(max_length=64)] = "",
                      csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Check a person on a return home in at their building (the community worker);
    someone not on it or not in your area is refused on the page, nothing changed."""
    check_csrf(request, csrf_token)
    return _arrival(request, session, desk, audit, manifest_id, resident_id, q, home=True)


@router.post("/quarantine/transfers/{manifest_id}/check-out")
def check_out_post(request: Request, manifest_id: Id, session: DbSession,
                   transport: Transport, audit: AuditDep,
                   line_no: Annotated[str, Form(max_length=8)] = "",
                   csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Tick a line off as boarded at pickup."""
    check_csrf(request, csrf_token)
    number = parse(RecordId, line_no, field="line_no")
    line = service.check_out(session, manifest_id=manifest_id, line_no=number,
                             actor=transport.username)
    audit("update", "transfer_line", line.id, person_id=line.resident_id)
    return RedirectResponse(f"/quarantine/transfers/{manifest_id}/check-in?done=out",
                            status_code=303)


@router.post("/quarantine/transfers/lines/{line_id}/resolve")
def resolve_post(request: Request, line_id: Id, session: DbSession, transport: Transport,
                 audit: AuditDep, resolution: Annotated[str, Form(max_length=24)] = "",
                 note: Annotated[str, Form(max_length=1000)] = "",
                 csrf_token: Annotated[str, Form(max_length=128)] = "") -> Response:
    """Resolve a missing person's alert with what happened."""
    check_csrf(request, csrf_token)
    line = service.resolve(session, line_id=line_id, resolution=resolution, note=note,
                           actor=transport.username)
    audit("update", "transfer_line", line.id, person_id=line.resident_id)
    return RedirectResponse("/quarantine/transfers", status_code=303)
