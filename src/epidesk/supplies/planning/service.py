"""The day's delivery plan for the whole city at once: every served household's flags,
days without a delivery and score computed on arrays, then batched per building by the
engine (the same rules as `supplies.service.build_batches`, which writes them)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from epidesk.supplies import engine
from epidesk.supplies.planning import repository
from epidesk.supplies.rules import DAYS_PER_DELIVERY, ELDERLY_YEARS, INFANT_YEARS, scores

EPOCH = date(1970, 1, 1)


def day_number(day: date) -> int:
    """Days since 1970-01-01."""
    return (day - EPOCH).days


def _years_before(day: date, years: int) -> int:
    try:
        earlier = day.replace(year=day.year - years)
    except ValueError:  # 29 February
        earlier = day.replace(year=day.year - years, day=28)
    return day_number(earlier)


@dataclass(frozen=True)
class DayPlan:
    """The city's plan for a day and what it took."""

    plan: engine.Plan
    households: int  # served
    due: int
    read_s: float
    compute_s: float


def _any(index: NDArray[np.int64], values: NDArray[np.bool_], size: int) -> NDArray[np.bool_]:
    out = np.zeros(size, dtype=bool)
    out[index[values]] = True
    return out


@dataclass(frozen=True)
class Homes:
    """The members and doors of every household, as read at a stamp (kept per process:
    they change far less often than the day's requests and deliveries)."""

    stamp: tuple[int, ...]
    member_household: NDArray[np.int64]
    birth: NDArray[np.int64]
    pregnant: NDArray[np.int64]
    disability: NDArray[np.int64]
    chronic: NDArray[np.int64]
    stop_household: NDArray[np.int64]
    stop: NDArray[np.int64]


_homes: dict[str, Homes] = {}


def homes(session: Session) -> Homes:
    """The households' members and doors, read again only when the stamp moved."""
    key = str(session.get_bind().engine.url)
    current = repository.stamp(session)
    found = _homes.get(key)
    if found is None or found.stamp != current:
        found = Homes(current, *repository.members(session), *repository.stops(session))
        _homes[key] = found
    return found


def forget() -> None:
    """Drop the arrays kept (the next plan reads them again)."""
    _homes.clear()


def plan_day(session: Session, *, day: date) -> DayPlan:
    """Every served household due on the day (an open request, never served, or its last
    supplies used up; none planned already), scored and batched per building."""
    started = time.perf_counter()
    household, building, since, last = repository.roster(session)
    kept = homes(session)
    member_household, birth, pregnant = kept.member_household, kept.birth, kept.pregnant
    disability, chronic = kept.disability, kept.chronic
    stop_household, stop = kept.stop_household, kept.stop
    asked_household, urgency = repository.open_requests(session)
    need_household, need_kind = repository.recorded_needs(session, day_number=day_number(day))
    (planned_household,) = repository.planned(session)
    read_s = time.perf_counter() - started

    started = time.perf_counter()
    top = int(max(household.max(initial=0), member_household.max(initial=0),
                  stop_household.max(initial=0))) + 1
    size = np.bincount(member_household, minlength=top)
    infant_line = _years_before(day, INFANT_YEARS)
    elderly_line = _years_before(day, ELDERLY_YEARS)
    is_elderly = birth <= elderly_line
    medical = _any(member_household, (pregnant > 0) | (chronic > 0), top)
    infant = _any(member_household, birth > infant_line, top)
    elderly = _any(member_household, is_elderly, top)
    disabled = _any(member_household, disability > 0, top)
    diet = np.zeros(top, dtype=bool)
    diet[need_household[need_kind == 0]] = True
    medical[need_household[need_kind == 1]] = True
    disabled[need_household[need_kind == 2]] = True
    infant[need_household[need_kind == 3]] = True
    worst = np.full(top, -1, dtype=np.int64)
    np.maximum.at(worst, asked_household, urgency)
    door = np.zeros(top, dtype=np.int64)
    door[stop_household] = stop
    busy = np.zeros(top, dtype=bool)
    busy[planned_household] = True

    today = day_number(day)
    start = np.where(last > since, last, since)
    days = np.maximum(today - start, 0)
    alone = size[household] == 1
    due = ((worst[household] >= 0) | (last == 0) | (days >= DAYS_PER_DELIVERY)) & ~busy[
        household]
    chosen = household[due]
    score = scores(medical=medical[chosen] | (worst[chosen] == 2), infant=infant[chosen],
                   elderly_alone=elderly[chosen] & alone[due],
                   disability=disabled[chosen], elderly=elderly[chosen] & ~alone[due],
                   diet=diet[chosen], urgent=worst[chosen] == 1, days=days[due])
    plan = engine.plan(chosen, building[due], door[chosen], score)
    return DayPlan(plan=plan, households=len(household), due=len(chosen),
                   read_s=round(read_s, 3),
                   compute_s=round(time.perf_counter() - started, 3))

