"""Facility lists and inspections for quarantine tests."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from epidesk.quarantine import service
from epidesk.quarantine.facilities import service as lists
from epidesk.quarantine.facilities.rules import COLUMNS
from epidesk.quarantine.rules import CHECKLIST
from epidesk.quarantine.schemas import InspectionIn, ItemIn
from tests.factories import TinyCity

NOW = datetime.fromisoformat("2026-11-22T04:00:00+00:00")
TODAY = date(2026, 11, 22)


def facility_line(code: str, city: str, district: str, room: str, *, kind: str = "hotel",
                  use: str = "quarantine", room_type: str = "single", beds: int = 1,
                  status: str = "open", staff: int = 2, accessible: str = "no",
                  opened_on: str = "2026-11-01", **changes: str) -> dict[str, str]:
    """One line of a facility list (a room), as column -> value."""
    values = {
        "facility_code": code, "facility_name": f"Site {code}", "city_code": city,
        "district_code": district, "address": "1 River Road", "lat": "35.41",
        "lon": "116.59", "kind": kind, "use": use, "status": status,
        "medical_staff": str(staff), "separate_areas": "yes", "manager_name": "Li Ming",
        "manager_phone": "13800000000", "opened_on": opened_on, "closed_on": "",
        "room_number": room, "room_type": room_type, "beds": str(beds),
        "own_bathroom": "yes", "accessible": accessible, "infant_suitable": "no",
        "carer_suitable": "no", "in_service": "yes",
    }
    values.update(changes)
    return values


def csv_of(lines: list[dict[str, str]]) -> bytes:
    """A facility list file of the given lines."""
    out = [",".join(COLUMNS)]
    out += [",".join(line[c] for c in COLUMNS) for line in lines]
    return ("\n".join(out) + "\n").encode()


def standard_list(t: TinyCity) -> bytes:
    """Two hotels in the home city's districts (3 and 2 rooms), one makeshift hospital
    in the first district, one hotel in the neighbouring city."""
    c, d1, d2, n = t.city.code, t.districts[0].code, t.districts[1].code, t.neighbour.code
    return csv_of([
        facility_line("H1", c, d1, "101"), facility_line("H1", c, d1, "102"),
        facility_line("H1", c, d1, "103", room_type="family", beds=3),
        facility_line("H2", c, d2, "1", accessible="yes", room_type="accessible"),
        facility_line("H2", c, d2, "2"),
        facility_line("M1", c, d1, "A1", kind="makeshift_hospital", use="isolation",
                      room_type="ward", beds=4, staff=10),
        facility_line("N1", n, "", "201"),
    ])


def load_facilities(db: Session, t: TinyCity) -> dict[str, int]:
    """Import the standard list; the facilities' ids by code."""
    done = lists.import_list(db, content=standard_list(t), filename="sites.csv",
                             received_by="test", now=NOW)
    assert done.accepted, done.report
    return {f.code: f.id for f in service.list_facilities(db, day=TODAY)}


def inspect(db: Session, facility_id: int, *, on: date = TODAY,
            failed: tuple[str, ...] = ()) -> None:
    """Record an inspection of every checklist item; the items in `failed` fail."""
    service.record_inspection(db, facility_id=facility_id, actor="test", inspection=InspectionIn(
        inspected_on=on, inspector="Inspector Wu",
        items=[ItemIn(item=k, passed=k not in failed) for k in CHECKLIST]))  # type: ignore[arg-type]
