"""The zone of an address, zones as the public sees them, a zone's testing round and the
restricted households of each building (for supplies)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError, ValidationFailedError
from epidesk.kit import i18n
from epidesk.people import repository as people
from epidesk.policy.schemas import Preset
from epidesk.policy.service import active_preset
from epidesk.zoning import repository
from epidesk.zoning.models import Zone
from epidesk.zoning.rules import (
    OVERRIDE_CATEGORIES,
    RANK,
    TREE_KINDS,
    parse_key,
    public_area,
    round_negative,
    text,
)
from epidesk.zoning.tree.service import load_tree


@dataclass(frozen=True)
class PublicZone:
    """A zone without identities: floors and households shown as "a zone in this building"."""

    id: int
    level: str
    area: str  # the public kind: compound, building, unit, venue, district
    place: str  # where, in words (never a flat or a floor)
    district_id: int
    planned_end: dt.date | None
    cases: int
    why: str
    override: str | None
    shape: list[list[float]] | None
    point: tuple[float, float] | None


def _why(zone: Zone, lang: str, override: str | None) -> str:
    if override in OVERRIDE_CATEGORIES:
        return text("why.manual", lang, category=text(f"category.{override}", lang))
    links = [t.link for t in zone.triggers]
    if not links:
        return text("why.residence", lang, n=0, rule=zone.rule)
    key = "why.residence" if "residence" in links else "why.place"
    return text(key, lang, n=len(links), rule=zone.rule)


def public_zones(session: Session, *, lang: str = "en", preset: Preset | None = None
                 ) -> list[PublicZone]:
    """Zones in force as the public sees them, by district, highest level first."""
    chosen = preset or active_preset()
    found = list(repository.zones(session, preset=chosen.name))
    categories = {c.zone_id: c.reason_category for c in
                  repository.overrides(session, preset=chosen.name)}
    buildings = repository.building_shapes(session, sorted(
        {z.building_id for z in found if z.building_id is not None}))
    communities = repository.community_shapes(session, sorted(
        {z.community_id for z in found if z.community_id is not None}))
    venues = _venue_points(session, found)
    venue_names = people.venue_labels(session, [parse_key(z.area_key)[1] for z in found
                                                if z.area_kind == "venue"])
    out = []
    for z in found:
        area = public_area(z.area_kind)
        shape: list[list[float]] | None = None
        point = None
        place = z.label
        if z.area_kind in ("household", "floor", "unit", "building") and z.building_id:
            b = buildings[z.building_id]
            com = communities.get(z.community_id or 0)
            shape = json.loads(b.polygon)
            where = "" if com is None else (com.name if lang == "en" else com.name_local)
            place = text("place.building", lang, community=where, n=b.number).strip()
            if area == "building" and z.area_kind != "building":
                place = f"{place}: {text('in_building', lang)}"
            elif z.area_kind == "unit":
                place = f"{place} {text('place.unit', lang)}"
        elif z.area_kind == "compound" and z.community_id in communities:
            com = communities[z.community_id]
            shape = json.loads(com.polygon)
            place = com.name if lang == "en" else com.name_local
        elif z.area_kind == "venue":
            point = venues.get(parse_key(z.area_key)[1])
            place = venue_names.get(parse_key(z.area_key)[1], place)
        category = categories.get(z.id)
        label = (text(f"category.{category}", lang) if category in OVERRIDE_CATEGORIES
                 else None)
        out.append(PublicZone(
            id=z.id, level=z.level, area=area, place=place, district_id=z.district_id,
            planned_end=z.planned_end, cases=len(z.triggers),
            why=_why(z, lang, category), override=label, shape=shape, point=point))
    out.sort(key=lambda p: (p.district_id, -RANK[p.level], p.place))
    return out


def district_names(session: Session, ids: list[int], lang: str) -> dict[int, str]:
    """The districts' names in the language."""
    return {d.id: (d.name_local if lang == "zh" else d.name)
            for d in repository.districts(session, ids)}


def _venue_points(session: Session, zones: list[Zone]) -> dict[int, tuple[float, float]]:
    ids = [parse_key(z.area_key)[1] for z in zones if z.area_kind == "venue"]
    return people.venue_points(session, ids) if ids else {}


@dataclass
class AddressZones:
    """What a resident sees for an address: its zones, their measures and end dates."""

    address_id: int
    zones: list[Zone] = field(default_factory=list)


def find_address(session: Session, *, community: str, building: int, unit: int,
                 flat: str) -> int:
    """The address at a community, building, unit and flat number ("201": floor 2, door 1)."""
    digits = flat.strip()
    if not digits.isdigit() or len(digits) < 3:
        raise ValidationFailedError(f"flat {flat!r} is not a flat number such as 201")
    found = repository.find_address(session, community=community.strip(), building=building,
                                    unit=unit, floor=int(digits[:-2]), door=int(digits[-2:]))
    if found is None:
        raise NotFoundError(text("lookup.unknown", i18n.current()))
    return found


def zones_at(session: Session, *, address_id: int, preset: Preset | None = None
             ) -> AddressZones:
    """The zones in force over an address (its flat, floor, unit, building, compound, and
    the low-risk rest of its district), highest level first."""
    chosen = preset or active_preset()
    tree = load_tree(session)
    at = np.asarray([address_id], dtype=np.int64)
    if int(tree.node_of("household", at)[0]) < 0:
        raise NotFoundError(f"no address {address_id}")
    keys = [f"{kind}:{int(tree.node_of(kind, at)[0])}" for kind in TREE_KINDS]
    keys.append(f"district:{int(tree.node_of('district', at)[0])}")
    found = sorted(repository.zones_by_keys(session, preset=chosen.name, keys=keys),
                   key=lambda z: -RANK[z.level])
    return AddressZones(address_id=address_id, zones=list(found))


@dataclass(frozen=True)
class RoundList:
    """A zone's testing round on a day: who was sampled and who was missed, to follow up."""

    zone: Zone
    day: dt.date
    sampled: list[int]
    missed: list[int]
    positive: int
    share_needed: float
    negative: bool


def testing_round(session: Session, *, zone_id: int, day: dt.date,
                  preset: Preset | None = None) -> RoundList:
    """The residents of a zone sampled on a day and those missed (never for penalties)."""
    chosen = preset or active_preset()
    zone = repository.zone(session, zone_id)
    if zone is None:
        raise NotFoundError(f"no zone {zone_id}")
    kind, ref = parse_key(zone.area_key)
    addresses = repository.addresses_of(session, kind, ref)
    living = [r for r, _ in people.residents_at_addresses(session, addresses)]
    swabs = repository.sampled_residents(session, zone_id, day)
    sampled = sorted(r for r in living if r in swabs)
    positive = sum(1 for p in swabs.values() if p)
    share = chosen.zoning.drawn().round_share
    return RoundList(zone=zone, day=day, sampled=sampled,
                     missed=sorted(set(living) - set(sampled)), positive=positive,
                     share_needed=share,
                     negative=round_negative(len(sampled), positive, len(living), share))


def restricted_households(session: Session, *, preset: Preset | None = None,
                          building_id: int | None = None) -> dict[int, list[int]]:
    """The addresses of households under a stay-home (high-risk) zone, by building: what
    supplies will serve."""
    chosen = preset or active_preset()
    out: dict[int, set[int]] = {}
    for z in repository.zones(session, preset=chosen.name):
        if z.level != "high" or z.area_kind not in TREE_KINDS:
            continue
        kind, ref = parse_key(z.area_key)
        homes = {a for _, a in people.residents_at_addresses(
            session, repository.addresses_of(session, kind, ref))}
        for address in homes:
            place = repository.address_place(session, address)
            if place is None:
                continue
            if building_id is not None and place[2].id != building_id:
                continue
            out.setdefault(place[2].id, set()).add(address)
    return {b: sorted(a) for b, a in sorted(out.items())}


def zone_summary(zone: Zone) -> dict[str, Any]:
    """A zone as JSON-ready values (staff views)."""
    return {"id": zone.id, "preset": zone.preset, "area": zone.area_key,
            "area_kind": zone.area_kind, "label": zone.label, "level": zone.level,
            "status": zone.status, "rule": zone.rule, "origin": zone.origin,
            "residents": zone.residents, "households": zone.households,
            "district_id": zone.district_id, "opened_on": zone.opened_on.isoformat(),
            "planned_end": zone.planned_end.isoformat() if zone.planned_end else None,
            "lifted_on": zone.lifted_on.isoformat() if zone.lifted_on else None}


def address_answer(session: Session, *, community: str, building: int, unit: int, flat: str,
                   lang: str) -> dict[str, Any]:
    """The public answer for an address."""
    address = find_address(session, community=community, building=building, unit=unit,
                                  flat=flat)
    found = zones_at(session, address_id=address)
    zones = [{"level": z.level, "level_name": text(f"level.{z.level}", lang),
              "area": "building" if z.area_kind in ("household", "floor") else z.area_kind,
              "place": text("in_building", lang) if z.area_kind in ("household", "floor")
              else z.label,
              "measures": text(f"measures.{z.level}", lang),
              "planned_end": z.planned_end.isoformat() if z.planned_end else None,
              "why": text("why.place" if all(t.link == "place" for t in z.triggers)
                          and z.triggers else "why.residence", lang, n=len(z.triggers),
                          rule=z.rule)}
             for z in found.zones]
    return {"in_zone": bool(zones), "zones": zones,
            "message": text("no_zone", lang) if not zones else None}
