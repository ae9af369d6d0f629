"""One clock and the city's time zone: every local day is computed here.

Everything stored is UTC. Local days (windows, test days, bulletin days, zone clocks)
are the city's days in its configured time zone (`EPIDESK_TIMEZONE`, an IANA name),
whatever offset an input file carries.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from epidesk.config import get_settings

DAY_SECONDS = 86_400
# Offsets are probed once a week: no zone changes its offset twice within a week.
PROBE_SECONDS = 7 * DAY_SECONDS
# The unbounded end of an interval, in seconds since the epoch.
FOREVER = 2**62


def now() -> datetime:
    """The current moment, in UTC."""
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """A stored moment made timezone-aware: SQLite hands back naive UTC datetimes."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def naive_utc(moment: datetime) -> datetime:
    """A moment as naive UTC, for comparison with columns SQLite returns naive."""
    return aware(moment).astimezone(UTC).replace(tzinfo=None)


@lru_cache(maxsize=8)
def zone_named(name: str) -> ZoneInfo:
    """The IANA time zone of that name."""
    return ZoneInfo(name)


def city_zone() -> tzinfo:
    """The city's time zone, from the settings."""
    return zone_named(get_settings().timezone)


def zone_label(zone: tzinfo | None = None) -> str:
    """How pages name the city's zone: its IANA name."""
    chosen = zone or city_zone()
    return str(getattr(chosen, "key", None) or chosen.tzname(None) or "UTC")


def local(moment: datetime, zone: tzinfo | None = None) -> datetime:
    """A moment in the city's zone."""
    return aware(moment).astimezone(zone or city_zone())


def local_day(moment: datetime, zone: tzinfo | None = None) -> date:
    """The city's calendar day on which a moment falls."""
    return local(moment, zone).date()


def city_today(at: datetime | None = None, zone: tzinfo | None = None) -> date:
    """The city's today (at a given moment, or now)."""
    return local_day(at or now(), zone)


def day_start(day: date, zone: tzinfo | None = None) -> datetime:
    """The UTC moment at which the city's day begins."""
    return datetime.combine(day, time(0), tzinfo=zone or city_zone()).astimezone(UTC)


def format_local(moment: datetime | None, zone: tzinfo | None = None,
                 fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A moment as the city reads it ("" for none); pages say the zone beside it."""
    return "" if moment is None else local(moment, zone).strftime(fmt)


def utc_offsets(seconds: NDArray[np.int64], zone: tzinfo | None = None) -> NDArray[np.int64]:
    """The zone's UTC offset, in seconds, at each of many epoch seconds.

    Offsets change rarely (daylight saving, law), so the offset is read once a week over
    the span of the input, transitions are located to the second, and every moment is
    looked up by binary search. The transitions of a span are remembered.
    """
    chosen = zone or city_zone()
    values = np.asarray(seconds, dtype=np.int64)
    if not len(values):
        return np.zeros(0, dtype=np.int64)
    # Whole blocks of 64 weeks around the input, so that nearby inputs share the cache.
    block = 64 * PROBE_SECONDS
    first = (int(values.min()) - PROBE_SECONDS) // block * block
    last = (int(values.max()) + PROBE_SECONDS) // block * block + block
    starts, offsets = _transitions(first, last, chosen)
    if len(offsets) == 1:
        return np.full(len(values), offsets[0], dtype=np.int64)
    where = np.searchsorted(np.asarray(starts, dtype=np.int64), values, side="right") - 1
    return np.asarray(offsets, dtype=np.int64)[where]


def local_days(seconds: NDArray[np.int64], zone: tzinfo | None = None
               ) -> NDArray[np.datetime64]:
    """The city's calendar day of each of many epoch seconds (datetime64[D])."""
    values = np.asarray(seconds, dtype=np.int64)
    shifted = values + utc_offsets(values, zone)
    days: NDArray[np.datetime64] = np.floor_divide(shifted, DAY_SECONDS).astype("datetime64[D]")
    return days


def local_midnights(days: NDArray[np.datetime64], zone: tzinfo | None = None
                    ) -> NDArray[np.int64]:
    """The epoch second at which each of many city days begins (its local midnight).

    Dates repeat a great deal (memberships, test days), so each day of the span is worked
    out once and the answers are looked up.
    """
    chosen = zone or city_zone()
    numbers = np.asarray(days, dtype="datetime64[D]").astype(np.int64)
    if not len(numbers):
        return np.zeros(0, dtype=np.int64)
    low, high = int(numbers.min()), int(numbers.max())
    if high - low > MAX_DAY_TABLE:
        return _midnights(numbers, chosen)
    table = _midnights(np.arange(low, high + 1, dtype=np.int64), chosen)
    starts: NDArray[np.int64] = table[numbers - low]
    return starts


# Spans of more days than this (a thousand years) are converted value by value.
MAX_DAY_TABLE = 366_000


def _midnights(numbers: NDArray[np.int64], zone: tzinfo) -> NDArray[np.int64]:
    naive = numbers * DAY_SECONDS
    guess = naive - utc_offsets(naive, zone)
    starts: NDArray[np.int64] = naive - utc_offsets(guess, zone)
    return starts


def _offset_at(second: int, zone: tzinfo) -> int:
    moment = datetime.fromtimestamp(second, UTC).astimezone(zone)
    delta = moment.utcoffset() or timedelta(0)
    return int(delta.total_seconds())


@lru_cache(maxsize=64)
def _transitions(first: int, last: int, zone: tzinfo) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(start second, offset) of each period with one offset between first and last."""
    starts, offsets = [first], [_offset_at(first, zone)]
    probe = first
    while probe < last:
        step = min(probe + PROBE_SECONDS, last)
        offset = _offset_at(step, zone)
        if offset != offsets[-1]:
            low, high = probe, step  # the offset changes in (low, high]
            while high - low > 1:
                middle = (low + high) // 2
                if _offset_at(middle, zone) == offsets[-1]:
                    low = middle
                else:
                    high = middle
            starts.append(high)
            offsets.append(offset)
        probe = step
    return tuple(starts), tuple(offsets)
