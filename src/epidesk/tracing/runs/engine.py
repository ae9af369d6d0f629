"""Classification of cases on the contact graph, and the comparison of its result with
what is stored.

Every step of a classification works on whole arrays of cases at once; the result is
plain arrays of evidence rows (contact, case, tier, setting, place, via, start, end).
Times are whole seconds since the Unix epoch. No session, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

import numpy as np
from numpy.typing import NDArray

from epidesk.kit import clock
from epidesk.tracing import rules
from epidesk.tracing.graph.engine import (
    BASE,
    CLOSE,
    EXPOSURE,
    LOW_BITS,
    LOW_MASK,
    NO_VIA,
    SUB_CLOSE,
    VENUE,
    ContactGraph,
    ExposureIndex,
    GroupIndex,
    IntArray,
    expand,
    rows_of,
)
from epidesk.tracing.rules import FOREVER, SETTING_CODES
from epidesk.tracing.runs.rules import EvidenceArrays


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
    q, m = rows_of(index.of_resident, centre)
    a, b = wstart[q], wend[q]
    if index.start is not None and index.end is not None:
        a = np.maximum(a, index.start[m])
        b = np.minimum(b, index.end[m])
    keep = a < b
    q, m, a, b = q[keep], m[keep], a[keep], b[keep]
    group = index.group[m].astype(np.int64)
    j, o = expand(index.group_ptr[group], index.group_ptr[group + 1])
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
    q, e = rows_of(index.of_resident, centre)
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
        q, p = rows_of(seg.of_resident, centre)
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
        j, o = expand(lo, hi)
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


# ------------------------------------------------------------------ against what is stored


def same_rows(old: EvidenceArrays, new: Evidence) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Which old rows are also new, and which new rows are also old (exactly)."""
    names = EVIDENCE_COLUMNS
    old_kept = np.zeros(len(old), dtype=bool)
    new_known = np.zeros(len(new), dtype=bool)
    if not len(old) or not len(new):
        return old_kept, new_known
    old_cols = [np.asarray(getattr(old, n), dtype=np.int64) for n in names]
    new_cols = [np.asarray(getattr(new, n), dtype=np.int64) for n in names]
    old_digest = row_digest(old_cols)
    order = np.argsort(old_digest, kind="stable")
    ordered = old_digest[order]
    at = np.minimum(np.searchsorted(ordered, row_digest(new_cols)), len(order) - 1)
    candidate = order[at]
    match = ordered[at] == row_digest(new_cols)
    for o, n in zip(old_cols, new_cols, strict=True):
        match &= o[candidate] == n
    new_known[match] = True
    old_kept[candidate[match]] = True
    return old_kept, new_known


@dataclass(frozen=True)
class Standing:
    """Per resident with active evidence: best tier, first exposure, last exposure."""

    resident: IntArray
    tier: IntArray
    first: IntArray
    last_end: IntArray
    last_day: NDArray[np.datetime64]


def standing(contact: IntArray, tier: IntArray, start: IntArray, end: IntArray,
             zone: tzinfo) -> Standing:
    """Each resident's best tier, first exposure, and last exposure of that tier."""
    if not len(contact):
        none = np.zeros(0, dtype=np.int64)
        return Standing(none, none, none, none, none.astype("datetime64[D]"))
    order = np.lexsort((tier, contact))
    contact, tier, start, end = contact[order], tier[order], start[order], end[order]
    heads = np.flatnonzero(np.concatenate([[True], contact[1:] != contact[:-1]]))
    group = np.cumsum(np.isin(np.arange(len(contact)), heads)) - 1
    best = tier[heads]
    of_best = tier == best[group]
    last_moment = np.where(end > start, end - 1, end)
    never = np.iinfo(np.int64).min
    return Standing(
        resident=contact[heads], tier=best, first=np.minimum.reduceat(start, heads),
        last_end=np.maximum.reduceat(np.where(of_best, end, never), heads),
        last_day=clock.local_days(np.maximum.reduceat(np.where(of_best, last_moment, never),
                                                       heads), zone))
