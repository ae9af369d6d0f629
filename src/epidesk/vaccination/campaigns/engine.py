"""Campaign feasibility on plain values: what a district's sites can give in a window.

A site's capacity on a day is, for every quarter hour it is open, the stations that
have a vaccinator on shift (never more than its stations) times its doses per
station-hour. A target is feasible when that capacity, the usable stock and the
eligible population all reach it; otherwise the check says by how much it falls short,
which limit binds, and what would make it feasible, each suggestion with its numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

QUARTERS = 96  # quarter hours in a day
MAX_EXTRA_DAYS = 120
SHIFT_HOURS = 8  # the length of one vaccinator's shift, for suggestions


@dataclass(frozen=True)
class SiteInput:
    """One site as the check sees it."""

    site_id: int
    code: str
    name: str
    district_id: int
    stations: int
    rate: int  # doses per station-hour
    weekly_hours: Mapping[int, tuple[int, int]]  # weekday -> (opens, closes), minutes
    shifts: Mapping[date, Sequence[tuple[int, int]]]  # day -> (starts, ends) per vaccinator
    stock: int = 0  # doses usable in the window (lots not expired before its first day)
    committed: int = 0  # doses already promised in the window (appointments, campaigns)


@dataclass(frozen=True)
class SiteFigures:
    """What one site can give in the window."""

    site_id: int
    code: str
    name: str
    district_id: int
    open_hours: float  # hours open in the window
    station_hours: float  # staffed station-hours
    full_station_hours: float  # station-hours if every station were staffed
    capacity: int  # doses with the staff on shift
    full_capacity: int  # doses with every station staffed
    stock: int
    committed: int

    @property
    def spare(self) -> int:
        """Doses it could still give in the window (staffed capacity, stock, promises)."""
        return max(0, min(self.capacity, self.stock) - self.committed)


@dataclass(frozen=True)
class Suggestion:
    """One way to make the target feasible, with its numbers."""

    kind: str  # "more_days", "staff_stations", "more_stations", "borrow_sites",
    # "more_stock", "lower_target"
    numbers: dict[str, Any]
    enough: bool  # whether this alone closes the shortfall


@dataclass(frozen=True)
class Assessment:
    """The check of one target."""

    district_id: int
    first_day: date
    last_day: date
    target: int
    capacity: int
    full_capacity: int
    stock: int
    eligible: int
    sites: tuple[SiteFigures, ...]
    suggestions: tuple[Suggestion, ...] = field(default=())

    @property
    def days(self) -> int:
        """Days in the window."""
        return (self.last_day - self.first_day).days + 1

    @property
    def achievable(self) -> int:
        """The most doses the window can give: the least of capacity, stock and people."""
        return min(self.capacity, self.stock, self.eligible)

    @property
    def shortfall(self) -> int:
        """By how many doses the target is out of reach (0: feasible)."""
        return max(0, self.target - self.achievable)

    @property
    def feasible(self) -> bool:
        """Whether the target can be met."""
        return self.shortfall == 0

    @property
    def limits(self) -> list[str]:
        """What binds: "capacity", "stock", "eligible" (those below the target)."""
        return [name for name, value in (("capacity", self.capacity), ("stock", self.stock),
                                         ("eligible", self.eligible)) if value < self.target]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "district_id": self.district_id, "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(), "days": self.days, "target": self.target,
            "feasible": self.feasible, "shortfall": self.shortfall,
            "achievable": self.achievable, "capacity": self.capacity,
            "full_capacity": self.full_capacity, "stock": self.stock,
            "eligible": self.eligible, "limits": self.limits,
            "sites": [{"site_id": s.site_id, "code": s.code, "name": s.name,
                       "open_hours": round(s.open_hours, 2),
                       "station_hours": round(s.station_hours, 2),
                       "capacity": s.capacity, "full_capacity": s.full_capacity,
                       "stock": s.stock, "committed": s.committed} for s in self.sites],
            "suggestions": [{"kind": s.kind, "enough": s.enough, **s.numbers}
                            for s in self.suggestions],
        }


def _mask(intervals: Sequence[tuple[int, int]]) -> np.ndarray:
    """How many intervals cover each quarter hour of the day."""
    count = np.zeros(QUARTERS, dtype=np.int64)
    for start, end in intervals:
        count[start // 15: math.ceil(end / 15)] += 1
    return count


def days_of(first: date, last: date) -> list[date]:
    """Every day of a window, inclusive."""
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def site_figures(site: SiteInput, days: Sequence[date]) -> SiteFigures:
    """What one site can give on these days."""
    open_q = staffed_q = 0
    for day in days:
        hours = site.weekly_hours.get(day.weekday())
        if hours is None:
            continue
        is_open = _mask([hours]) > 0
        staff = _mask(site.shifts.get(day, ()))
        open_q += int(is_open.sum())
        staffed_q += int(np.minimum(staff, site.stations)[is_open].sum())
    station_hours = staffed_q / 4
    full = open_q * site.stations / 4
    return SiteFigures(site_id=site.site_id, code=site.code, name=site.name,
                       district_id=site.district_id, open_hours=open_q / 4,
                       station_hours=station_hours, full_station_hours=full,
                       capacity=int(station_hours * site.rate),
                       full_capacity=int(full * site.rate), stock=site.stock,
                       committed=site.committed)


def _full_day(sites: Sequence[SiteInput], day: date) -> int:
    """Doses the sites give on one day with every station staffed."""
    total = 0
    for s in sites:
        hours = s.weekly_hours.get(day.weekday())
        if hours is not None:
            total += int((hours[1] - hours[0]) / 60 * s.stations * s.rate)
    return total


def _more_days(sites: Sequence[SiteInput], last: date, shortfall: int,
               staffed_share: float) -> Suggestion:
    """Extend the window: days after it, at the staffing of the window (or full if none)."""
    added, extra, day = 0, 0, last
    share = staffed_share if staffed_share > 0 else 1.0
    while added < shortfall and extra < MAX_EXTRA_DAYS:
        day += timedelta(days=1)
        extra += 1
        added += int(_full_day(sites, day) * share)
    return Suggestion("more_days", {
        "extra_days": extra, "last_day": day.isoformat(), "added_doses": added,
        "assumes_staffed_share": round(share, 3)}, enough=added >= shortfall)


def _staff_stations(figures: Sequence[SiteFigures], rates: Mapping[int, int],
                    shortfall: int) -> Suggestion | None:
    """Put a vaccinator at every open station of the window."""
    gap = sum(f.full_station_hours - f.station_hours for f in figures)
    if gap <= 0:
        return None
    added = sum(f.full_capacity - f.capacity for f in figures)
    return Suggestion("staff_stations", {
        "extra_station_hours": round(gap, 2),
        "extra_shifts": math.ceil(gap / SHIFT_HOURS), "shift_hours": SHIFT_HOURS,
        "added_doses": added,
        "sites": [{"code": f.code, "extra_station_hours": round(
            f.full_station_hours - f.station_hours, 2)} for f in figures
            if f.full_station_hours > f.station_hours]}, enough=added >= shortfall)


def _more_stations(figures: Sequence[SiteFigures], rates: Mapping[int, int],
                   shortfall: int) -> Suggestion | None:
    """Open (and staff) more stations at the sites, the busiest-hours sites first."""
    gain = sorted(((f.open_hours * rates[f.site_id], f) for f in figures if f.open_hours),
                  key=lambda pair: -pair[0])
    if not gain:
        return None
    per_round = sum(g for g, _ in gain)
    rounds = math.ceil(shortfall / per_round)
    plan: list[dict[str, Any]] = []
    left = shortfall
    for g, f in gain:
        n = min(rounds, math.ceil(left / g)) if left > 0 else 0
        if n:
            plan.append({"code": f.code, "extra_stations": n, "added_doses": int(n * g)})
            left -= int(n * g)
    added = sum(p["added_doses"] for p in plan)
    return Suggestion("more_stations", {
        "extra_stations": sum(p["extra_stations"] for p in plan),
        "extra_shifts": math.ceil(sum(p["extra_stations"] * figures_hours(figures, p["code"])
                                      for p in plan) / SHIFT_HOURS),
        "added_doses": added, "sites": plan}, enough=added >= shortfall)


def figures_hours(figures: Sequence[SiteFigures], code: str) -> float:
    """The open hours of the site with this code in the window."""
    return next(f.open_hours for f in figures if f.code == code)


def _borrow(neighbours: Sequence[tuple[int, float, Sequence[SiteFigures]]],
            shortfall: int) -> Suggestion | None:
    """Sites of neighbouring districts with spare capacity, nearest district first."""
    plan: list[dict[str, Any]] = []
    left = shortfall
    for district_id, km, figures in neighbours:
        for f in sorted(figures, key=lambda f: -f.spare):
            if left <= 0:
                break
            if f.spare <= 0:
                continue
            take = min(f.spare, left)
            plan.append({"district_id": district_id, "distance_km": round(km, 1),
                         "code": f.code, "name": f.name, "doses": take, "spare": f.spare})
            left -= take
    if not plan:
        return None
    added = sum(p["doses"] for p in plan)
    return Suggestion("borrow_sites", {"added_doses": added, "sites": plan},
                      enough=added >= shortfall)


def assess(*, district_id: int, first_day: date, last_day: date, target: int,
           sites: Sequence[SiteInput], eligible: int,
           neighbours: Sequence[tuple[int, float, Sequence[SiteInput]]] = ()) -> Assessment:
    """Check a target against the district's sites, stock and eligible population, and
    when it falls short say what would make it feasible."""
    days = days_of(first_day, last_day)
    figures = tuple(site_figures(s, days) for s in sites)
    capacity = sum(f.capacity for f in figures) - sum(s.committed for s in sites)
    capacity = max(0, capacity)
    full = sum(f.full_capacity for f in figures)
    stock = max(0, sum(s.stock for s in sites) - sum(s.committed for s in sites))
    found = Assessment(district_id=district_id, first_day=first_day, last_day=last_day,
                       target=target, capacity=capacity, full_capacity=full, stock=stock,
                       eligible=eligible, sites=figures)
    if found.feasible:
        return found
    suggestions: list[Suggestion] = []
    gap = max(0, target - capacity)
    if eligible < target:
        suggestions.append(Suggestion("lower_target", {
            "eligible": eligible, "target": eligible,
            "over_by": target - eligible}, enough=False))
    if gap:
        rates = {s.site_id: s.rate for s in sites}
        staffed = sum(f.station_hours for f in figures)
        share = staffed / full_hours if (full_hours := sum(
            f.full_station_hours for f in figures)) else 0.0
        suggestions.append(_more_days(sites, last_day, gap, share))
        for maker in (_staff_stations, _more_stations):
            made = maker(figures, rates, gap)
            if made is not None:
                suggestions.append(made)
        borrowed = _borrow([(d, km, [site_figures(s, days) for s in group])
                            for d, km, group in neighbours], gap)
        if borrowed is not None:
            suggestions.append(borrowed)
    if stock < target:
        suggestions.append(Suggestion("more_stock", {
            "extra_doses": target - stock, "before": first_day.isoformat()},
            enough=capacity >= target and eligible >= target))
    return Assessment(**{**found.__dict__, "suggestions": tuple(suggestions)})
