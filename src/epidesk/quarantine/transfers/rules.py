"""Transfers as pure rules: a manifest's purpose, a line's state, when it raises an alert,
how a search term reads, when a return home leaves and arrives. No session, no I/O."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from epidesk.kit.i18n import _l, register_labels

TO_FACILITY, RETURN_HOME, MEDICAL_ESCORT = "to_facility", "return_home", "medical_escort"
PURPOSES = register_labels("transfer_purpose", {
    TO_FACILITY: _l("to a facility"), RETURN_HOME: _l("return home"),
    MEDICAL_ESCORT: _l("escorted medical trip"),
})
# A return home: a car with this many seats leaves this long after the release, and the
# road minutes are the placement's (a detour factor on the straight line, plus loading).
RETURN_SEATS = 7
RETURN_LEAD_MINUTES = 60
ROAD_MINUTES_PER_KM = 1.5
FIXED_MINUTES = 10.0

WAITING, ON_BOARD, ARRIVED, MISSING, RESOLVED = (
    "waiting", "on_board", "arrived", "missing", "resolved")
STATE_LABELS = register_labels("transfer_state", {
    WAITING: _l("waiting for pickup"), ON_BOARD: _l("on board"), ARRIVED: _l("arrived"),
    MISSING: _l("missing"), RESOLVED: _l("resolved"),
})
RESOLUTIONS = register_labels("transfer_resolution", {
    "arrived_late": _l("arrived late"), "hospital": _l("taken to hospital"),
    "other_facility": _l("taken to another facility"),
    "home_order": _l("order changed to home quarantine"),
    "not_travelling": _l("did not travel (order ended or withdrawn)"),
})


@dataclass(frozen=True)
class LineFacts:
    """What decides a line's state."""

    checked_out_at: datetime | None
    checked_in_at: datetime | None
    resolved_at: datetime | None
    expected_at: datetime


def alert_due(expected_at: datetime, grace_minutes: int) -> datetime:
    """When a person not yet checked in raises an alert."""
    return expected_at + timedelta(minutes=grace_minutes)


def line_state(line: LineFacts, *, now: datetime, grace_minutes: int) -> str:
    """Waiting, on board, arrived, missing (alert open) or resolved."""
    if line.checked_in_at is not None:
        return ARRIVED
    if line.resolved_at is not None:
        return RESOLVED
    if now >= alert_due(line.expected_at, grace_minutes):
        return MISSING
    return ON_BOARD if line.checked_out_at is not None else WAITING


def search_kind(term: str) -> str:
    """How a check-in search reads: a manifest line number ("12" or "#12"), an ID number
    (letters and digits, 15 or more characters) or a name."""
    text = term.strip()
    if (text.startswith("#") and text[1:].isdigit()) or (text.isdigit() and len(text) <= 4):
        return "line"
    if len(text) >= 15 and text.replace("X", "").replace("x", "").isdigit():
        return "id_number"
    return "name"


def road_minutes(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Road minutes between two points (great-circle distance, detour factor, loading)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = (math.sin((p2 - p1) / 2) ** 2
         + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2)
    km = 2 * 6371.0 * math.asin(math.sqrt(min(max(a, 0.0), 1.0)))
    return km * ROAD_MINUTES_PER_KM + FIXED_MINUTES


def return_times(released_at: datetime, minutes: float) -> tuple[datetime, datetime]:
    """When a return home leaves the facility and is expected at the home building."""
    departs = released_at + timedelta(minutes=RETURN_LEAD_MINUTES)
    return departs, departs + timedelta(minutes=math.ceil(minutes))


# Dispatch details a manifest's edit may change, in the order they are checked; after the
# vehicle has left only the driver's phone and the note may change.
DISPATCH_FIELDS = ("vehicle", "seats", "driver_name", "driver_phone", "route", "departs_at",
                   "expected_at", "note")
AFTER_DEPARTURE = ("driver_phone", "note")
DISPATCH_LABELS = register_labels("dispatch_field", {
    "vehicle": _l("vehicle"), "seats": _l("seats"), "driver_name": _l("driver"),
    "driver_phone": _l("driver's phone"), "route": _l("route"), "departs_at": _l("departure"),
    "expected_at": _l("expected arrival"), "note": _l("note"),
})
_PHONE = re.compile(r"\+?[0-9(][0-9 ()-]*")


def phone(text: str) -> str | None:
    """A phone number as written (spaces, dashes and brackets between digits allowed, a
    leading +), trimmed; None when it is not one (5 to 15 digits)."""
    value = text.strip()
    if not _PHONE.fullmatch(value):
        return None
    digits = sum(ch.isdigit() for ch in value)
    return value if 5 <= digits <= 15 else None


def lacks_driver(*, purpose: str, driver_name: str, driver_phone: str, departed: bool,
                 departs_at: datetime, now: datetime, hours: int) -> bool:
    """A manifest not yet left without a driver's name or phone that matters now: any
    return home, or any manifest departing within the next `hours` (or late)."""
    if departed or (driver_name.strip() and driver_phone.strip()):
        return False
    return purpose == RETURN_HOME or departs_at <= now + timedelta(hours=hours)
