"""The contact graph in compressed arrays, and classification of cases on it.

Memberships (households, work groups, school classes) are held as CSR matrices in both
directions (resident -> memberships, group -> memberships) with their time intervals
as parallel arrays. Venue visits are sorted by (venue, arrival) into one 64-bit key,
so the visits overlapping a given visit are found by two binary searches and a filter;
visits added after loading go to a small delta segment that is searched as well and
merged into the main one when it grows. Recorded exposures are kept in both directions.

Every step of a classification works on whole arrays of cases at once; the result is
plain arrays of evidence rows (contact, case, tier, setting, place, via, start, end).
Times are whole seconds since the Unix epoch. No session, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from numpy.typing import NDArray
from scipy.sparse import csr_array

from epidesk.testing.rules import FILE_LINE, HEADER_LINE, MAX_REPORTED, Problem, Report, line_of
from epidesk.tracing import rules
from epidesk.tracing.rules import FOREVER, SETTING_CODES

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
BASE = rules.seconds_of(rules.EARLIEST_VISIT)
LOW_BITS = 32
LOW_MASK = (1 << LOW_BITS) - 1
# The delta segment is merged into the main one beyond this share of it.
DELTA_SHARE = 0.05
DELTA_MIN = 1_000_000


def _expand(lo: IntArray, hi: IntArray) -> tuple[IntArray, IntArray]:
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


def _rows_of(matrix: csr_array, rows: IntArray) -> tuple[IntArray, IntArray]:
    """(query index, entry position) of every entry of the given rows; unknown rows are empty."""
    indptr = matrix.indptr
    inside = (rows >= 0) & (rows < len(indptr) - 1)
    safe = np.where(inside, rows, 0)
    lo = np.where(inside, indptr[safe], 0)
    hi = np.where(inside, indptr[safe + 1], 0)
    owner, position = _expand(lo, hi)
    return owner, np.asarray(matrix.data[position], dtype=np.int64)


# ------------------------------------------------------------------ the graph


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


@dataclass(frozen=True)
class GraphArrays:
    """The raw columns a graph is built from (times in seconds since the epoch)."""

    household_resident: IntArray
    household_group: IntArray
    household_start: IntArray
    household_end: IntArray
    work_resident: IntArray
    work_group: IntArray
    work_start: IntArray
    work_end: IntArray
    class_resident: IntArray
    class_group: IntArray
    class_start: IntArray
    class_end: IntArray
    exposure_id: IntArray
    exposure_a: IntArray
    exposure_b: IntArray
    exposure_at: IntArray
    visit_resident: IntArray
    visit_venue: IntArray
    visit_start: IntArray
    visit_end: IntArray
    visit_watermark: int = 0


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


# ------------------------------------------------------------------ classification


@dataclass(frozen=True)
class CaseBatch:
    """Cases to classify: id, resident and close-contact window [start, end)."""

    case_id: IntArray
    resident: IntArray
    start: IntArray
    end: IntArray

    @classmethod
    def of(cls, case_id: Sequence[int] | NDArray[Any], resident: Sequence[int] | NDArray[Any],
           start: Sequence[int] | NDArray[Any], end: Sequence[int] | NDArray[Any]
           ) -> CaseBatch:
        """A batch from sequences."""
        return cls(*(np.asarray(x, dtype=np.int64).reshape(-1)
                     for x in (case_id, resident, start, end)))

    def __len__(self) -> int:
        return len(self.case_id)


@dataclass(frozen=True)
class Parameters:
    """What the preset and the moment ask of a classification (see rules.TracingRules)."""

    close_settings: frozenset[int]
    min_overlap: int
    sub_close_settings: frozenset[int] | None
    promote: bool
    now: int

    @classmethod
    def of(cls, tracing: rules.TracingRules, now: int) -> Parameters:
        """Parameters from the preset's tracing rules at a moment."""
        sub = tracing.sub_close_settings
        return cls(
            close_settings=frozenset(SETTING_CODES[s] for s in tracing.close_settings),
            min_overlap=tracing.min_overlap_seconds,
            sub_close_settings=None if sub is None else frozenset(SETTING_CODES[s]
                                                                  for s in sub),
            promote=tracing.promote,
            now=now,
        )


@dataclass(frozen=True)
class Lookup:
    """The smallest known value per resident (sorted keys), e.g. an isolation time."""

    keys: IntArray
    values: IntArray

    @classmethod
    def of(cls, keys: Sequence[int] | NDArray[Any], values: Sequence[int] | NDArray[Any]
           ) -> Lookup:
        """A lookup keeping the smallest value of each key."""
        k = np.asarray(keys, dtype=np.int64).reshape(-1)
        v = np.asarray(values, dtype=np.int64).reshape(-1)
        if not len(k):
            return cls(k, v)
        order = np.lexsort((v, k))
        k, v = k[order], v[order]
        first = np.ones(len(k), dtype=bool)
        first[1:] = k[1:] != k[:-1]
        return cls(k[first], v[first])

    @classmethod
    def empty(cls) -> Lookup:
        """A lookup that knows nothing."""
        return cls.of([], [])

    def get(self, query: IntArray, default: int) -> IntArray:
        """The value of each queried key, default where unknown."""
        if not len(self.keys):
            return np.full(len(query), default, dtype=np.int64)
        at = np.searchsorted(self.keys, query)
        at = np.minimum(at, len(self.keys) - 1)
        return np.where(self.keys[at] == query, self.values[at], default).astype(np.int64)


EVIDENCE_COLUMNS = ("contact", "case_id", "tier", "setting", "place", "via", "start", "end")


@dataclass(frozen=True)
class Evidence:
    """Evidence rows in a canonical order without duplicates; via is -1 for direct evidence."""

    contact: IntArray
    case_id: IntArray
    tier: NDArray[np.int8]
    setting: NDArray[np.int8]
    place: IntArray
    via: IntArray
    start: IntArray
    end: IntArray

    def __len__(self) -> int:
        return len(self.contact)

    def rows(self) -> set[tuple[int, ...]]:
        """Every row as a tuple (for comparisons)."""
        return set(zip(*(getattr(self, c).tolist() for c in EVIDENCE_COLUMNS), strict=True))

    def take(self, mask: NDArray[Any]) -> Evidence:
        """The rows selected by a mask or index array."""
        return Evidence(*(getattr(self, c)[mask] for c in EVIDENCE_COLUMNS))

    @classmethod
    def empty(cls) -> Evidence:
        """No evidence."""
        none = np.zeros(0, dtype=np.int64)
        small = np.zeros(0, dtype=np.int8)
        return cls(none, none, small, small, none, none, none, none)

    @classmethod
    def unique(cls, columns: Mapping[str, NDArray[Any]]) -> Evidence:
        """Evidence from columns with exact duplicate rows dropped, in the given order.

        Duplicates are rare: rows are hashed, the hashes sorted, and only rows whose hash
        occurs twice are compared in full.
        """
        cols = [np.asarray(columns[c], dtype=np.int64) for c in EVIDENCE_COLUMNS]
        if not len(cols[0]):
            return cls.empty()
        digest = row_digest(cols)
        ordered = np.sort(digest)
        repeated = ordered[1:][ordered[1:] == ordered[:-1]]
        if len(repeated):
            keep = np.ones(len(digest), dtype=bool)
            known: set[tuple[int, ...]] = set()
            for r in np.flatnonzero(np.isin(digest, repeated)).tolist():
                key = tuple(int(c[r]) for c in cols)
                keep[r] = key not in known
                known.add(key)
            cols = [c[keep] for c in cols]
        return cls(cols[0], cols[1], cols[2].astype(np.int8), cols[3].astype(np.int8),
                   cols[4], cols[5], cols[6], cols[7])

    def sorted(self) -> Evidence:
        """The same rows sorted by every column (for comparisons)."""
        cols = [np.asarray(getattr(self, c), dtype=np.int64) for c in EVIDENCE_COLUMNS]
        if not len(cols[0]):
            return self
        order = np.lexsort(cols[::-1])
        return self.take(order)

    @classmethod
    def canonical(cls, columns: Mapping[str, NDArray[Any]]) -> Evidence:
        """Evidence from unsorted columns, duplicates dropped, sorted by every column."""
        return cls.unique(columns).sorted()


def row_digest(columns: Sequence[IntArray]) -> IntArray:
    """A 64-bit hash of each row of the columns."""
    h = np.full(len(columns[0]), 0x9E3779B97F4A7C15, dtype=np.uint64)
    for column in columns:
        h ^= column.astype(np.uint64)
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(31)
    return h.view(np.int64)


@dataclass
class _Found:
    """People who shared a setting with a centre: centre index, other, setting, place, time."""

    centre: IntArray
    other: IntArray
    setting: IntArray
    place: IntArray
    start: IntArray
    end: IntArray

    @classmethod
    def concat(cls, parts: Sequence[_Found]) -> _Found:
        """The rows of every part, in order."""
        if not parts:
            none = np.zeros(0, dtype=np.int64)
            return cls(none, none, none, none, none, none)
        return cls(*(np.concatenate([getattr(p, name) for p in parts])
                     for name in ("centre", "other", "setting", "place", "start", "end")))

    def take(self, mask: NDArray[Any]) -> _Found:
        """The rows selected by a mask or index array."""
        return _Found(self.centre[mask], self.other[mask], self.setting[mask],
                      self.place[mask], self.start[mask], self.end[mask])


def _in_groups(index: GroupIndex, centre: IntArray, wstart: IntArray,
               wend: IntArray) -> _Found:
    """Members of the centres' groups whose membership overlaps the centre's, in the window."""
    q, m = _rows_of(index.of_resident, centre)
    a, b = wstart[q], wend[q]
    if index.start is not None and index.end is not None:
        a = np.maximum(a, index.start[m])
        b = np.minimum(b, index.end[m])
    keep = a < b
    q, m, a, b = q[keep], m[keep], a[keep], b[keep]
    group = index.group[m].astype(np.int64)
    j, o = _expand(index.group_ptr[group], index.group_ptr[group + 1])
    start, end = a[j], b[j]
    if index.start is not None and index.end is not None:
        start = np.maximum(start, index.start[o])
        end = np.minimum(end, index.end[o])
    other = index.resident[o].astype(np.int64)
    keep = (start < end) & (other != centre[q[j]])
    return _Found(q[j][keep], other[keep], np.full(int(keep.sum()), index.setting),
                  group[j][keep], start[keep], end[keep])


def _recorded(index: ExposureIndex, centre: IntArray, wstart: IntArray,
              wend: IntArray) -> _Found:
    """People with a recorded exposure to a centre at a moment inside its window."""
    q, e = _rows_of(index.of_resident, centre)
    at = index.at[e]
    other = index.other[e]
    keep = (at >= wstart[q]) & (at < wend[q]) & (other != centre[q])
    return _Found(q[keep], other[keep], np.full(int(keep.sum()), EXPOSURE),
                  index.exposure_id[e][keep], at[keep], at[keep])


def _covisits(graph: ContactGraph, centre: IntArray, wstart: IntArray, wend: IntArray,
              min_overlap: int) -> _Found:
    """Visitors of the centres' venues whose visits overlap theirs long enough, in the window."""
    segments = graph.segments()
    qs, venues, lows, highs = [], [], [], []
    for seg in segments:
        q, p = _rows_of(seg.of_resident, centre)
        start = seg.start(p)
        a = np.maximum(start, wstart[q])
        b = np.minimum(start + seg.duration[p], wend[q])
        keep = b - a >= min_overlap
        qs.append(q[keep])
        venues.append(seg.venue(p[keep]))
        lows.append(a[keep])
        highs.append(b[keep])
    q = np.concatenate(qs)
    venue = np.concatenate(venues)
    a = np.concatenate(lows)
    b = np.concatenate(highs)
    found: list[_Found] = []
    for seg in segments:
        if not len(seg.longest):
            continue  # a segment without visits (e.g. every visit arrived later)
        known = venue < len(seg.longest)
        longest = np.where(known, seg.longest[np.where(known, venue, 0)], 0)
        earliest = np.clip(a + min_overlap - longest - BASE, 0, LOW_MASK)
        latest = np.clip(b - min_overlap - BASE, 0, LOW_MASK)
        lo = np.searchsorted(seg.key, (venue << LOW_BITS) | earliest, side="left")
        hi = np.searchsorted(seg.key, (venue << LOW_BITS) | latest, side="right")
        hi = np.where(known, hi, lo)
        j, o = _expand(lo, hi)
        s_o = seg.start(o)
        start = np.maximum(a[j], s_o)
        end = np.minimum(b[j], s_o + seg.duration[o])
        other = seg.resident[o].astype(np.int64)
        keep = (end - start >= min_overlap) & (other != centre[q[j]])
        found.append(_Found(q[j][keep], other[keep], np.full(int(keep.sum()), VENUE),
                            venue[j][keep], start[keep], end[keep]))
    return _Found.concat(found)


def shared_settings(graph: ContactGraph, centre: IntArray, wstart: IntArray,
                    wend: IntArray, settings: frozenset[int]) -> _Found:
    """Who shared a household, group or recorded exposure with each centre in its window."""
    parts = [_in_groups(g, centre, wstart, wend) for g in graph.groups(settings)]
    if EXPOSURE in settings:
        parts.append(_recorded(graph.exposures, centre, wstart, wend))
    return _Found.concat(parts)


def classify(graph: ContactGraph, cases: CaseBatch, params: Parameters, *,
             isolation: Lookup | None = None, prior: Lookup | None = None) -> Evidence:
    """Close and sub-close contacts of a batch of cases, with their evidence.

    `isolation` gives when residents were isolated (a close contact's quarantine, a
    case's isolation); anyone else counts as isolated at `params.now`. `prior` gives
    the first exposure of residents as direct close contacts of cases outside the batch.
    """
    isolation = isolation or Lookup.empty()
    prior = prior or Lookup.empty()
    n = len(cases)
    if n == 0:
        return Evidence.empty()
    centre, wstart, wend = cases.resident, cases.start, cases.end
    direct = shared_settings(graph, centre, wstart, wend, params.close_settings)
    direct = _Found.concat([direct, _covisits(graph, centre, wstart, wend,
                                              params.min_overlap)])
    parts: list[dict[str, IntArray]] = [_rows(direct, direct.centre, CLOSE, None)]
    sub = params.sub_close_settings
    if sub is not None:
        # Each (case, direct close contact) pair: from the first exposure to isolation.
        order = np.lexsort((direct.start, direct.other, direct.centre))
        pc_case, pc_contact = direct.centre[order], direct.other[order]
        first = np.ones(len(pc_case), dtype=bool)
        first[1:] = (pc_case[1:] != pc_case[:-1]) | (pc_contact[1:] != pc_contact[:-1])
        pair_case, pair_contact = pc_case[first], pc_contact[first]
        pair_start = direct.start[order][first]
        pair_end = np.minimum(isolation.get(pair_contact, params.now), params.now)
        ok = pair_start < pair_end
        pair_case, pair_contact = pair_case[ok], pair_contact[ok]
        via = shared_settings(graph, pair_contact, pair_start[ok], pair_end[ok], sub)
        case_of = pair_case[via.centre]
        keep = via.other != centre[case_of]
        via = via.take(keep)
        parts.append(_rows(via, case_of[keep], SUB_CLOSE, pair_contact[via.centre]))
    if sub is not None and params.promote:
        parts.append(_promoted(graph, cases, direct, params, isolation, prior, sub))
    columns = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
    columns["case_id"] = cases.case_id[columns.pop("case_index")]
    return Evidence.unique(columns)


def _promoted(graph: ContactGraph, cases: CaseBatch, direct: _Found, params: Parameters,
              isolation: Lookup, prior: Lookup, sub: frozenset[int]) -> dict[str, IntArray]:
    """Close contacts of cases that were direct close contacts of other cases."""
    batch_first = Lookup.of(direct.other, direct.start)
    first = np.minimum(batch_first.get(cases.resident, FOREVER),
                       prior.get(cases.resident, FOREVER))
    until = np.minimum(isolation.get(cases.resident, params.now), params.now)
    ok = np.flatnonzero(first < until)
    found = shared_settings(graph, cases.resident[ok], first[ok], until[ok], sub)
    return _rows(found, ok[found.centre], CLOSE, cases.resident[ok][found.centre])


def _rows(found: _Found, case_index: IntArray, tier: int,
          via: IntArray | None) -> dict[str, IntArray]:
    size = len(found.other)
    return {
        "contact": found.other, "case_index": case_index,
        "tier": np.full(size, tier, dtype=np.int64),
        "setting": found.setting, "place": found.place,
        "via": np.full(size, NO_VIA, dtype=np.int64) if via is None else via,
        "start": found.start, "end": found.end,
    }


# ------------------------------------------------------------------ visit logs


class UnreadableVisitLog(Exception):
    """The bytes are not a CSV file this format can read."""


MISSING = np.iinfo(np.int64).min
_INTEGER = r"^\s*[+-]?\d{1,18}\s*$"
_TIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(Z|z|[+-]\d{2}(:?\d{2})?)$"


@dataclass
class Finding:
    """One kind of problem found in one column, on the given rows (0-based)."""

    kind: str
    column: str
    rows: IntArray
    message: Any


@dataclass
class ParsedVisits:
    """A visit log's values as numpy columns; bad or missing values are MISSING."""

    rows: int
    resident_id: IntArray
    venue_id: IntArray
    started_at: IntArray
    ended_at: IntArray
    raw: dict[str, pa.Array]
    findings: list[Finding] = field(default_factory=list)
    file_problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong with the log."""
        return not self.findings and not self.file_problems


def read_visit_log(data: bytes) -> pa.Table:
    """A visit log's columns as text."""
    try:
        head = bytes(data[: 64 * 1024]).split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8-sig")
        names = [n.strip().strip('"') for n in head.split(",")]
        return pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(use_threads=True, block_size=16 * 2**20),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=True,
                quoted_strings_can_be_null=True, null_values=[""]),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError, UnicodeDecodeError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnreadableVisitLog(message) from exc


def _text_at(array: pa.Array, row: int) -> str:
    value = array[row].as_py()
    text = "" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _mask(array: pa.Array | pa.ChunkedArray) -> BoolArray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)


def _combined(column: pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)


def parse_visits(table: pa.Table) -> ParsedVisits:
    """A visit log's columns as numpy arrays, with every value-level problem found."""
    rows = table.num_rows
    names = list(table.column_names)
    problems: list[Problem] = []
    findings: list[Finding] = []
    seen: set[str] = set()
    for name in names:
        if name not in rules.VISIT_COLUMNS:
            problems.append(Problem(HEADER_LINE, name, "unknown_column",
                                    f"unknown column {name!r}; columns: "
                                    f"{', '.join(rules.VISIT_COLUMNS)}"))
        elif name in seen:
            problems.append(Problem(HEADER_LINE, name, "unknown_column",
                                    f"the column {name!r} appears twice"))
        seen.add(name)
    for name in rules.VISIT_COLUMNS:
        if name not in names:
            problems.append(Problem(HEADER_LINE, name, "missing_column",
                                    f"the required column {name!r} is missing"))
    if rows == 0:
        problems.append(Problem(FILE_LINE, "", "empty_file", "the file holds no visit"))
    raw: dict[str, pa.Array] = {}
    values: dict[str, IntArray] = {}
    for name in rules.VISIT_COLUMNS:
        array = (_combined(table.column(names.index(name))) if name in names
                 else pa.nulls(rows, pa.string()))
        array = array.cast(pa.string()) if not pa.types.is_string(array.type) else array
        raw[name] = array
        null = _mask(array.is_null())
        if name in names and null.any():
            findings.append(Finding("missing_value", name, np.flatnonzero(null),
                                    lambda _r, n=name: f"{n} is empty"))
        if name.endswith("_id"):
            values[name] = _integers(findings, name, array, null)
        else:
            values[name] = _seconds(findings, name, array, null)
    return ParsedVisits(rows=rows, resident_id=values["resident_id"],
                        venue_id=values["venue_id"], started_at=values["started_at"],
                        ended_at=values["ended_at"], raw=raw, findings=findings,
                        file_problems=problems)


def _integers(findings: list[Finding], name: str, text: pa.Array, null: BoolArray) -> IntArray:
    ok = _mask(pc.fill_null(pc.match_substring_regex(text, _INTEGER), False))
    cleaned = pc.if_else(pa.array(ok), pc.utf8_trim_whitespace(text),
                         pa.nulls(len(text), pa.string()))
    out = np.asarray(pc.cast(cleaned, pa.int64()).fill_null(MISSING)
                     .to_numpy(zero_copy_only=False), dtype=np.int64)
    bad = ~ok & ~null
    if bad.any():
        findings.append(Finding("bad_integer", name, np.flatnonzero(bad),
                                lambda r: f"{_text_at(text, r)!r} is not a whole number"))
    return out


def _seconds(findings: list[Finding], name: str, text: pa.Array, null: BoolArray) -> IntArray:
    ok = _mask(pc.fill_null(pc.match_substring_regex(text, _TIME), False))
    cleaned = pc.if_else(pa.array(ok), text, pa.nulls(len(text), pa.string()))
    utc = pa.timestamp("s", tz="UTC")
    try:
        parsed = pc.cast(cleaned, utc)
        out = np.asarray(parsed.cast(pa.int64()).fill_null(MISSING)
                         .to_numpy(zero_copy_only=False), dtype=np.int64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        out = np.full(len(text), MISSING, dtype=np.int64)
        from datetime import datetime

        for r in np.flatnonzero(ok).tolist():
            try:
                moment = datetime.fromisoformat(str(text[r].as_py()).replace("z", "Z"))
            except ValueError:
                ok[r] = False
                continue
            out[r] = rules.seconds_of(moment)
    bad = ~ok & ~null
    if bad.any():
        findings.append(Finding(
            "bad_time", name, np.flatnonzero(bad),
            lambda r: f"{_text_at(text, r)!r} is not an ISO 8601 time with a UTC offset, "
                      "to the second (e.g. 2026-11-20T08:15:00+08:00)"))
    return out


def known(values: IntArray, bitmap: BoolArray) -> BoolArray:
    """Which values are set in a bitmap of ids (negative or too large ones are not)."""
    inside = (values >= 0) & (values < len(bitmap))
    out = np.zeros(len(values), dtype=bool)
    out[inside] = bitmap[values[inside]]
    return out


def bitmap(ids: NDArray[Any]) -> BoolArray:
    """A boolean array, True at every given id."""
    ids = np.asarray(ids, dtype=np.int64)
    out = np.zeros(int(ids.max()) + 1 if len(ids) else 0, dtype=bool)
    out[ids] = True
    return out


def validate_visits(parsed: ParsedVisits, *, residents: BoolArray, venues: BoolArray,
                    now: int) -> None:
    """Add every cross-field problem of the log to its findings."""
    f = parsed.findings
    for name, values, ids, kind, what in (
            ("resident_id", parsed.resident_id, residents, "unknown_resident", "resident"),
            ("venue_id", parsed.venue_id, venues, "unknown_venue", "venue")):
        unknown = (values != MISSING) & ~known(values, ids)
        if unknown.any():
            f.append(Finding(kind, name, np.flatnonzero(unknown),
                             lambda r, v=values, w=what: f"no registered {w} has the id {v[r]}"))
    start, end = parsed.started_at, parsed.ended_at
    latest = now + int(rules.CLOCK_TOLERANCE.total_seconds())
    earliest = BASE
    for name, values in (("started_at", start), ("ended_at", end)):
        present = values != MISSING
        future = present & (values > latest)
        early = present & (values < earliest)
        if future.any():
            f.append(Finding("time_in_future", name, np.flatnonzero(future),
                             lambda r, n=name: f"{_text_at(parsed.raw[n], r)} is after now"))
        if early.any():
            f.append(Finding("time_too_early", name, np.flatnonzero(early),
                             lambda r, n=name: f"{_text_at(parsed.raw[n], r)} is before 2000"))
    both = (start != MISSING) & (end != MISSING)
    backwards = both & (end <= start)
    too_long = both & ~backwards & (end - start > int(rules.MAX_VISIT.total_seconds()))
    if backwards.any():
        f.append(Finding("end_not_after_start", "ended_at", np.flatnonzero(backwards),
                         lambda r: f"departure {_text_at(parsed.raw['ended_at'], r)} is not "
                                   f"after arrival {_text_at(parsed.raw['started_at'], r)}"))
    if too_long.any():
        f.append(Finding("visit_too_long", "ended_at", np.flatnonzero(too_long),
                         lambda r: f"the visit lasts {(end[r] - start[r]) / 3600:.1f} hours "
                                   "(at most 24)"))
    duplicates = duplicate_visits(parsed)
    if duplicates is not None:
        f.append(duplicates)


def visit_keys(parsed: ParsedVisits) -> IntArray:
    """Row order that groups identical (resident, venue, arrival) visits together."""
    return np.lexsort((parsed.started_at, parsed.venue_id, parsed.resident_id))


def duplicate_visits(parsed: ParsedVisits) -> Finding | None:
    """Visits (resident, venue, arrival) that appear on more than one line."""
    valid = ((parsed.resident_id != MISSING) & (parsed.venue_id != MISSING)
             & (parsed.started_at != MISSING))
    rows = np.flatnonzero(valid)
    if len(rows) < 2:
        return None
    order = rows[np.lexsort((rows, parsed.started_at[rows], parsed.venue_id[rows],
                             parsed.resident_id[rows]))]
    same = ((parsed.resident_id[order][1:] == parsed.resident_id[order][:-1])
            & (parsed.venue_id[order][1:] == parsed.venue_id[order][:-1])
            & (parsed.started_at[order][1:] == parsed.started_at[order][:-1]))
    if not same.any():
        return None
    # Every repeat points at the first line of its run of equal visits.
    run_start = np.concatenate([[True], ~same])
    first_of = order[np.maximum.accumulate(np.where(run_start, np.arange(len(order)), 0))]
    again = np.concatenate([[False], same])
    repeats = order[again]
    earlier = dict(zip(repeats.tolist(), first_of[again].tolist(), strict=True))
    return Finding("duplicate_visit", "started_at", np.sort(repeats),
                   lambda r: f"the same visit is on line {line_of(earlier[r])}")


def visit_report(parsed: ParsedVisits | None, extra: Sequence[Finding] = (),
                 file_problems: Sequence[Problem] = (), *,
                 limit: int = MAX_REPORTED) -> Report:
    """The log's report: the first problems by line and the counts of every kind."""
    findings = [*(parsed.findings if parsed else []), *extra]
    problems = [*(parsed.file_problems if parsed else []), *file_problems]
    counts: dict[str, int] = {}
    for p in problems:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    for finding in findings:
        counts[finding.kind] = counts.get(finding.kind, 0) + len(finding.rows)
    order = {name: i for i, name in enumerate(rules.VISIT_COLUMNS)}
    candidates: list[tuple[int, int, int, int]] = []
    for i, finding in enumerate(findings):
        for r in np.sort(finding.rows)[:limit].tolist():
            candidates.append((r, order.get(finding.column, len(order)), i, r))
    candidates.sort()
    listed = list(problems)
    for _row, _col, i, r in candidates[: max(0, limit - len(listed))]:
        finding = findings[i]
        listed.append(Problem(line_of(r), finding.column, finding.kind, finding.message(r)))
    return rules.visit_report(listed, counts, limit=limit)


def rows_of_visits(parsed: ParsedVisits, resident: IntArray, venue: IntArray,
                   start: IntArray) -> IntArray:
    """Rows of the log holding any of the given (resident, venue, arrival) visits."""
    if not len(resident):
        return np.zeros(0, dtype=np.int64)
    wanted = set(zip(resident.tolist(), venue.tolist(), start.tolist(), strict=True))
    mine = zip(parsed.resident_id.tolist(), parsed.venue_id.tolist(),
               parsed.started_at.tolist(), strict=True)
    return np.asarray([r for r, key in enumerate(mine) if key in wanted], dtype=np.int64)


def write_visit_log(columns: Mapping[str, Sequence[Any] | NDArray[Any]]) -> bytes:
    """A visit log CSV from columns (integer ids; times as ISO strings or epoch seconds)."""
    out: dict[str, pa.Array] = {}
    for name, values in columns.items():
        if name.endswith("_at") and isinstance(values, np.ndarray) and values.dtype.kind == "i":
            out[name] = pa.array(iso_times(values))
        else:
            out[name] = pa.array(list(values) if not isinstance(values, np.ndarray) else values)
    buffer = pa.BufferOutputStream()
    pacsv.write_csv(pa.table(out), buffer, write_options=pacsv.WriteOptions(
        include_header=True, quoting_style="none"))
    return bytes(buffer.getvalue())


def iso_times(seconds: NDArray[Any]) -> NDArray[np.str_]:
    """Seconds since the epoch as ISO 8601 times in the city's offset (+08:00)."""
    offset = int(rules.CITY_UTC_OFFSET.total_seconds())
    local = (np.asarray(seconds, dtype=np.int64) + offset).astype("datetime64[s]")
    text = np.datetime_as_string(local, unit="s")
    return np.char.add(text.astype(str), "+08:00")


# ------------------------------------------------------------------ synthetic visits

# Typical minutes a visit lasts, by venue kind (assumption, for synthetic data only).
VISIT_MINUTES: dict[str, float] = {
    "restaurant": 50, "convenience_store": 8, "supermarket": 30, "market": 35,
    "pharmacy": 10, "clinic": 60, "barbershop": 40, "gym": 75, "mahjong_parlour": 150,
    "internet_cafe": 120, "karaoke": 120, "bathhouse": 90, "cinema": 130, "bank": 20,
    "hotel": 600, "church_or_temple": 45, "park": 50, "square": 45, "bus_station": 25,
    "hospital": 120,
}
DEFAULT_VISIT_MINUTES = 30.0
# Assumption: a resident visits a recorded venue about once in ten days, mostly in their
# own community; visits start between 07:00 and 21:00 local time.
VISITS_PER_DAY = 0.1
OWN_COMMUNITY_SHARE = 0.7
OPENING_MINUTE = 7 * 60
CLOSING_MINUTE = 21 * 60


@dataclass(frozen=True)
class VenueTable:
    """The venues synthetic visits go to."""

    venue_id: IntArray
    community_id: IntArray
    kind: Sequence[str]


def synthetic_visits(resident_id: IntArray, community_id: IntArray, venues: VenueTable, *,
                     first_day: int, days: int, seed: int, chunk: int = 1_000_000
                     ) -> Iterator[tuple[IntArray, IntArray, IntArray, IntArray]]:
    """Visits of the residents over `days` days from the local midnight `first_day`.

    Yields (resident, venue, start, end) per chunk of residents; the same seed, residents
    and venues always give the same visits.
    """
    if not len(venues.venue_id) or days <= 0:
        return
    v_order = np.argsort(venues.community_id, kind="stable")
    v_id = np.asarray(venues.venue_id, dtype=np.int64)[v_order]
    v_comm = np.asarray(venues.community_id, dtype=np.int64)[v_order]
    kinds = sorted(set(venues.kind))
    minutes_of_kind = np.array([VISIT_MINUTES.get(k, DEFAULT_VISIT_MINUTES) for k in kinds])
    kind_code = {k: i for i, k in enumerate(kinds)}
    v_minutes = minutes_of_kind[np.array([kind_code[venues.kind[i]] for i in v_order],
                                         dtype=np.int64)]
    communities = int(max(v_comm.max(), int(np.max(community_id)) if len(community_id)
                          else 0)) + 1
    c_ptr = np.zeros(communities + 1, dtype=np.int64)
    np.cumsum(np.bincount(v_comm, minlength=communities), out=c_ptr[1:])
    streams = np.random.SeedSequence(seed).spawn(max(1, -(-len(resident_id) // chunk)))
    for n, begin in enumerate(range(0, len(resident_id), chunk)):
        rng = np.random.default_rng(streams[n])
        people = np.asarray(resident_id[begin: begin + chunk], dtype=np.int64)
        home = np.asarray(community_id[begin: begin + chunk], dtype=np.int64)
        count = rng.poisson(VISITS_PER_DAY * days, len(people))
        who = np.repeat(np.arange(len(people)), count)
        total = len(who)
        local = home[who]
        available = c_ptr[local + 1] - c_ptr[local]
        near = (rng.random(total) < OWN_COMMUNITY_SHARE) & (available > 0)
        pick = np.where(near, c_ptr[local] + (rng.random(total) * np.maximum(available, 1))
                        .astype(np.int64), rng.integers(0, len(v_id), total))
        day = rng.integers(0, days, total)
        minute = rng.integers(OPENING_MINUTE, CLOSING_MINUTE, total)
        typical = v_minutes[pick]
        length = np.clip(np.round(rng.lognormal(np.log(typical), 0.4)), 5,
                         24 * 60).astype(np.int64)
        start = first_day + day * 86_400 + minute * 60
        end = start + length * 60
        resident = people[who]
        venue = v_id[pick]
        # A resident never arrives twice at the same venue in the same second.
        order = np.lexsort((start, venue, resident))
        resident, venue, start, end = resident[order], venue[order], start[order], end[order]
        keep = np.ones(total, dtype=bool)
        keep[1:] = ((resident[1:] != resident[:-1]) | (venue[1:] != venue[:-1])
                    | (start[1:] != start[:-1]))
        yield resident[keep], venue[keep], start[keep], end[keep]


def synthetic_exposures(resident_id: IntArray, *, count: int, first_day: int, days: int,
                        settings: Sequence[str], seed: int
                        ) -> tuple[IntArray, IntArray, IntArray, IntArray, NDArray[np.bool_]]:
    """Random recorded exposures: (a, b, at, setting code, protected), a != b."""
    rng = np.random.default_rng(seed)
    ids = np.asarray(resident_id, dtype=np.int64)
    a = ids[rng.integers(0, len(ids), count)]
    b = ids[rng.integers(0, len(ids), count)]
    keep = a != b
    at = first_day + rng.integers(0, days * 86_400, count)
    setting = rng.integers(0, len(settings), count)
    protected = rng.random(count) < 0.1
    return a[keep], b[keep], at[keep], setting[keep], protected[keep]
