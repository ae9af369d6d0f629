"""The daily figures per category, computed on plain arrays (microseconds since the
epoch)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
# "Not yet" for a response or a resolution time.
NEVER = 2**62


@dataclass(frozen=True)
class DayFigures:
    """The columns of hotline_daily_stat for many (day, category) groups."""

    day: IntArray  # days since 1970-01-01 (the city's calendar day of receipt)
    category: IntArray  # index into the categories given
    received: IntArray
    responded: IntArray
    responded_in_time: IntArray
    resolved: IntArray
    resolved_in_time: IntArray
    median_response_minutes: NDArray[np.float64]  # NaN where nothing was responded
    median_resolution_minutes: NDArray[np.float64]


def _group_medians(group: IntArray, values: NDArray[np.float64], keep: NDArray[np.bool_],
                   groups: int) -> NDArray[np.float64]:
    """The median of `values` (where `keep`) within each group 0..groups-1 (NaN if none)."""
    g = group[keep]
    v = values[keep]
    out = np.full(groups, np.nan)
    if not len(g):
        return out
    order = np.lexsort((v, g))
    g, v = g[order], v[order]
    counts = np.bincount(g, minlength=groups)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    has = counts > 0
    low = starts + (counts - 1) // 2
    high = starts + counts // 2
    out[has] = (v[low[has]] + v[high[has]]) / 2.0
    return out


def daily_figures(*, day: IntArray, category: IntArray, received: IntArray,
                  responded: IntArray, response_due: IntArray, resolved: IntArray,
                  resolution_due: IntArray) -> DayFigures:
    """Figures per (day of receipt, category): tickets received; first responses given and
    given by their due time; resolutions and resolutions by their due time; the median
    minutes from receipt to first response and to resolution (of those given)."""
    if not len(day):
        empty = np.zeros(0, dtype=np.int64)
        return DayFigures(empty, empty, empty, empty, empty, empty, empty,
                          np.zeros(0), np.zeros(0))
    width = int(category.max()) + 1
    key = (day - day.min()) * width + category
    keys, group = np.unique(key, return_inverse=True)
    groups = len(keys)
    did_respond = responded < NEVER
    did_resolve = resolved < NEVER

    def count(mask: NDArray[np.bool_]) -> IntArray:
        return np.bincount(group, weights=mask, minlength=groups).astype(np.int64)

    response_minutes = (responded - received) / 60e6
    resolution_minutes = (resolved - received) / 60e6
    return DayFigures(
        day=keys // width + day.min(), category=keys % width,
        received=np.bincount(group, minlength=groups).astype(np.int64),
        responded=count(did_respond),
        responded_in_time=count(did_respond & (responded <= response_due)),
        resolved=count(did_resolve),
        resolved_in_time=count(did_resolve & (resolved <= resolution_due)),
        median_response_minutes=_group_medians(group, response_minutes, did_respond, groups),
        median_resolution_minutes=_group_medians(group, resolution_minutes, did_resolve,
                                                 groups))
