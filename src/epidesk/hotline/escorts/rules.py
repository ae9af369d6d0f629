"""Escorted trips as pure rules: treatments, a trip's states, the sessions of a plan, the
moments of a session, and which sessions are missed. No session, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from epidesk.kit.i18n import _l, register_labels

TREATMENTS = ("dialysis", "chemotherapy", "antenatal_care", "childbirth")
EMERGENCY = "emergency"
register_labels("escort_kind", {
    EMERGENCY: _l("medical emergency"), "dialysis": _l("dialysis"),
    "chemotherapy": _l("chemotherapy"), "antenatal_care": _l("antenatal care"),
    "childbirth": _l("childbirth"),
})

SCHEDULED, DISPATCHED, HANDED_OFF, RETURNED, ADMITTED, CANCELLED = (
    "scheduled", "dispatched", "handed_off", "returned", "admitted", "cancelled")
OPEN = (SCHEDULED, DISPATCHED, HANDED_OFF)
CLOSED = (RETURNED, ADMITTED, CANCELLED)
register_labels("escort_status", {
    SCHEDULED: _l("scheduled, no vehicle yet"), DISPATCHED: _l("on the way to hospital"),
    HANDED_OFF: _l("handed over at the hospital"), RETURNED: _l("back home"),
    ADMITTED: _l("admitted to hospital"), CANCELLED: _l("cancelled"),
})
register_labels("escort_restriction", {
    "zone": _l("stay-home zone"), "home_order": _l("home quarantine"),
})
# How long an emergency trip is expected to last, from the arrival at hospital to being
# back home, unless the dispatcher says otherwise.
EMERGENCY_RETURN = timedelta(hours=6)
# A scheduled session not dispatched this long after its pickup time is missed.
DISPATCH_GRACE = timedelta(minutes=30)

_TIME = re.compile(r"([01]\d|2[0-3]):([0-5]\d)")


def parse_time(text: str) -> time | None:
    """A local time written "HH:MM", or None."""
    found = _TIME.fullmatch(text.strip())
    return time(int(found.group(1)), int(found.group(2))) if found else None


def parse_weekdays(text: str) -> tuple[int, ...] | None:
    """ISO weekdays written "1,3,5" (Monday is 1), sorted; None when malformed."""
    parts = [p.strip() for p in text.split(",") if p.strip()]
    if not all(p.isdigit() and len(p) == 1 and 1 <= int(p) <= 7 for p in parts):
        return None
    return tuple(sorted({int(p) for p in parts}))


def parse_dates(text: str) -> tuple[date, ...] | None:
    """Days written "2026-12-08,2026-12-15", sorted; None when malformed."""
    out = set()
    for part in (p.strip() for p in text.split(",") if p.strip()):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", part):
            return None
        try:
            out.add(date.fromisoformat(part))
        except ValueError:
            return None
    return tuple(sorted(out))


@dataclass(frozen=True)
class Schedule:
    """When a plan's sessions fall."""

    weekdays: tuple[int, ...]
    dates: tuple[date, ...]
    starts_on: date
    ends_on: date


def session_days(schedule: Schedule, first: date, last: date) -> list[date]:
    """The plan's session days from `first` to `last`, inside its own period."""
    start, end = max(first, schedule.starts_on), min(last, schedule.ends_on)
    out = []
    day = start
    while day <= end:
        if day.isoweekday() in schedule.weekdays or day in schedule.dates:
            out.append(day)
        day += timedelta(days=1)
    return out


def check_plan(*, kind: str, weekdays: str, dates: str, starts_on: date, ends_on: date,
               departs: str, arrives: str, back: str) -> tuple[str, str] | None:
    """(field, what is wrong) with a treatment plan, or None."""
    if kind not in TREATMENTS:
        return "kind", f"one of {', '.join(TREATMENTS)}"
    days, on = parse_weekdays(weekdays), parse_dates(dates)
    if days is None:
        return "weekdays", "ISO weekdays separated by commas, e.g. 1,3,5 (Monday is 1)"
    if on is None:
        return "dates", "days written YYYY-MM-DD separated by commas"
    if not days and not on:
        return "weekdays", "give the weekdays or the dates of the sessions"
    if ends_on < starts_on:
        return "ends_on", "the plan must end on or after its first day"
    if ends_on - starts_on > timedelta(days=366):
        return "ends_on", "a plan covers at most a year"
    moments = [parse_time(departs), parse_time(arrives), parse_time(back)]
    for name, value in zip(("departs", "arrives", "back"), moments, strict=True):
        if value is None:
            return name, "a local time written HH:MM"
    if not moments[0] < moments[1] < moments[2]:  # type: ignore[operator]
        return "back", "pickup, arrival and return must follow each other within the day"
    return None


def session_moments(day: date, departs: time, arrives: time, back: time, *,
                    zone: tzinfo) -> tuple[datetime, datetime, datetime]:
    """The pickup, the arrival and the expected return of a session, in UTC."""
    out = [datetime.combine(day, t, tzinfo=zone).astimezone(UTC)
           for t in (departs, arrives, back)]
    return out[0], out[1], out[2]


def missed(*, status: str, departs_at: datetime, back_at: datetime, now: datetime,
           grace: timedelta) -> str | None:
    """Why a session is missed at `now`: "not_dispatched" (no vehicle by its pickup time
    plus the grace), "not_completed" (neither back nor admitted by its expected return plus
    the grace), or None."""
    if status == SCHEDULED and now >= departs_at + DISPATCH_GRACE:
        return "not_dispatched"
    if status in (DISPATCHED, HANDED_OFF) and now >= back_at + grace:
        return "not_completed"
    return None


register_labels("escort_missed", {
    "not_dispatched": _l("no trip dispatched"), "not_completed": _l("trip not completed"),
})
