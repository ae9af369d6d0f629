"""What may be published of where cases were while infectious: pure rules on plain values.

A *stay* is one case at one place for one interval (seconds since the epoch): a venue
visit clipped to the case's infectious window, or the case's home building (or compound)
for the whole window. The published *entries* are per place and time window, never per
case:

- a stay is left out once everyone exposed there is identified (every other visitor
  of the venue in that interval, every other resident of the building, is a contact
  classified by tracing, or a case). A venue whose log shows nobody else stays listed:
  a visit log holds only those who registered, so unknown visitors may remain; the
  register of a building's residents is complete, so a home nobody else lives in goes;
- the remaining stays' intervals are rounded outward to the hour and merged per place
  (overlapping or touching windows of several cases become one window), so an entry
  neither names nor counts the cases behind it;
- an entry expires a fixed number of days (a setting, default 14) after the city day of
  its last exposure, and is then deleted from the pages and from every file;
- when fewer cases than a minimum (a setting, default 3) stand behind the day's
  entries, none is published: with a single case in the city every entry would be
  that person's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

HOUR = 3600
VENUE = "venue"
BUILDING = "building"
COMPOUND = "compound"
PLACE_KINDS = (VENUE, BUILDING, COMPOUND)
# Zone areas that make a building public: the zone list names its building.
BUILDING_ZONE_KINDS = frozenset({"household", "floor", "unit", "building"})

PlaceKey = tuple[str, int]


@dataclass(frozen=True)
class Stay:
    """One case at one place for [start, end) seconds, with who else was exposed there."""

    place: PlaceKey
    case: int
    start: int
    end: int
    # The other residents exposed there in the interval.
    exposed: frozenset[int] = frozenset()
    # Whether `exposed` is everyone who could have been there (a building's register),
    # or only those recorded (a venue's visit log).
    complete: bool = False


@dataclass(frozen=True)
class Window:
    """A merged window at one place: [start, end) seconds, and the cases behind it
    (kept for the publication's own checks; never published)."""

    place: PlaceKey
    start: int
    end: int
    cases: frozenset[int] = field(default=frozenset())


def clip(start: int, end: int, window: tuple[int, int]) -> tuple[int, int] | None:
    """An interval cut to a window; None when they do not overlap."""
    lo, hi = max(start, window[0]), min(end, window[1])
    return (lo, hi) if lo < hi else None


def round_out(start: int, end: int, step: int = HOUR) -> tuple[int, int]:
    """The interval widened to whole steps (hours) on both sides."""
    return start - start % step, end + (-end) % step


def identified(stay: Stay, known: set[int]) -> bool:
    """Whether everyone exposed at a stay is identified (a contact or a case). With
    nobody else recorded at a venue, unrecorded visitors may remain to be warned."""
    if not stay.exposed and not stay.complete:
        return False
    return all(r in known for r in stay.exposed)


def merge(stays: Sequence[Stay], step: int = HOUR) -> list[Window]:
    """Per place, the stays' intervals rounded out to the hour and merged where they
    overlap or touch; by place, then start."""
    by_place: dict[PlaceKey, list[tuple[int, int, int]]] = {}
    for s in stays:
        lo, hi = round_out(s.start, s.end, step)
        by_place.setdefault(s.place, []).append((lo, hi, s.case))
    out: list[Window] = []
    for place in sorted(by_place):
        current: list[int] | None = None
        cases: set[int] = set()
        for lo, hi, case in sorted(by_place[place]):
            if current is not None and lo <= current[1]:
                current[1] = max(current[1], hi)
                cases.add(case)
                continue
            if current is not None:
                out.append(Window(place, current[0], current[1], frozenset(cases)))
            current, cases = [lo, hi], {case}
        if current is not None:
            out.append(Window(place, current[0], current[1], frozenset(cases)))
    return out


def last_day(window: Window, zone: dt.tzinfo) -> dt.date:
    """The city day of the window's last exposure (the instant before its end)."""
    return dt.datetime.fromtimestamp(window.end - 1, tz=zone).date()


def expires_on(last: dt.date, days: int) -> dt.date:
    """The first day an entry is no longer shown: `days` days after its last exposure."""
    return last + dt.timedelta(days=days)


def expired(expiry: dt.date, today: dt.date) -> bool:
    """Whether an entry expiring on `expiry` must be gone on `today`."""
    return today >= expiry


def withheld(windows: Sequence[Window], minimum: int) -> bool:
    """Whether the day's entries rest on too few cases to be published at all."""
    behind = {c for w in windows for c in w.cases}
    return bool(windows) and len(behind) < minimum


def building_public(building_id: int, community_id: int, zones: Iterable[tuple[str, int | None,
                    int | None]]) -> PlaceKey | None:
    """Where a home may be shown: its building when a zone in force already names the
    building (a zone on a flat, floor, unit or the building), else its compound when a
    compound zone covers it, else nowhere. `zones` are (area kind, building, community)."""
    compound = False
    for kind, building, community in zones:
        if kind in BUILDING_ZONE_KINDS and building == building_id:
            return (BUILDING, building_id)
        if kind == COMPOUND and community == community_id:
            compound = True
    return (COMPOUND, community_id) if compound else None
