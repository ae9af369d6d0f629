"""Which traced cases late evidence touches. Pure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]

VISIT_LOG = "visit_log"
EXPOSURE = "exposure"
REASONS = (VISIT_LOG, EXPOSURE)
# Seconds since the epoch fit in 32 bits until 2106: venue and arrival share one key.
TIME_BITS = 32


@dataclass(frozen=True)
class TracedWindows:
    """Active traced cases as columns: the case, its resident, and the window it was
    traced over (seconds; an open window, not yet ended by isolation, runs on)."""

    case_id: IntArray
    resident: IntArray
    start: IntArray
    end: IntArray

    def __len__(self) -> int:
        return len(self.case_id)


def open_ended(window_end: IntArray, traced_at: IntArray, forever: int) -> IntArray:
    """Window ends with those not yet closed by isolation (ending when traced) made endless."""
    return np.where(window_end >= traced_at, forever, window_end).astype(np.int64)


def cases_sharing_visits(cases: TracedWindows, *, case_index: IntArray, venue: IntArray,
                         start: IntArray, end: IntArray, new_venue: IntArray,
                         new_start: IntArray, new_end: IntArray) -> list[int]:
    """The cases one of whose visits inside its window overlaps a new visit at the same venue.

    `case_index`, `venue`, `start`, `end`: the stored visits of the cases' residents (by
    position in `cases`); `new_*`: the visits that arrived.
    """
    if not len(cases) or not len(venue) or not len(new_venue):
        return []
    lo = np.maximum(start, cases.start[case_index])
    hi = np.minimum(end, cases.end[case_index])
    inside = lo < hi
    owner, venue, lo, hi = case_index[inside], venue[inside], lo[inside], hi[inside]
    if not len(owner):
        return []
    # Only new visits at a venue a case was at, during some case visit, can meet one.
    at_case_venue = np.zeros(int(max(venue.max(), new_venue.max())) + 1, dtype=bool)
    at_case_venue[venue] = True
    near = at_case_venue[new_venue] & (new_end > lo.min()) & (new_start < hi.max())
    new_venue, new_start, new_end = new_venue[near], new_start[near], new_end[near]
    if not len(new_venue):
        return []
    # New visits sorted by (venue, arrival) in one key; a case visit [lo, hi) meets those
    # arriving in [lo - longest, hi) that leave after lo: the latest departure among them
    # (one maximum per range) says whether any does.
    key = (new_venue << TIME_BITS) | new_start
    order = np.argsort(key, kind="stable")
    key, leaves = key[order], new_end[order]
    longest = int((new_end - new_start).max())
    first = np.searchsorted(key, (venue << TIME_BITS) | np.maximum(lo - longest, 0), "left")
    last = np.searchsorted(key, (venue << TIME_BITS) | hi, "left")
    some = np.flatnonzero(first < last)
    if not len(some):
        return []
    # Ranges in order of their start, so that the gaps between them (reduced as well,
    # then dropped) add up to one pass over the new visits.
    some = some[np.argsort(first[some], kind="stable")]
    bounds = np.empty(2 * len(some), dtype=np.int64)
    bounds[0::2], bounds[1::2] = first[some], last[some]
    latest = np.maximum.reduceat(np.append(leaves, 0), bounds)[0::2]
    met = owner[some][latest > lo[some]]
    return sorted(set(cases.case_id[met].tolist()))


def cases_of_exposure(cases: TracedWindows, *, resident_a: int, resident_b: int, at: int,
                      close_contact_cases: set[int]) -> list[int]:
    """The cases an exposure touches: a case of either resident whose window holds the
    moment, and the cases either resident is a close contact of (their sub-close
    contacts, or a case among them, may change)."""
    mine = np.isin(cases.resident, [resident_a, resident_b]) & (cases.start <= at) & (
        at < cases.end)
    return sorted(set(cases.case_id[mine].tolist()) | close_contact_cases)
