"""What the zones cost residents on any day, replayed from the zones' history."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from epidesk.policy.schemas import Preset
from epidesk.policy.service import active_preset
from epidesk.zoning import repository
from epidesk.zoning.models import Zone
from epidesk.zoning.rules import LIFTED, Footprint

RESTRICTED = ("high", "medium")


@dataclass(frozen=True)
class ZoneOnDay:
    """A zone as it stood at the end of a past day."""

    zone: Zone
    level: str
    area_key: str
    residents: int
    households: int


def zones_on(session: Session, *, day: dt.date, preset: Preset | None = None
             ) -> list[ZoneOnDay]:
    """Every zone in force at the end of a day, as its history says it stood then."""
    chosen = preset or active_preset()
    return [ZoneOnDay(zone=z, level=c.to_level, area_key=c.area_key, residents=c.residents,
                      households=c.households)
            for z, c in repository.states_on(session, preset=chosen.name, day=day)
            if c.to_level != LIFTED]


def footprint(session: Session, *, day: dt.date, preset: Preset | None = None) -> Footprint:
    """Residents under each level on a day, households told to stay home, and the
    restricted resident-days from the first zone up to that day."""
    chosen = preset or active_preset()
    residents: dict[str, int] = {str(level): 0 for level in chosen.zoning.levels}
    zones: dict[str, int] = {str(level): 0 for level in chosen.zoning.levels}
    stay_home = 0
    for found in zones_on(session, day=day, preset=chosen):
        residents[found.level] = residents.get(found.level, 0) + found.residents
        zones[found.level] = zones.get(found.level, 0) + 1
        if found.level == "high":
            stay_home += found.households
    return Footprint(day=day, residents=residents, households_stay_home=stay_home,
                     resident_days=resident_days(session, day=day, preset=chosen), zones=zones)


def resident_days(session: Session, *, day: dt.date, preset: Preset) -> int:
    """Restricted (high or medium) resident-days of every zone up to and including a day."""
    changes = repository.changes_up_to(session, preset=preset.name, day=day)
    current: dict[int, tuple[dt.date, str, int]] = {}
    total = 0
    for zone_id, on, level, people_in, _ in changes:
        before = current.get(zone_id)
        if before is not None and before[1] in RESTRICTED:
            total += (on - before[0]).days * before[2]
        current[zone_id] = (on, level, people_in)
    for since, level, people_in in current.values():
        if level in RESTRICTED:
            total += ((day - since).days + 1) * people_in
    return total


def series(session: Session, *, first: dt.date, last: dt.date, preset: Preset | None = None
           ) -> list[dict[str, object]]:
    """Restricted residents by level for each day of a span (the footprint's chart)."""
    chosen = preset or active_preset()
    out: list[dict[str, object]] = []
    day = first
    while day <= last:
        counts: dict[str, int] = {str(level): 0 for level in chosen.zoning.levels}
        for found in zones_on(session, day=day, preset=chosen):
            counts[found.level] = counts.get(found.level, 0) + found.residents
        out.append({"day": day.isoformat(), **counts})
        day += dt.timedelta(days=1)
    return out
