"""The contact graph in compressed arrays.

Memberships (households, work groups, school classes) are held as CSR matrices in both
directions (resident -> memberships, group -> memberships) with their time intervals
as parallel arrays. Venue visits are sorted by (venue, arrival) into one 64-bit key,
so the visits overlapping a given visit are found by two binary searches and a filter;
visits added after loading go to a small delta segment that is searched as well and
merged into the main one when it grows. Recorded exposures are kept in both directions.
Times are whole seconds since the Unix epoch. No session, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array

from epidesk.tracing import rules
from epidesk.tracing.graph.rules import GraphArrays
from epidesk.tracing.rules import SETTING_CODES
from epidesk.tracing.visits.rules import EARLIEST_VISIT

IntArray: TypeAlias = NDArray[np.int64]
BoolArray: TypeAlias = NDArray[np.bool_]

HOUSEHOLD = SETTING_CODES[rules.HOUSEHOLD]
WORK_GROUP = SETTING_CODES[rules.WORK_GROUP]
SCHOOL_CLASS = SETTING_CODES[rules.SCHOOL_CLASS]
VENUE = SETTING_CODES[rules.VENUE]
EXPOSURE = SETTING_CODES[rules.EXPOSURE]
CLOSE = rules.TIER_CODES[rules.CLOSE]
SUB_CLOSE = rules.TIER_CODES[rules.SUB_CLOSE]
NO_VIA = -1

# Visit keys: the venue in the high 32 bits, the arrival in seconds from BASE below.
BASE = rules.seconds_of(EARLIEST_VISIT)
LOW_BITS = 32
LOW_MASK = (1 << LOW_BITS) - 1
# The delta segment is merged into the main one beyond this share of it.
DELTA_SHARE = 0.05
DELTA_MIN = 1_000_000


def expand(lo: IntArray, hi: IntArray) -> tuple[IntArray, IntArray]:
    """For ranges [lo, hi): the owner of every position and the position, all at once."""
    counts = np.maximum(hi - lo, 0)
    total = int(counts.sum())
    owner = np.repeat(np.arange(len(lo), dtype=np.int64), counts)
    shift = np.repeat(np.cumsum(counts) - counts - lo, counts)
    return owner, np.arange(total, dtype=np.int64) - shift


def _csr(rows: IntArray, columns: IntArray, shape: tuple[int, int]) -> csr_array:
    """A CSR matrix whose row r lists (in data) the positions of the entries of row r."""
    order = np.argsort(rows, kind="stable")
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=shape[0]), out=indptr[1:])
    return csr_array((order.astype(np.int64), columns[order].astype(np.int64), indptr),
                     shape=shape)


def rows_of(matrix: csr_array, rows: IntArray) -> tuple[IntArray, IntArray]:
    """(query index, entry position) of every entry of the given rows; unknown rows are empty."""
    indptr = matrix.indptr
    inside = (rows >= 0) & (rows < len(indptr) - 1)
    safe = np.where(inside, rows, 0)
    lo = np.where(inside, indptr[safe], 0)
    hi = np.where(inside, indptr[safe + 1], 0)
    owner, position = expand(lo, hi)
    return owner, np.asarray(matrix.data[position], dtype=np.int64)


@dataclass
class GroupIndex:
    """Memberships of one kind of group, sorted by group, indexed both ways."""

    setting: int
    resident: NDArray[np.int32]
    group: NDArray[np.int32]
    # None: every membership is unbounded.
    start: IntArray | None
    end: IntArray | None
    group_ptr: IntArray
    of_resident: csr_array

    @classmethod
    def build(cls, setting: int, resident: NDArray[Any], group: NDArray[Any],
              start: NDArray[Any] | None, end: NDArray[Any] | None,
              residents: int) -> GroupIndex:
        """Index memberships (resident, group, [start, end)) for residents ids < residents."""
        resident = np.asarray(resident, dtype=np.int64)
        group = np.asarray(group, dtype=np.int64)
        order = np.lexsort((resident, group))
        resident, group = resident[order], group[order]
        groups = int(group.max()) + 1 if len(group) else 0
        group_ptr = np.zeros(groups + 1, dtype=np.int64)
        np.cumsum(np.bincount(group, minlength=groups), out=group_ptr[1:])
        return cls(
            setting=setting,
            resident=resident.astype(np.int32),
            group=group.astype(np.int32),
            start=None if start is None else np.asarray(start, dtype=np.int64)[order],
            end=None if end is None else np.asarray(end, dtype=np.int64)[order],
            group_ptr=group_ptr,
            of_resident=_csr(resident, group, (max(residents, 1), max(groups, 1))),
        )

    def __len__(self) -> int:
        return len(self.resident)

    def pairs(self) -> int:
        """Pairs of members of the same group (every membership counted)."""
        sizes = np.diff(self.group_ptr).astype(np.int64)
        return int((sizes * (sizes - 1) // 2).sum())


@dataclass
class ExposureIndex:
    """Unprotected recorded exposures in both directions, by resident."""

    other: IntArray
    at: IntArray
    exposure_id: IntArray
    of_resident: csr_array

    @classmethod
    def build(cls, a: NDArray[Any], b: NDArray[Any], at: NDArray[Any],
              exposure_id: NDArray[Any], residents: int) -> ExposureIndex:
        """Index exposures between residents a and b at the given moments."""
        a = np.asarray(a, dtype=np.int64)
        b = np.asarray(b, dtype=np.int64)
        who = np.concatenate([a, b])
        other = np.concatenate([b, a])
        at2 = np.tile(np.asarray(at, dtype=np.int64), 2)
        ids = np.tile(np.asarray(exposure_id, dtype=np.int64), 2)
        order = np.lexsort((at2, who))
        who, other, at2, ids = who[order], other[order], at2[order], ids[order]
        size = max(residents, int(who.max()) + 1 if len(who) else 0, 1)
        return cls(other=other, at=at2, exposure_id=ids,
                   of_resident=_csr(who, other, (size, size)))

    def __len__(self) -> int:
        return len(self.other) // 2


@dataclass
class VisitSegment:
    """Venue visits sorted by (venue, arrival), with a resident -> visits index."""

    key: IntArray
    duration: NDArray[np.int32]
    resident: NDArray[np.int32]
    of_resident: csr_array
    longest: IntArray

    @classmethod
    def build(cls, resident: NDArray[Any], venue: NDArray[Any], start: NDArray[Any],
              end: NDArray[Any], residents: int) -> VisitSegment:
        """Sort visits and index them; times are seconds since the epoch."""
        resident = np.asarray(resident, dtype=np.int64)
        venue = np.asarray(venue, dtype=np.int64)
        start = np.asarray(start, dtype=np.int64)
        key = (venue << LOW_BITS) | (start - BASE)
        order = np.argsort(key, kind="stable")
        key = key[order]
        duration = (np.asarray(end, dtype=np.int64)[order] - start[order]).astype(np.int32)
        resident = resident[order]
        venues = int(venue.max()) + 1 if len(venue) else 0
        longest = np.zeros(venues, dtype=np.int64)
        if len(key):
            np.maximum.at(longest, key >> LOW_BITS, duration.astype(np.int64))
        size = max(residents, int(resident.max()) + 1 if len(resident) else 0, 1)
        return cls(key=key, duration=duration, resident=resident.astype(np.int32),
                   of_resident=_csr(resident, np.zeros(len(resident), dtype=np.int64),
                                    (size, 1)),
                   longest=longest)

    def __len__(self) -> int:
        return len(self.key)

    def start(self, positions: IntArray) -> IntArray:
        """Arrivals of the visits at positions."""
        return (self.key[positions] & LOW_MASK) + BASE

    def venue(self, positions: IntArray) -> IntArray:
        """Venues of the visits at positions."""
        return self.key[positions] >> LOW_BITS

    def columns(self) -> tuple[IntArray, IntArray, IntArray, IntArray]:
        """(resident, venue, start, end) of every visit."""
        every = np.arange(len(self.key), dtype=np.int64)
        start = self.start(every)
        return (self.resident.astype(np.int64), self.venue(every), start,
                start + self.duration.astype(np.int64))

    def overlapping_pairs(self) -> int:
        """Pairs of visits to the same venue that overlap in time."""
        if not len(self.key):
            return 0
        every = np.arange(len(self.key), dtype=np.int64)
        end_key = (self.venue(every) << LOW_BITS) | (self.start(every)
                                                     + self.duration - BASE)
        later = np.searchsorted(self.key, end_key, side="left") - every - 1
        return int(np.maximum(later, 0).sum())


def _empty_visits(residents: int) -> VisitSegment:
    none = np.zeros(0, dtype=np.int64)
    return VisitSegment.build(none, none, none, none, residents)


@dataclass
class ContactGraph:
    """Everything classification reads: memberships, visits and recorded exposures."""

    residents: int
    households: GroupIndex
    work_groups: GroupIndex
    school_classes: GroupIndex
    exposures: ExposureIndex
    visits: VisitSegment
    delta: VisitSegment | None = None
    delta_columns: tuple[IntArray, IntArray, IntArray, IntArray] | None = None
    # The largest visit id loaded, so that a refresh fetches only newer ones.
    visit_watermark: int = 0
    merges: int = 0

    @property
    def visit_count(self) -> int:
        """Visits in the graph, main and delta."""
        return len(self.visits) + (len(self.delta) if self.delta is not None else 0)

    def segments(self) -> list[VisitSegment]:
        """The visit segments to search."""
        return [self.visits] if self.delta is None else [self.visits, self.delta]

    def groups(self, settings: frozenset[int]) -> list[GroupIndex]:
        """The membership indexes of the given settings."""
        return [g for g in (self.households, self.work_groups, self.school_classes)
                if g.setting in settings]

    def add_visits(self, resident: NDArray[Any], venue: NDArray[Any], start: NDArray[Any],
                   end: NDArray[Any], *, watermark: int | None = None) -> None:
        """Add visits without rebuilding: they join the delta segment (merged when large)."""
        columns = tuple(np.asarray(c, dtype=np.int64) for c in (resident, venue, start, end))
        if self.delta_columns is not None:
            columns = tuple(np.concatenate([old, new])
                            for old, new in zip(self.delta_columns, columns, strict=True))
        self.delta_columns = (columns[0], columns[1], columns[2], columns[3])
        if watermark is not None:
            self.visit_watermark = max(self.visit_watermark, watermark)
        if len(columns[0]) > max(DELTA_MIN, DELTA_SHARE * len(self.visits)):
            self.merge()
            return
        self.delta = VisitSegment.build(*self.delta_columns, self.residents)

    def merge(self) -> None:
        """Merge the delta segment into the main one."""
        if self.delta_columns is None:
            return
        main = self.visits.columns()
        r, v, s, e = (np.concatenate([a, b]) for a, b in zip(main, self.delta_columns,
                                                             strict=True))
        self.visits = VisitSegment.build(r, v, s, e, self.residents)
        self.delta = None
        self.delta_columns = None
        self.merges += 1

    def opportunities(self) -> dict[str, int]:
        """Exposure opportunities: pairs sharing a group, and overlapping visit pairs."""
        self.merge()
        counts = {
            "household_pairs": self.households.pairs(),
            "work_group_pairs": self.work_groups.pairs(),
            "school_class_pairs": self.school_classes.pairs(),
            "venue_visit_pairs": self.visits.overlapping_pairs(),
            "recorded_exposures": len(self.exposures),
        }
        counts["total"] = sum(counts.values())
        return counts


def build_graph(arrays: GraphArrays) -> ContactGraph:
    """Index every membership, exposure and visit."""
    ids = [arrays.household_resident, arrays.work_resident, arrays.class_resident,
           arrays.exposure_a, arrays.exposure_b, arrays.visit_resident]
    residents = max((int(a.max()) + 1 for a in ids if len(a)), default=1)
    return ContactGraph(
        residents=residents,
        households=GroupIndex.build(HOUSEHOLD, arrays.household_resident,
                                    arrays.household_group, arrays.household_start,
                                    arrays.household_end, residents),
        work_groups=GroupIndex.build(WORK_GROUP, arrays.work_resident, arrays.work_group,
                                     arrays.work_start, arrays.work_end, residents),
        school_classes=GroupIndex.build(SCHOOL_CLASS, arrays.class_resident,
                                        arrays.class_group, arrays.class_start,
                                        arrays.class_end, residents),
        exposures=ExposureIndex.build(arrays.exposure_a, arrays.exposure_b,
                                      arrays.exposure_at, arrays.exposure_id, residents),
        visits=VisitSegment.build(arrays.visit_resident, arrays.visit_venue,
                                  arrays.visit_start, arrays.visit_end, residents),
        visit_watermark=arrays.visit_watermark,
    )


def with_exposures(graph: ContactGraph, a: NDArray[Any], b: NDArray[Any], at: NDArray[Any],
                   exposure_id: NDArray[Any]) -> ContactGraph:
    """The graph with its recorded exposures replaced."""
    graph.exposures = ExposureIndex.build(a, b, at, exposure_id, graph.residents)
    return graph
