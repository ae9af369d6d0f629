"""Writing a checked facility list: its facilities and rooms."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from epidesk.quarantine.facilities.rules import FacilityRow
from epidesk.quarantine.models import Facility, Room
from epidesk.quarantine.repository import facilities_by_code


def save_facilities(session: Session, parsed: Sequence[FacilityRow], *, list_id: int,
                    cities: dict[str, int], districts: dict[str, tuple[int, int]],
                    now: datetime) -> tuple[int, int]:
    """Write a checked list's facilities and rooms: new codes are added, known ones
    updated; a known room the list leaves out is taken out of service (never deleted: it
    keeps who stayed in it). Returns (facilities and rooms added, changed)."""
    known = facilities_by_code(session, [f.code for f in parsed])
    added = changed = 0
    new_rooms: list[dict[str, object]] = []
    for row in parsed:
        values = {
            "name": row.name, "city_id": cities[row.city_code],
            "district_id": districts[row.district_code][0] if row.district_code else None,
            "address": row.address, "lat": row.lat, "lon": row.lon, "kind": row.kind,
            "use": row.use, "status": row.status, "medical_staff": row.medical_staff,
            "separate_areas": row.separate_areas, "manager_name": row.manager_name,
            "manager_phone": row.manager_phone, "opened_on": row.opened_on,
            "closed_on": row.closed_on, "list_id": list_id, "updated_at": now,
        }
        found = known.get(row.code)
        if found is None:
            found = Facility(code=row.code, **values)
            session.add(found)
            session.flush()
            added += 1
            rooms: dict[str, Room] = {}
        else:
            for key, value in values.items():
                setattr(found, key, value)
            changed += 1
            rooms = {r.number: r for r in found.rooms}
        listed = set()
        for room in row.rooms:
            listed.add(room.number)
            fields = {"room_type": room.room_type, "beds": room.beds,
                      "own_bathroom": room.own_bathroom, "accessible": room.accessible,
                      "infant_suitable": room.infant_suitable,
                      "carer_suitable": room.carer_suitable, "in_service": room.in_service}
            existing = rooms.get(room.number)
            if existing is None:
                new_rooms.append({"facility_id": found.id, "number": room.number, **fields})
                added += 1
            else:
                for key, value in fields.items():
                    setattr(existing, key, value)
                changed += 1
        for number, existing in rooms.items():
            if number not in listed and existing.in_service:
                existing.in_service = False
                changed += 1
        session.flush()
    if new_rooms:
        # Rooms by the tens of thousands: one executemany, not one object each.
        session.execute(insert(Room), new_rooms)
    return added, changed
