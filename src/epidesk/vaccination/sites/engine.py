"""The site-list file (CSV): read whole, checked line by line; pure, no database.

Columns: code, name, district (the district's code), address, stations,
doses_per_station_hour, then mon ... sun, each "HH:MM-HH:MM" or empty when closed.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from epidesk.kit.imports import Unreadable, csv_fault
from epidesk.kit.reports import FILE_LINE, FileFormat, Problem, Report, line_of, report_of

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
COLUMNS = ("code", "name", "district", "address", "stations", "doses_per_station_hour",
           *WEEKDAYS)
SITE_FORMAT = FileFormat(columns=COLUMNS, kinds={
    "unreadable_file": "the file is not a readable CSV file",
    "missing_column": "a required column is missing",
    "missing_value": "a required value is empty",
    "bad_number": "not a whole number in range",
    "bad_hours": "not opening hours HH:MM-HH:MM",
    "unknown_district": "no district with this code",
    "duplicate_code": "a site code appears twice in the file",
    "too_long": "the value is longer than the column holds",
})
HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
MAX_STATIONS = 500
MAX_RATE = 200
LENGTHS = {"code": 32, "name": 100, "address": 200, "district": 16}


@dataclass
class SiteRow:
    """One line of a site list."""

    line: int
    code: str
    name: str
    district: str
    address: str
    stations: int
    rate: int
    hours: dict[int, tuple[int, int]]  # weekday -> (opens, closes) in minutes


@dataclass
class ParsedSites:
    """A whole site list, and the problems found reading it."""

    rows: list[SiteRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def parse_hours(text: str) -> tuple[int, int] | None:
    """ "08:00-17:30" as minutes (480, 1050); None when malformed or not opening."""
    found = HOURS.match(text.strip())
    if not found:
        return None
    h1, m1, h2, m2 = (int(g) for g in found.groups())
    opens, closes = h1 * 60 + m1, h2 * 60 + m2
    if closes > 24 * 60 or closes <= opens:
        return None
    return opens, closes


def format_hours(opens: int, closes: int) -> str:
    """Minutes as "08:00-17:30"."""
    return f"{opens // 60:02d}:{opens % 60:02d}-{closes // 60:02d}:{closes % 60:02d}"


def _whole(text: str, low: int, high: int) -> int | None:
    value = text.strip()
    if not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if low <= number <= high else None


def read_sites(content: bytes) -> ParsedSites:
    """Parse the whole file; Unreadable when it is not CSV text with the columns."""
    fault = csv_fault(content)
    if fault is not None:
        raise fault
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"not UTF-8 text (byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in COLUMNS if c not in header]
    parsed = ParsedSites()
    if missing:
        parsed.problems += [Problem(FILE_LINE, c, "missing_column", f"column {c!r} is missing")
                            for c in missing]
        return parsed
    seen: dict[str, int] = {}
    for index, raw in enumerate(reader):
        line = line_of(index)
        cells = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        problems: list[Problem] = []
        for column in ("code", "name", "district", "address", "stations",
                       "doses_per_station_hour"):
            if not cells.get(column):
                problems.append(Problem(line, column, "missing_value", f"{column} is empty"))
        for column, size in LENGTHS.items():
            if len(cells.get(column, "")) > size:
                problems.append(Problem(line, column, "too_long",
                                        f"{column} is longer than {size} characters"))
        stations = _whole(cells.get("stations", ""), 1, MAX_STATIONS)
        if cells.get("stations") and stations is None:
            problems.append(Problem(line, "stations", "bad_number",
                                    f"stations must be a whole number from 1 to {MAX_STATIONS}"))
        rate = _whole(cells.get("doses_per_station_hour", ""), 1, MAX_RATE)
        if cells.get("doses_per_station_hour") and rate is None:
            problems.append(Problem(line, "doses_per_station_hour", "bad_number",
                                    f"doses_per_station_hour must be from 1 to {MAX_RATE}"))
        hours: dict[int, tuple[int, int]] = {}
        for weekday, column in enumerate(WEEKDAYS):
            cell = cells.get(column, "")
            if not cell:
                continue
            found = parse_hours(cell)
            if found is None:
                problems.append(Problem(line, column, "bad_hours",
                                        f"{cell[:20]!r} is not opening hours like 08:00-17:00"))
            else:
                hours[weekday] = found
        code = cells.get("code", "")
        if code and code in seen:
            problems.append(Problem(line, "code", "duplicate_code",
                                    f"site {code!r} is also on line {seen[code]}"))
        seen.setdefault(code, line)
        parsed.problems += problems
        if not problems and stations is not None and rate is not None:
            parsed.rows.append(SiteRow(line=line, code=code, name=cells["name"],
                                       district=cells["district"], address=cells["address"],
                                       stations=stations, rate=rate, hours=hours))
    if not parsed.rows and not parsed.problems:
        parsed.problems.append(Problem(FILE_LINE, "", "missing_value", "the file lists no site"))
    return parsed


def check_districts(parsed: ParsedSites, districts: Mapping[str, int]) -> list[Problem]:
    """Lines naming a district code the city does not have."""
    return [Problem(r.line, "district", "unknown_district", f"no district {r.district!r}")
            for r in parsed.rows if r.district not in districts]


def site_report(problems: list[Problem]) -> Report:
    """The report of a site list's problems."""
    return report_of(problems, file_format=SITE_FORMAT)


def write_sites_csv(rows: list[dict[str, str]]) -> bytes:
    """A site list file from rows of cells (for tests, demo data and exports)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(COLUMNS), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()
