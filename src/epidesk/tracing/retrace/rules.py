"""Which traced cases late evidence touches. Pure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]

VISIT_LOG = "visit_log"
EXPOSURE = "exposure"
REASONS = (VISIT_LOG, EXPOSURE)


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
    order = np.lexsort((new_start, new_venue))
    v_sorted, s_sorted, e_sorted = new_venue[order], new_start[order], new_end[order]
    longest = int((new_end - new_start).max())
    found: set[int] = set()
    # The new visits at the venue that arrive before the case visit ends and late
    # enough that they may still be there when it begins.
    for i in range(len(owner)):
        v = venue[i]
        left = np.searchsorted(v_sorted, v, side="left")
        right = np.searchsorted(v_sorted, v, side="right")
        if left == right:
            continue
        a = left + np.searchsorted(s_sorted[left:right], lo[i] - longest, side="left")
        b = left + np.searchsorted(s_sorted[left:right], hi[i], side="left")
        if a < b and bool((e_sorted[a:b] > lo[i]).any()):
            found.add(int(cases.case_id[owner[i]]))
    return sorted(found)


def cases_of_exposure(cases: TracedWindows, *, resident_a: int, resident_b: int, at: int,
                      close_contact_cases: set[int]) -> list[int]:
    """The cases an exposure touches: a case of either resident whose window holds the
    moment, and the cases either resident is a close contact of (their sub-close
    contacts, or a case among them, may change)."""
    mine = np.isin(cases.resident, [resident_a, resident_b]) & (cases.start <= at) & (
        at < cases.end)
    return sorted(set(cases.case_id[mine].tolist()) | close_contact_cases)
