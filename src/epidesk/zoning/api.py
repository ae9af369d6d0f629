"""JSON routes of zoning: zones for staff, manual changes, the daily job, rounds, the
footprint; the public zones and the address lookup (no identities)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from epidesk.kit.access import PLACES_READ
from epidesk.kit.inputs import DIGITS, Ge, Le, OptionalDay, OptionalId
from epidesk.kit.web import PROBLEM_RESPONSES, PUBLIC_PROBLEM_RESPONSES, AuditDep, DbSession, Id
from epidesk.zoning import service
from epidesk.zoning.deps import (
    Reader,
    Staff,
    ZoningOfficer,
    change_zone,
    chosen_preset,
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
from epidesk.zoning.rules import language, text
from epidesk.zoning.rules import written_reason as _written
from epidesk.zoning.schemas import AreaChangeIn, StepDownIn

router = APIRouter(responses=PROBLEM_RESPONSES, tags=["zoning"])
public = APIRouter(responses=PUBLIC_PROBLEM_RESPONSES, tags=["public"])
PresetName = Annotated[str | None, Query(max_length=64, description="A preset (default: the "
                                                                    "active one)")]


@router.get("/zones", summary="Zones in force")
def list_zones(session: DbSession, caller: Staff, preset: PresetName = None,
               day: Annotated[OptionalDay, Query(
                   description="Replay the zones as they stood at the end of a past day")
               ] = None) -> list[dict[str, Any]]:
    """The zones in force in the caller's area (today, or replayed for a past day)."""
    chosen = chosen_preset(preset)
    if day is not None:
        return [{**lookup.zone_summary(f.zone), "level": f.level, "area": f.area_key,
                 "residents": f.residents, "households": f.households, "status": "active",
                 "on_day": day.isoformat()}
                for f in footprint.zones_on(session, day=day, preset=chosen)
                if district_visible(caller, PLACES_READ, f.zone, zone_area(session, f.zone))]
    return [lookup.zone_summary(z) for z in service.active_zones(session, preset=chosen)
            if district_visible(caller, PLACES_READ, z, zone_area(session, z))]


@router.get("/zones/footprint", summary="Restriction footprint")
def get_footprint(session: DbSession, _: Staff, day: Annotated[OptionalDay, Query()] = None,
                  preset: PresetName = None) -> dict[str, Any]:
    """Residents under each level on a day, households told to stay home, resident-days."""
    cost = footprint.footprint(session, day=day or today(), preset=chosen_preset(preset))
    return {"day": cost.day.isoformat(), "residents": cost.residents, "zones": cost.zones,
            "households_stay_home": cost.households_stay_home,
            "resident_days": cost.resident_days}


@router.get("/zones/households", summary="Restricted households by building")
def restricted_households(session: DbSession, _: ZoningOfficer,
                          building_id: Annotated[OptionalId, Query()] = None
                          ) -> dict[str, list[int]]:
    """Addresses of the households under a stay-home zone, by building (for supplies)."""
    found = lookup.restricted_households(session, building_id=building_id)
    return {str(b): a for b, a in found.items()}


@router.post("/zones/step-down", summary="Run the daily job")
def run_step_down(session: DbSession, caller: ZoningOfficer, body: StepDownIn
                  ) -> dict[str, int]:
    """Draw the new cases' zones and step zones down for a day; idempotent."""
    day = body.day or today()
    return service.daily(session, actor=caller.username, day=day).counts()


@router.get("/zones/{zone_id}", summary="A zone and its history")
def get_zone(session: DbSession, caller: Staff, zone_id: Id) -> dict[str, Any]:
    """A zone in the caller's area: its history with reasons, and its cases for readers
    of medical details."""
    return zone_detail(session, caller, zone_for(session, caller, zone_id))


@router.post("/zones/{zone_id}/area", summary="Widen or narrow a zone")
def change_area(session: DbSession, caller: ZoningOfficer, zone_id: Id, body: AreaChangeIn,
                audit: AuditDep) -> dict[str, Any]:
    """Move a zone to a wider or narrower area with a written reason; beyond the preset's
    units only with an administrator's override."""
    zone = change_zone(session, caller, zone_id, to=body.to, reason=body.reason,
                       override_reason=body.override_reason, category=body.category)
    audit("update", "zone", zone.id, reason=_written(body.reason, body.override_reason))
    return zone_detail(session, caller, zone)


@router.get("/zones/{zone_id}/round", summary="A zone's testing round")
def get_round(session: DbSession, caller: Reader, zone_id: Id, audit: AuditDep,
              day: Annotated[OptionalDay, Query()] = None) -> dict[str, Any]:
    """Who of the zone was sampled on a day and who was missed: for community workers to
    follow up, never for penalties."""
    zone = service.get_zone(session, zone_id=zone_id)
    ensure_round_in_scope(session, caller, zone)
    found = lookup.testing_round(session, zone_id=zone.id, day=day or today())
    audit("read", "zone_round", zone.id, people=[*found.sampled, *found.missed])
    names = resident_names(session, [*found.sampled, *found.missed])
    return {"zone_id": zone.id, "day": found.day.isoformat(), "negative": found.negative,
            "share_needed": found.share_needed, "positive": found.positive,
            "sampled": [{"resident_id": r, "name": names.get(r)} for r in found.sampled],
            "missed": [{"resident_id": r, "name": names.get(r)} for r in found.missed]}


@public.get("/public/zones", summary="Risk zones (public)")
def public_zones(session: DbSession, lang: Annotated[str | None, Query(
        pattern="^(en|zh)$")] = None) -> list[dict[str, Any]]:
    """Zones in force without identities; a floor or flat shows as a zone in its building."""
    chosen = language(lang)
    return [{"level": z.level, "level_name": text(f"level.{z.level}", chosen), "area": z.area,
             "place": z.place, "district_id": z.district_id,
             "planned_end": z.planned_end.isoformat() if z.planned_end else None,
             "cases": z.cases, "why": z.why, "override": z.override,
             "measures": text(f"measures.{z.level}", chosen)}
            for z in lookup.public_zones(session, lang=chosen)]


@public.get("/public/zones/lookup", summary="The zone of an address (public)")
def lookup_address(session: DbSession,
                   community: Annotated[str, Query(min_length=1, max_length=100)],
                   building: Annotated[int, Ge(1), Le(10_000), DIGITS, Query()],
                   unit: Annotated[int, Ge(1), Le(100), DIGITS, Query()],
                   flat: Annotated[str, Query(min_length=3, max_length=6)],
                   lang: Annotated[str | None, Query(pattern="^(en|zh)$")] = None
                   ) -> dict[str, Any]:
    """Whether an address lies in a risk zone, the measures in plain words, the planned end
    and why (no case identities; floors and flats as a zone in the building)."""
    return lookup.address_answer(session, community=community, building=building, unit=unit,
                          flat=flat, lang=language(lang))


router.include_router(public)
