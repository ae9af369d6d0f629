"""A plain reference implementation of contact classification: loops, no indexes.

It reads the same inputs as the engine and follows the rules as written in
epidesk.tracing.rules, one person and one membership at a time.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from epidesk.tracing import rules
from epidesk.tracing.graph import engine as graph_engine
from epidesk.tracing.graph import rules as graph_rules
from epidesk.tracing.runs import engine as runs_engine

Row = tuple[int, int, int, int, int, int, int, int]


@dataclass
class City:
    """A small city as lists: households by resident, memberships, exposures, visits."""

    # resident -> household, lived in from before any moment of a test until forever
    households: dict[int, int] = field(default_factory=dict)
    # (resident, group, start, end)
    work: list[tuple[int, int, int, int]] = field(default_factory=list)
    classes: list[tuple[int, int, int, int]] = field(default_factory=list)
    # (exposure id, a, b, at): unprotected only
    exposures: list[tuple[int, int, int, int]] = field(default_factory=list)
    # (resident, venue, start, end)
    visits: list[tuple[int, int, int, int]] = field(default_factory=list)
    # (resident, household, start, end): household memberships with dates (moves)
    homes: list[tuple[int, int, int, int]] = field(default_factory=list)

    def household_memberships(self) -> list[tuple[int, int, int, int]]:
        """Every household membership: the open-ended ones, then those with dates."""
        return [(r, h, 0, rules.FOREVER) for r, h in sorted(self.households.items())] + list(
            self.homes)

    def arrays(self) -> graph_rules.GraphArrays:
        """The same city as the engine's input columns."""
        import numpy as np

        def col(rows: Sequence[tuple[int, ...]], i: int) -> np.ndarray:
            return np.asarray([r[i] for r in rows], dtype=np.int64)

        hh = self.household_memberships()
        return graph_rules.GraphArrays(
            household_resident=col(hh, 0), household_group=col(hh, 1),
            household_start=col(hh, 2), household_end=col(hh, 3),
            work_resident=col(self.work, 0), work_group=col(self.work, 1),
            work_start=col(self.work, 2), work_end=col(self.work, 3),
            class_resident=col(self.classes, 0), class_group=col(self.classes, 1),
            class_start=col(self.classes, 2), class_end=col(self.classes, 3),
            exposure_id=col(self.exposures, 0), exposure_a=col(self.exposures, 1),
            exposure_b=col(self.exposures, 2), exposure_at=col(self.exposures, 3),
            visit_resident=col(self.visits, 0), visit_venue=col(self.visits, 1),
            visit_start=col(self.visits, 2), visit_end=col(self.visits, 3),
        )


def shared(city: City, centre: int, ws: int, we: int,
           settings: frozenset[int]) -> list[tuple[int, int, int, int, int]]:
    """(other, setting, place, start, end) for everyone who shared a setting in [ws, we)."""
    out = []
    for setting, memberships in ((graph_engine.HOUSEHOLD, city.household_memberships()),
                                 (graph_engine.WORK_GROUP, city.work),
                                 (graph_engine.SCHOOL_CLASS, city.classes)):
        if setting not in settings:
            continue
        for resident, group, start, end in memberships:
            if resident != centre:
                continue
            a, b = max(ws, start), min(we, end)
            if a >= b:
                continue
            for other, group2, start2, end2 in memberships:
                if group2 != group or other == centre:
                    continue
                s, e = max(a, start2), min(b, end2)
                if s < e:
                    out.append((other, setting, group, s, e))
    if graph_engine.EXPOSURE in settings:
        for exposure_id, a_, b_, at in city.exposures:
            if centre not in (a_, b_):
                continue
            other = b_ if a_ == centre else a_
            if ws <= at < we and other != centre:
                out.append((other, graph_engine.EXPOSURE, exposure_id, at, at))
    return out


def covisits(city: City, centre: int, ws: int, we: int,
             minimum: int) -> list[tuple[int, int, int, int, int]]:
    """(other, VENUE, venue, start, end) for visits overlapping the centre's by minimum."""
    out = []
    for resident, venue, start, end in city.visits:
        if resident != centre:
            continue
        a, b = max(start, ws), min(end, we)
        for other, venue2, start2, end2 in city.visits:
            if venue2 != venue or other == centre:
                continue
            s, e = max(a, start2), min(b, end2)
            if e - s >= minimum:
                out.append((other, graph_engine.VENUE, venue, s, e))
    return out


def classify(city: City, cases: Sequence[tuple[int, int, int, int]],
             params: runs_engine.Parameters, *, isolation: Mapping[int, int] | None = None,
             prior: Mapping[int, int] | None = None) -> set[Row]:
    """Evidence rows (contact, case, tier, setting, place, via, start, end)."""
    isolation = isolation or {}
    prior = prior or {}
    now = params.now
    rows: set[Row] = set()
    first: dict[tuple[int, int], int] = {}
    first_any: dict[int, int] = {}
    resident_of = {case_id: resident for case_id, resident, _ws, _we in cases}
    for case_id, resident, ws, we in cases:
        found = (shared(city, resident, ws, we, params.close_settings)
                 + covisits(city, resident, ws, we, params.min_overlap))
        for other, setting, place, s, e in found:
            rows.add((other, case_id, graph_engine.CLOSE, setting, place, -1, s, e))
            key = (case_id, other)
            first[key] = min(first.get(key, s), s)
            first_any[other] = min(first_any.get(other, s), s)
    sub = params.sub_close_settings
    if sub is None:
        return rows
    for (case_id, contact), start in first.items():
        until = min(isolation.get(contact, now), now)
        if start >= until:
            continue
        for other, setting, place, s, e in shared(city, contact, start, until, sub):
            if other != resident_of[case_id]:
                rows.add((other, case_id, graph_engine.SUB_CLOSE, setting, place, contact, s, e))
    if params.promote:
        for case_id, resident, _ws, _we in cases:
            start = min(first_any.get(resident, rules.FOREVER),
                        prior.get(resident, rules.FOREVER))
            until = min(isolation.get(resident, now), now)
            if start >= until:
                continue
            for other, setting, place, s, e in shared(city, resident, start, until, sub):
                rows.add((other, case_id, graph_engine.CLOSE, setting, place, resident, s, e))
    return rows
