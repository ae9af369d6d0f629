"""HTML routes of zoning: the public map and address lookup (Chinese and English), and the
staff pages (zones, one zone with its history and changes, a testing round)."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from epidesk.errors import DomainError
from epidesk.kit.access import PLACES_READ
from epidesk.kit.inputs import OptionalDay
from epidesk.kit.templating import render
from epidesk.kit.web import AuditDep, DbSession, Id, check_csrf, csrf_token
from epidesk.zoning import service
from epidesk.zoning.deps import (
    Reader,
    Staff,
    ZoningOfficer,
    change_zone,
    district_visible,
    ensure_round_in_scope,
    resident_names,
    today,
    zone_area,
    zone_detail,
    zone_for,
)
from epidesk.zoning.footprint import service as footprint
from epidesk.zoning.lookup import service as lookup
from epidesk.zoning.rules import OVERRIDE_CATEGORIES, PLAIN_TEXTS, language, text
from epidesk.zoning.rules import written_reason as _written

router = APIRouter(include_in_schema=False)
Lang = Annotated[str | None, Query(pattern="^(en|zh)$")]


def _words(lang: str) -> dict[str, str]:
    return {key: text(key, lang) for key in PLAIN_TEXTS}


def _map_data(zones: list[lookup.PublicZone]) -> str:
    shapes = [{"level": z.level, "place": z.place, "shape": z.shape, "point": z.point,
               "end": z.planned_end.isoformat() if z.planned_end else None}
              for z in zones if z.shape or z.point]
    return json.dumps(shapes, ensure_ascii=False).replace("</", "<\\/")


def _by_district(zones: list[lookup.PublicZone]) -> dict[int, list[lookup.PublicZone]]:
    out: dict[int, list[lookup.PublicZone]] = {}
    for z in zones:
        out.setdefault(z.district_id, []).append(z)
    return out


@router.get("/zones")
def public_zones_page(request: Request, session: DbSession, lang: Lang = None) -> Response:
    """The public map and list of zones in force, by district, without identities."""
    chosen = language(lang)
    zones = lookup.public_zones(session, lang=chosen)
    districts = lookup.district_names(session, sorted({z.district_id for z in zones}), chosen)
    return render(request, "zoning/public.html", {
        "lang": chosen, "t": _words(chosen), "by_district": _by_district(zones),
        "districts": districts,
        "zones": zones, "map_data": _map_data(zones), "other": "zh" if chosen == "en" else "en"},
        language=chosen)


@router.get("/zones/lookup")
def lookup_page(request: Request, session: DbSession, lang: Lang = None,
                community: Annotated[str, Query(max_length=100)] = "",
                building: Annotated[str, Query(max_length=6)] = "",
                unit: Annotated[str, Query(max_length=4)] = "",
                flat: Annotated[str, Query(max_length=6)] = "") -> Response:
    """Look up an address: its zone, the measures in plain words, the planned end, why."""
    chosen = language(lang)
    answer: dict[str, Any] | None = None
    error: str | None = None
    status = 200
    if community or building or unit or flat:
        if not (building.isdigit() and unit.isdigit()):
            error, status = text("lookup.unknown", chosen), 422
        else:
            try:
                answer = lookup.address_answer(session, community=community, building=int(building),
                                        unit=int(unit), flat=flat, lang=chosen)
            except DomainError as exc:
                error, status = text("lookup.unknown", chosen), exc.status
    return render(request, "zoning/lookup.html", {
        "lang": chosen, "t": _words(chosen), "answer": answer, "error": error,
        "form": {"community": community, "building": building, "unit": unit, "flat": flat},
        "other": "zh" if chosen == "en" else "en"}, status, language=chosen)


@router.get("/zones/staff")
def staff_zones_page(request: Request, session: DbSession, caller: Staff,
                     day: Annotated[OptionalDay, Query()] = None) -> Response:
    """Zones in force in the caller's area with the footprint; a map on the city's shapes."""
    zones = [z for z in service.active_zones(session)
             if district_visible(caller, PLACES_READ, z, zone_area(session, z))]
    shown = {z.id for z in zones}
    public = [p for p in lookup.public_zones(session) if p.id in shown]
    cost = footprint.footprint(session, day=day or today())
    return render(request, "zoning/staff.html", {
        "zones": zones, "cost": cost, "map_data": _map_data(public), "section": "zones"})


@router.get("/zones/staff/{zone_id}")
def staff_zone_page(request: Request, session: DbSession, caller: Staff, zone_id: Id
                    ) -> Response:
    """One zone: its area, level, cases (for readers of medical details) and history, and
    the form to widen or narrow it."""
    zone = zone_for(session, caller, zone_id)
    return render(request, "zoning/zone.html", {
        "zone": zone_detail(session, caller, zone), "categories": OVERRIDE_CATEGORIES,
        "csrf_token": csrf_token(request), "section": "zones",
        "message": request.query_params.get("message", "")[:200]})


@router.post("/zones/staff/{zone_id}/area")
def change_area_form(request: Request, session: DbSession, caller: ZoningOfficer, zone_id: Id,
                     audit: AuditDep,
                     to: Annotated[str, Form(max_length=40)] = "",
                     reason: Annotated[str, Form(max_length=2000)] = "",
                     override_reason: Annotated[str, Form(max_length=2000)] = "",
                     category: Annotated[str, Form(max_length=32)] = "",
                     csrf_token_: Annotated[str, Form(alias="csrf_token")] = "") -> Response:
    """The form of a manual change: refused changes leave the zone as it was."""
    check_csrf(request, csrf_token_)
    zone = change_zone(session, caller, zone_id, to=to, reason=reason,
                       override_reason=override_reason, category=category or None)
    audit("update", "zone", zone.id, reason=_written(reason, override_reason))
    return RedirectResponse(f"/zones/staff/{zone.id}?message=changed", status_code=303)


@router.get("/zones/staff/{zone_id}/round")
def round_page(request: Request, session: DbSession, caller: Reader, zone_id: Id,
               audit: AuditDep, day: Annotated[OptionalDay, Query()] = None) -> Response:
    """Who of the zone was sampled on a day and who was missed, to follow up."""
    zone = service.get_zone(session, zone_id=zone_id)
    ensure_round_in_scope(session, caller, zone)
    found = lookup.testing_round(session, zone_id=zone.id, day=day or today())
    audit("read", "zone_round", zone.id, people=[*found.sampled, *found.missed])
    return render(request, "zoning/round.html", {
        "round": found, "names": resident_names(session, [*found.sampled, *found.missed]),
        "section": "zones"})
