"""FastAPI dependencies of transfers, shared by the api and the pages: who may act, and
manifests and alerts as the reader may see them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from epidesk.errors import PermissionDeniedError, ValidationFailedError
from epidesk.kit import clock
from epidesk.kit.access import (
    PEOPLE_READ,
    PEOPLE_WRITE,
    QUARANTINE_WRITE,
    TRANSPORT_WRITE,
    Caller,
    outside,
)
from epidesk.kit.i18n import _
from epidesk.kit.web import CallerDep, require
from epidesk.people import repository as people
from epidesk.quarantine import repository as facilities
from epidesk.quarantine.models import TransferLine, TransferManifest
from epidesk.quarantine.orders import repository as orders
from epidesk.quarantine.transfers import rules, service
from epidesk.quarantine.transfers.schemas import (
    AlertOut,
    ChangeOut,
    LineOut,
    ManifestDetail,
    ManifestOut,
)


def _transport(caller: CallerDep) -> Caller:
    held = [p for p in (TRANSPORT_WRITE, QUARANTINE_WRITE) if caller.can(p)]
    if not held:
        raise PermissionDeniedError(_("this needs the permission %(permission)r",
                                      permission=TRANSPORT_WRITE))
    if not any(caller.area_for(p).everywhere for p in held):
        raise PermissionDeniedError(
            _("transfers cross districts and cities: this needs a city-wide grant"))
    return caller


# Manifests, check-out, check-in and resolutions: transport coordinators and facility staff.
Transport = Annotated[Caller, Depends(_transport)]
# A manifest's people and the alerts: named only inside the reader's area.
Reader = Annotated[Caller, Depends(require(PEOPLE_READ))]


def _home_desk(caller: CallerDep) -> Caller:
    if not any(caller.can(p) for p in (PEOPLE_WRITE, TRANSPORT_WRITE, QUARANTINE_WRITE)):
        raise PermissionDeniedError(_("this needs the permission %(permission)r",
                                      permission=PEOPLE_WRITE))
    return caller


# Arrivals home: the community worker of the person's home (people.write there), or a
# transport coordinator or facility manager holding their grant city-wide.
HomeDesk = Annotated[Caller, Depends(_home_desk)]


def ensure_home_desk(session: Session, caller: Caller, manifest_id: int,
                     resident_id: int) -> None:
    """Refuse a home arrival of someone the caller may not check in exactly as one not on
    the manifest (422 naming resident_id)."""
    if any(caller.can(p) and caller.area_for(p).everywhere
           for p in (TRANSPORT_WRITE, QUARANTINE_WRITE)):
        return
    path = people.resident_area(session, resident_id)
    if path is None or not caller.may(PEOPLE_WRITE, path):
        raise ValidationFailedError(
            f"resident {resident_id} is not on manifest {manifest_id}: check the name and "
            "the vehicle, or add them to a manifest first", field="resident_id")


def named(session: Session, caller: Caller | None, resident_ids: Sequence[int]) -> dict[int, str]:
    """The names of the residents the caller may see (everyone for the command line)."""
    ids = sorted(set(resident_ids))
    if caller is not None and not caller.area_for(PEOPLE_READ).everywhere:
        area = caller.area_for(PEOPLE_READ)
        ids = [r for r in ids if (path := people.resident_area(session, r)) is not None
               and area.allows(path)]
    return {r.id: r.name for r in people.residents_by_id(session, ids).values()}


def manifest_out(session: Session, m: TransferManifest, now: datetime) -> ManifestOut:
    """A manifest's figures."""
    found = facilities.facility(session, m.facility_id) if m.facility_id else None
    states = [service.state_of(line, now) for line in m.lines]
    return ManifestOut(
        id=m.id, purpose=m.purpose, vehicle=m.vehicle, seats=m.seats, route=m.route,
        facility=f"{found.code} {found.name}" if found else m.destination or str(m.facility_id),
        departs_at=m.departs_at, expected_at=m.expected_at, driver_name=m.driver_name,
        driver_phone=m.driver_phone, departed_at=m.departed_at, note=m.note or "",
        needs_driver=rules.lacks_driver(
            purpose=m.purpose, driver_name=m.driver_name, driver_phone=m.driver_phone,
            departed=m.departed_at is not None, departs_at=clock.aware(m.departs_at),
            now=now, hours=service.driver_hours()) and any(
            line.checked_in_at is None and line.resolved_at is None for line in m.lines),
        people=len(m.lines),
        checked_out=sum(1 for line in m.lines if line.checked_out_at is not None),
        checked_in=sum(1 for s in states if s == rules.ARRIVED),
        missing=sum(1 for s in states if s == rules.MISSING))


def line_out(line: TransferLine, names: dict[int, str], now: datetime,
             rooms: dict[int, str]) -> LineOut:
    """A line, its person named only when the reader may see them."""
    shown = line.resident_id in names
    return LineOut(id=line.id, line_no=line.line_no,
                   resident_id=line.resident_id if shown else None,
                   name=names[line.resident_id] if shown else outside("person"),
                   state=service.state_of(line, now),
                   room=rooms.get(line.room_id) if line.room_id else None,
                   checked_out_at=line.checked_out_at, checked_in_at=line.checked_in_at,
                   resolution=line.resolution)


def manifest_detail(session: Session, m: TransferManifest, caller: Caller | None,
                    now: datetime, lines: Sequence[TransferLine] | None = None
                    ) -> tuple[ManifestDetail, list[int]]:
    """A manifest with (some of) its lines, and the residents it names."""
    chosen = list(m.lines if lines is None else lines)
    names = named(session, caller, [line.resident_id for line in chosen])
    rooms: dict[int, str] = {}
    for room_id in {line.room_id for line in chosen if line.room_id}:
        found = orders.room_with_facility(session, room_id)
        if found is not None:
            rooms[room_id] = f"{found[1].code} {found[0].number}"
    changes = [ChangeOut(field=c.field, old_value=c.old_value, new_value=c.new_value,
                         at=c.at, actor=c.actor)
               for c in service.dispatch_changes(session, manifest_id=m.id)]
    return (ManifestDetail(**manifest_out(session, m, now).model_dump(),
                           lines=[line_out(line, names, now, rooms) for line in chosen],
                           changes=changes), sorted(names))


def alerts_out(session: Session, caller: Caller | None, now: datetime
               ) -> tuple[list[AlertOut], list[int]]:
    """The open alerts, and the residents they name."""
    found = service.alerts(session, now=now)
    names = named(session, caller, [line.resident_id for line in found])
    return ([AlertOut(line_id=line.id, manifest_id=line.manifest_id, line_no=line.line_no,
                      vehicle=line.manifest.vehicle, expected_at=line.manifest.expected_at,
                      resident_id=line.resident_id if line.resident_id in names else None,
                      name=names.get(line.resident_id, outside("person")))
             for line in found], sorted(names))


def transfer_panel(session: Session, *, resident_id: int) -> dict[str, object] | None:
    """The resident's room now and latest transfer, for the person's record (None when
    neither exists)."""
    room = orders.current_rooms(session, [resident_id]).get(resident_id)
    lines = service.resident_transfers(session, resident_id=resident_id)
    if room is None and not lines:
        return None
    now = clock.now()
    return {
        "room": None if room is None else {"facility": room[2].code, "name": room[2].name,
                                          "room": room[1].number},
        "transfers": [{"manifest_id": line.manifest_id, "vehicle": line.manifest.vehicle,
                       "purpose": line.manifest.purpose,
                       "departs_at": line.manifest.departs_at.isoformat(),
                       "line_no": line.line_no, "state": service.state_of(line, now),
                       "expected_at": line.manifest.expected_at.isoformat(),
                       "checked_in_at": line.checked_in_at.isoformat()
                       if line.checked_in_at else None,
                       "resolution": line.resolution} for line in lines],
    }
