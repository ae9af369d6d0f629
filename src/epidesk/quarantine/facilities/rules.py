"""The facility-list CSV, pure: its columns, reading a file's rows and every check that
needs no database (the cities and districts named are checked against what is known).

One line per room; a facility's own columns repeat on each of its rooms' lines and must
agree. A later list naming an existing facility code updates it and its rooms.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from epidesk.kit.imports import Unreadable, csv_fault
from epidesk.kit.reports import FILE_LINE, FileFormat, Problem, Report, report_of
from epidesk.quarantine.models import FACILITY_KINDS, FACILITY_STATUSES, ROOM_TYPES
from epidesk.quarantine.rules import ISOLATION, QUARANTINE, use_allowed

FACILITY_COLUMNS = (
    "facility_code", "facility_name", "city_code", "district_code", "address", "lat", "lon",
    "kind", "use", "status", "medical_staff", "separate_areas", "manager_name",
    "manager_phone", "opened_on", "closed_on",
)
ROOM_COLUMNS = (
    "room_number", "room_type", "beds", "own_bathroom", "accessible", "infant_suitable",
    "carer_suitable", "in_service",
)
COLUMNS = FACILITY_COLUMNS + ROOM_COLUMNS
# Columns that may be left empty.
OPTIONAL = frozenset({"district_code", "closed_on", "in_service"})
DESCRIPTIONS: dict[str, str] = {
    "facility_code": "the operator's code of the facility (up to 32 characters); a later "
                     "list with the same code updates it",
    "facility_name": "its name",
    "city_code": "the code of the city it lies in (the home city or a neighbouring one)",
    "district_code": "the home city's district it lies in (empty in a neighbouring city)",
    "address": "its address",
    "lat": "latitude, decimal degrees", "lon": "longitude, decimal degrees",
    "kind": "one of " + ", ".join(FACILITY_KINDS),
    "use": "quarantine (contacts, visitors) or isolation (cases: hospitals only)",
    "status": "one of " + ", ".join(FACILITY_STATUSES),
    "medical_staff": "medical staff on site (0 when none; an isolation site needs some)",
    "separate_areas": "yes/no: separate quarantine, staff and hygiene-transit areas",
    "manager_name": "the site manager", "manager_phone": "the manager's phone",
    "opened_on": "first day it takes people (YYYY-MM-DD)",
    "closed_on": "first day it no longer does (YYYY-MM-DD, empty when open-ended)",
    "room_number": "the room's number, unique in the facility (up to 16 characters)",
    "room_type": "one of " + ", ".join(ROOM_TYPES),
    "beds": "beds in the room (1-20)",
    "own_bathroom": "yes/no", "accessible": "yes/no: step-free, for a wheelchair",
    "infant_suitable": "yes/no: suits an infant", "carer_suitable": "yes/no: suits a carer "
    "staying with a dependent person",
    "in_service": "yes/no (empty: yes); a room out of service takes nobody",
}
KINDS = {
    "unreadable_file": "the file is not a readable CSV file",
    "missing_column": "a required column is missing",
    "empty_file": "the file has no rooms",
    "missing_value": "a required value is empty",
    "bad_value": "a value is not valid",
    "unknown_place": "an unknown city or district",
    "facility_differs": "a facility's columns differ between its lines",
    "duplicate_room": "a room number repeats in a facility",
    "wrong_use": "the kind of facility does not allow the use",
}
FORMAT = FileFormat(columns=COLUMNS, kinds=KINDS)
TRUE = frozenset({"yes", "y", "true", "1"})
FALSE = frozenset({"no", "n", "false", "0"})
LIMITS = {"facility_code": 32, "facility_name": 200, "city_code": 16, "district_code": 16,
          "address": 300, "manager_name": 64, "manager_phone": 20, "room_number": 16}


@dataclass
class RoomRow:
    """One room of the list, and the line it came from."""

    line: int
    number: str
    room_type: str
    beds: int
    own_bathroom: bool
    accessible: bool
    infant_suitable: bool
    carer_suitable: bool
    in_service: bool


@dataclass
class FacilityRow:
    """One facility of the list (its columns as on its first line) and its rooms."""

    line: int
    code: str
    name: str
    city_code: str
    district_code: str | None
    address: str
    lat: float
    lon: float
    kind: str
    use: str
    status: str
    medical_staff: int
    separate_areas: bool
    manager_name: str
    manager_phone: str
    opened_on: dt.date
    closed_on: dt.date | None
    rooms: list[RoomRow] = field(default_factory=list)


@dataclass
class ParsedList:
    """A facility list read whole: its facilities, and the problems found on its lines."""

    rows: int
    facilities: dict[str, FacilityRow]
    problems: list[Problem]

    @property
    def rooms(self) -> int:
        """Rooms in the list."""
        return sum(len(f.rooms) for f in self.facilities.values())


def report(problems: list[Problem]) -> Report:
    """The report of a list's problems, by line and column."""
    return report_of(problems, file_format=FORMAT)


class _Line:
    """Reads one line's values, noting each problem with its column."""

    def __init__(self, number: int, values: Mapping[str, str], problems: list[Problem]) -> None:
        self.number = number
        self.values = values
        self.problems = problems
        self.ok = True

    def problem(self, column: str, kind: str, message: str) -> None:
        self.problems.append(Problem(self.number, column, kind, message))
        self.ok = False

    def text(self, column: str) -> str:
        value = (self.values.get(column) or "").strip()
        if not value and column not in OPTIONAL:
            self.problem(column, "missing_value", f"{column} is empty")
        elif len(value) > LIMITS.get(column, 10_000):
            self.problem(column, "bad_value",
                         f"{column} is longer than {LIMITS[column]} characters")
        elif "\x00" in value:
            self.problem(column, "bad_value", f"{column} holds a NUL character")
        return value

    def choice(self, column: str, allowed: tuple[str, ...]) -> str:
        value = self.text(column).lower()
        if value and value not in allowed:
            self.problem(column, "bad_value",
                         f"{column} {value!r} is not one of {', '.join(allowed)}")
        return value

    def whole(self, column: str, low: int, high: int) -> int:
        value = self.text(column)
        if not value:
            return 0
        if not (value.isascii() and value.isdigit()) or not low <= int(value) <= high:
            self.problem(column, "bad_value",
                         f"{column} {value!r} is not a whole number from {low} to {high}")
            return 0
        return int(value)

    def number_in(self, column: str, low: float, high: float) -> float:
        value = self.text(column)
        if not value:
            return 0.0
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not value.isascii() or not low <= number <= high:
            self.problem(column, "bad_value",
                         f"{column} {value!r} is not a number from {low:g} to {high:g}")
            return 0.0
        return number

    def flag(self, column: str, default: bool | None = None) -> bool:
        value = self.text(column).lower()
        if not value and default is not None:
            return default
        if value in TRUE:
            return True
        if value in FALSE:
            return False
        if value:
            self.problem(column, "bad_value", f"{column} {value!r} is not yes or no")
        return False

    def day(self, column: str) -> dt.date | None:
        value = self.text(column)
        if not value:
            return None
        try:
            if not value.isascii() or len(value) != 10:
                raise ValueError(value)
            return dt.date.fromisoformat(value)
        except ValueError:
            self.problem(column, "bad_value", f"{column} {value!r} is not a day YYYY-MM-DD")
            return None


def read_rows(content: bytes) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header and every non-empty line (with its number) of a facility-list CSV;
    Unreadable when it is not a CSV file at all."""
    fault = csv_fault(content)
    if fault is not None:
        raise fault
    text = content.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""))
    header: list[str] | None = None
    lines: list[tuple[int, dict[str, str]]] = []
    for values in reader:
        if not any(v.strip() for v in values):
            continue
        if header is None:
            header = [v.strip().lower() for v in values]
            continue
        lines.append((reader.line_num, dict(zip(header, values, strict=False))))
    if header is None:
        raise Unreadable("the file is empty")
    return header, lines


def _facility(line: _Line) -> FacilityRow:
    opened = line.day("opened_on")
    closed = line.day("closed_on")
    if opened and closed and closed <= opened:
        line.problem("closed_on", "bad_value", "closed_on is not after opened_on")
    kind = line.choice("kind", FACILITY_KINDS)
    use = line.choice("use", (QUARANTINE, ISOLATION))
    if kind and use and not use_allowed(kind, use):
        line.problem("use", "wrong_use",
                     "cases are isolated only in designated or makeshift hospitals, and "
                     f"a {kind.replace('_', ' ')} is not for {use}")
    staff = line.whole("medical_staff", 0, 10_000)
    if use == ISOLATION and line.values.get("medical_staff", "").strip() == "0":
        line.problem("medical_staff", "bad_value", "an isolation site needs medical staff on site")
    district = line.text("district_code") or None
    return FacilityRow(
        line=line.number, code=line.text("facility_code"), name=line.text("facility_name"),
        city_code=line.text("city_code"), district_code=district, address=line.text("address"),
        lat=line.number_in("lat", -90, 90), lon=line.number_in("lon", -180, 180), kind=kind,
        use=use, status=line.choice("status", FACILITY_STATUSES), medical_staff=staff,
        separate_areas=line.flag("separate_areas"), manager_name=line.text("manager_name"),
        manager_phone=line.text("manager_phone"), opened_on=opened or dt.date.min,
        closed_on=closed)


def _room(line: _Line) -> RoomRow:
    return RoomRow(
        line=line.number, number=line.text("room_number"),
        room_type=line.choice("room_type", ROOM_TYPES), beds=line.whole("beds", 1, 20),
        own_bathroom=line.flag("own_bathroom"), accessible=line.flag("accessible"),
        infant_suitable=line.flag("infant_suitable"), carer_suitable=line.flag("carer_suitable"),
        in_service=line.flag("in_service", default=True))


def _same(a: FacilityRow, b: FacilityRow) -> str | None:
    """The first facility column on which two lines of one facility differ, or None."""
    pairs = (("facility_name", a.name, b.name), ("city_code", a.city_code, b.city_code),
             ("district_code", a.district_code, b.district_code),
             ("address", a.address, b.address), ("lat", a.lat, b.lat), ("lon", a.lon, b.lon),
             ("kind", a.kind, b.kind), ("use", a.use, b.use), ("status", a.status, b.status),
             ("medical_staff", a.medical_staff, b.medical_staff),
             ("separate_areas", a.separate_areas, b.separate_areas),
             ("manager_name", a.manager_name, b.manager_name),
             ("manager_phone", a.manager_phone, b.manager_phone),
             ("opened_on", a.opened_on, b.opened_on), ("closed_on", a.closed_on, b.closed_on))
    return next((name for name, x, y in pairs if x != y), None)


def parse_list(content: bytes, *, cities: Mapping[str, int],
               districts: Mapping[str, tuple[int, int]]) -> ParsedList:
    """Read and check a whole facility list: `cities` maps known city codes to ids,
    `districts` district codes to (id, city id)."""
    header, lines = read_rows(content)
    problems: list[Problem] = []
    absent = [c for c in COLUMNS if c not in header and c not in OPTIONAL]
    if absent:
        problems.extend(Problem(1, c, "missing_column", f"the column {c} is missing")
                        for c in absent)
        return ParsedList(rows=len(lines), facilities={}, problems=problems)
    if not lines:
        problems.append(Problem(FILE_LINE, "", "empty_file", "the file has no rooms"))
    facilities: dict[str, FacilityRow] = {}
    for number, values in lines:
        line = _Line(number, values, problems)
        facility = _facility(line)
        room = _room(line)
        if facility.city_code and facility.city_code not in cities:
            line.problem("city_code", "unknown_place",
                         f"no city has the code {facility.city_code!r}")
        if facility.district_code:
            known = districts.get(facility.district_code)
            if known is None:
                line.problem("district_code", "unknown_place",
                             f"no district has the code {facility.district_code!r}")
            elif cities.get(facility.city_code) not in (None, known[1]):
                line.problem("district_code", "unknown_place",
                             f"district {facility.district_code!r} is not in city "
                             f"{facility.city_code!r}")
        if not facility.code:
            continue
        first = facilities.get(facility.code)
        if first is None:
            first = facilities[facility.code] = facility
        elif line.ok and (column := _same(first, facility)) is not None:
            line.problem(column, "facility_differs",
                         f"{column} differs from line {first.line} of facility {facility.code}")
        if room.number and any(r.number == room.number for r in first.rooms):
            line.problem("room_number", "duplicate_room",
                         f"room {room.number} of facility {facility.code} is listed twice")
        first.rooms.append(room)
    return ParsedList(rows=len(lines), facilities=facilities, problems=problems)


def example_csv() -> str:
    """A two-room example of the format (for `epidesk quarantine facilities format`)."""
    head = ",".join(COLUMNS)
    base = ("HTL-001,Riverside Hotel,{city},{district},1 River Road,35.41,116.59,hotel,"
            "quarantine,open,2,yes,Li Ming,13800000000,2026-11-01,")
    return "\n".join([head, base + ",101,single,1,yes,no,no,no,yes",
                      base + ",102,family,3,yes,yes,yes,yes,yes"]) + "\n"
