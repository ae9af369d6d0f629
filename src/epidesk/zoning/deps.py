"""FastAPI dependencies of the zoning domain, shared by its api and pages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError, PermissionDeniedError
from epidesk.kit import clock
from epidesk.kit.access import (
    MEDICAL_READ,
    PEOPLE_READ,
    PLACES_READ,
    ZONING_OVERRIDE,
    ZONING_WRITE,
    AreaPath,
    Caller,
)
from epidesk.kit.i18n import _l
from epidesk.kit.merges import MergePart
from epidesk.kit.panels import Audit, Panel
from epidesk.kit.publication import Column, PublicTable
from epidesk.kit.tiles import Tile
from epidesk.kit.web import ensure_in_scope, require, shows
from epidesk.people import repository as people
from epidesk.policy.schemas import Preset
from epidesk.policy.service import active_preset, get_preset
from epidesk.zoning import service
from epidesk.zoning.footprint import service as footprint
from epidesk.zoning.lookup import service as lookup
from epidesk.zoning.models import Zone
from epidesk.zoning.rules import text

Staff = Annotated[Caller, Depends(require(PLACES_READ))]
ZoningOfficer = Annotated[Caller, Depends(require(ZONING_WRITE))]
Reader = Annotated[Caller, Depends(require(PEOPLE_READ))]


def chosen_preset(name: str | None) -> Preset:
    """The named preset (UnknownPresetError, 404, when there is none) or the active one."""
    return get_preset(name) if name else active_preset()


def zone_area(session: Session, zone: Zone) -> AreaPath | None:
    """Where a zone lies, for scope checks (a district-wide rest has no community)."""
    if zone.community_id is None or zone.subdistrict_id is None:
        return None
    return AreaPath(district_id=zone.district_id, subdistrict_id=zone.subdistrict_id,
                    community_id=zone.community_id)


def district_visible(caller: Caller, permission: str, zone: Zone, area: AreaPath | None
                     ) -> bool:
    """Whether a zone lies in the caller's area (district grants see a district's rest)."""
    scope = caller.area_for(permission)
    if scope.everywhere:
        return True
    if area is None:
        return zone.district_id in scope.district_ids
    return scope.allows(area)


def zone_for(session: Session, caller: Caller, zone_id: int, permission: str = PLACES_READ
             ) -> Zone:
    """A zone inside the caller's area for a permission, else not found."""
    zone = service.get_zone(session, zone_id=zone_id)
    if not district_visible(caller, permission, zone, zone_area(session, zone)):
        raise NotFoundError(f"no zone {zone_id}")
    return zone


def change_zone(session: Session, caller: Caller, zone_id: int, *, to: str, reason: str,
                override_reason: str = "", category: str | None = None) -> Zone:
    """A zoning officer's widening or narrowing in their area; an override of the preset
    needs the override permission."""
    zone = zone_for(session, caller, zone_id, ZONING_WRITE)
    override = bool(override_reason.strip() or category)
    if override and not caller.can(ZONING_OVERRIDE):
        raise PermissionDeniedError("only an administrator may override the preset's unit")
    return service.change_area(session, zone_id=zone.id, to_key=to.strip(), reason=reason,
                               actor=caller.username, override=override,
                               override_reason=override_reason, category=category)


def zone_detail(session: Session, caller: Caller, zone: Zone) -> dict[str, Any]:
    """A zone for staff: its history with reasons, and its cases where the caller may see
    medical details in the zone's area (else only how many)."""
    area = zone_area(session, zone)
    cases_visible = shows(caller, MEDICAL_READ, area) if area else caller.area_for(
        MEDICAL_READ).everywhere
    out = lookup.zone_summary(zone)
    out["cases"] = len(zone.triggers)
    out["triggers"] = ([{"case_id": t.case_id, "link": t.link,
                         "sampling_date": t.sampling_date.isoformat()} for t in zone.triggers]
                       if cases_visible else [])
    out["history"] = [{"on_day": c.on_day.isoformat(), "kind": c.kind,
                       "from_level": c.from_level, "to_level": c.to_level,
                       "area": c.area_key, "residents": c.residents, "rule": c.rule,
                       "actor": c.actor, "reason": c.reason, "override": c.override,
                       "reason_category": c.reason_category}
                      for c in service.zone_history(session, zone_id=zone.id)]
    return out


def person_panel(session: Session, *, caller: Caller, resident_id: int, area: AreaPath,
                 audit: Audit) -> Panel | None:
    """The person's record: the zones in force over the resident's home."""
    if not caller.may(PEOPLE_READ, area):
        return None
    home = people.address_of_residents(session, [resident_id]).get(resident_id)
    if home is None:
        return None
    found = lookup.zones_at(session, address_id=home)
    if not found.zones:
        return None
    audit("read", "resident_zones", resident_id, person_id=resident_id)
    zones = [{"id": z.id, "level": z.level, "area": z.area_key, "label": z.label,
              "planned_end": z.planned_end.isoformat() if z.planned_end else None,
              "measures": text(f"measures.{z.level}", "en")} for z in found.zones]
    return Panel(key="zoning", title="Risk zones", template="zoning/_person_panel.html",
                 data={"zones": zones}, view=zones,
                 summary=f"lives in a {zones[0]['level']}-risk zone")


def overview_tiles(session: Session, *, caller: Caller, today: dt.date) -> list[Tile]:
    """The command centre: residents under each level today and resident-days so far, for
    the whole city (the same figures as the public page), to epidemiologists and zoning
    officers."""
    if not (caller.can(MEDICAL_READ) or caller.can(ZONING_WRITE)):
        return []
    cost = footprint.footprint(session, day=today)
    return [Tile(key="zoning.footprint", title="Risk zones", template="zoning/_tile.html",
                 link="/zones/staff", data={
                     "day": today.isoformat(), "residents": cost.residents,
                     "zones": cost.zones, "households_stay_home": cost.households_stay_home,
                     "resident_days": cost.resident_days})]


def today() -> dt.date:
    """The city's today."""
    return clock.city_today()


def ensure_round_in_scope(session: Session, caller: Caller, zone: Zone) -> None:
    """A testing round names residents: only inside the reader's area."""
    area = zone_area(session, zone)
    ensure_in_scope(caller, PEOPLE_READ, area, "zone", zone.id)


def resident_names(session: Session, ids: list[int]) -> dict[int, str]:
    """Names of residents to follow up (a round's list)."""
    return {i: r.name for i, r in people.residents_by_id(session, ids).items()}


# Two records of one person merged: the merged one's sampled days in testing rounds become
# the survivor's.
person_merge = MergePart(covers=("zone_sample.resident_id",), apply=service.merge_person_rows)



def public_tables(session: Session, *, day: dt.date) -> list[PublicTable]:
    """Zones in force at the end of the day by level, with the residents and households
    inside them, for the whole city (the map at /zones shows each zone)."""
    preset = active_preset()
    counts = {str(level): [0, 0, 0] for level in preset.zoning.levels}
    for zone in footprint.zones_on(session, day=day, preset=preset):
        line = counts.setdefault(zone.level, [0, 0, 0])
        line[0] += 1
        line[1] += zone.residents
        line[2] += zone.households
    rows = [(day, level, *line) for level, line in counts.items()]
    return [PublicTable(
        name="zones_city_daily", title=_l("Risk zones in force"), description=_l(
            "Risk zones in force at the end of the day by level, and the residents and "
            "households inside them, in the whole city."),
        columns=(
            Column("day", "day", _l("Day"), _l("The city's calendar day (ISO 8601).")),
            Column("level", "key", _l("Level"), _l("The zone's risk level: high, medium or "
                                                   "low, as the active protocol names them.")),
            Column("zones", "count", _l("Zones"), _l("Zones of this level in force.")),
            Column("residents", "count", _l("Residents"),
                   _l("Residents living inside zones of this level.")),
            Column("households", "count", _l("Households"),
                   _l("Households living inside zones of this level.")),
        ), rows=rows)]
