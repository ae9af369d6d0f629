"""FastAPI dependencies of placement runs, shared by the api and the pages."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from epidesk.errors import PermissionDeniedError
from epidesk.kit.access import PEOPLE_READ, QUARANTINE_WRITE, Caller, outside
from epidesk.kit.i18n import _, label
from epidesk.kit.web import require
from epidesk.people import repository as people
from epidesk.quarantine import repository as quarantine
from epidesk.quarantine.models import PlacementRun
from epidesk.quarantine.orders import repository as orders
from epidesk.quarantine.placement import service
from epidesk.quarantine.placement.schemas import ForecastOut, LineOut, RunDetail, RunOut


def _city_wide(caller: Caller = Depends(require(QUARANTINE_WRITE))) -> Caller:
    if not caller.area_for(QUARANTINE_WRITE).everywhere:
        raise PermissionDeniedError(
            _("placement runs cover the whole city: this needs a city-wide grant"))
    return caller


# Placement reads and writes rooms for the whole city at once.
Planner = Annotated[Caller, Depends(_city_wide)]
# A run's people are shown to readers of people, named only inside their area.
Reader = Annotated[Caller, Depends(require(PEOPLE_READ))]


def run_out(run: PlacementRun) -> RunOut:
    """A run's figures."""
    return RunOut.model_validate({**{c: getattr(run, c) for c in RunOut.model_fields
                                     if c != "check"}, "check": json.loads(run.check)})


def shown_people(session: Session, caller: Caller | None, run: PlacementRun) -> set[int]:
    """The residents of a run the caller may see named (everyone for the command line)."""
    ids = {line.resident_id for line in run.lines}
    if caller is None:
        return ids
    area = caller.area_for(PEOPLE_READ)
    if area.everywhere:
        return ids
    return {r for r in ids if (path := people.resident_area(session, r)) is not None
            and area.allows(path)}


def run_detail(session: Session, run: PlacementRun, caller: Caller | None = None
               ) -> tuple[RunDetail, list[int]]:
    """A run with its lines (names, facilities and rooms; a person outside the caller's
    area unnamed) and the residents it names."""
    named = shown_people(session, caller, run)
    residents = people.residents_by_id(session, sorted(named))
    rooms = {}
    for room_id in {line.room_id for line in run.lines if line.room_id is not None}:
        found = orders.room_with_facility(session, room_id)
        if found is not None:
            rooms[room_id] = (found[1].code, found[0].number)
    lines = []
    for line in run.lines:
        person = residents.get(line.resident_id)
        place = rooms.get(line.room_id) if line.room_id is not None else None
        if line.resident_id not in named:
            lines.append(LineOut(
                resident_id=None, name=outside("person"), household_id=None, order_id=None,
                role=line.role, facility=place[0] if place else None,
                room=place[1] if place else None, travel_minutes=line.travel_minutes,
                reason=label(line.reason, "placement_reason") if line.reason else None))
            continue
        lines.append(LineOut(
            resident_id=line.resident_id, name=person.name if person else "",
            household_id=line.household_id, order_id=line.order_id, role=line.role,
            facility=place[0] if place else None, room=place[1] if place else None,
            travel_minutes=line.travel_minutes,
            reason=label(line.reason, "placement_reason") if line.reason else None))
    return RunDetail(**run_out(run).model_dump(), lines=lines), sorted(named)


def forecast_out(session: Session, days: int) -> list[ForecastOut]:
    """The shortfall forecast with the cities' names."""
    names = quarantine.city_names(session)
    return [ForecastOut(city_id=r.city_id, city=names.get(r.city_id, str(r.city_id)),
                        day=r.day, needed=r.needed, available=r.available,
                        shortfall=r.shortfall)
            for r in service.shortfall_forecast(session, days=days)]
