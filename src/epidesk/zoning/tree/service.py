"""The geometry tree with its roll-ups, kept per process, and the active cases as arrays
(their homes and venue visits read for them, or looked up in the contact graph held in
memory)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from epidesk.cases import repository as cases
from epidesk.db import is_postgres
from epidesk.kit import clock
from epidesk.people import repository as people
from epidesk.people.columns import repository as people_columns
from epidesk.policy.schemas import Preset
from epidesk.tracing.exposures import repository as exposures
from epidesk.tracing.graph.engine import ContactGraph, rows_of
from epidesk.tracing.visits import repository as visits
from epidesk.zoning import repository
from epidesk.zoning.engine import (
    CaseArrays,
    Drawing,
    IntArray,
    TreeArrays,
    ZoningTree,
    build_tree,
    drawing_of,
)
from epidesk.zoning.rules import CaseFacts, infectious_days

FAR = dt.date.max.toordinal()


# ------------------------------------------------------------------ the tree, once


@dataclass
class _CachedTree:
    stamp: tuple[Any, ...]
    tree: ZoningTree


_trees: dict[str, _CachedTree] = {}
_trees_lock = threading.Lock()


def tree_arrays(session: Session) -> TreeArrays:
    """The geometry and the households' resident counts, read from the database."""
    g = repository.geometry_columns(session)
    ids, addresses, living = repository.household_columns(session)
    order = np.argsort(ids, kind="stable")
    household: IntArray = np.asarray(ids, dtype=np.int64)[order]
    household_at: IntArray = np.asarray(addresses, dtype=np.int64)[order]
    residing: IntArray = np.asarray(living, dtype=np.int64)
    at: IntArray = np.searchsorted(household, residing)
    if len(household):
        known = household[np.minimum(at, len(household) - 1)] == residing
    else:
        known = np.zeros(len(residing), dtype=bool)
    residents = np.bincount(at[known], minlength=len(household)).astype(np.int64)
    venue, venue_community, _ = people_columns.venues_with_kind(session)
    return TreeArrays(**g, household_address=household_at, household_residents=residents,
                      venue=venue, venue_community=venue_community, household=household,
                      household_at=household_at)


def load_tree(session: Session, *, cache: bool | None = None) -> ZoningTree:
    """The tree with its roll-ups; on PostgreSQL kept per process until people move."""
    use_cache = is_postgres(session) if cache is None else cache
    if not use_cache:
        return build_tree(tree_arrays(session))
    key = session.get_bind().engine.url.render_as_string(hide_password=True)
    stamp = people_columns.household_stamp(session)
    with _trees_lock:
        found = _trees.get(key)
        if found is not None and found.stamp == stamp:
            return found.tree
        tree = build_tree(tree_arrays(session))
        _trees[key] = _CachedTree(stamp=stamp, tree=tree)
        return tree


def forget_trees() -> None:
    """Drop every tree held in memory."""
    with _trees_lock:
        _trees.clear()


# ------------------------------------------------------------------ cases, as arrays


def case_arrays(session: Session, preset: Preset, *, as_of: dt.date | None = None
                ) -> CaseArrays:
    """Active cases (sampled by `as_of`), their homes and the venues they visited."""
    rows = cases.active_episode_rows(session)
    facts = [CaseFacts(case_id=r[0], sampling_date=r[4], onset_date=r[5], isolation_date=r[6])
             for r in rows if as_of is None or r[4] <= as_of]
    resident = [r[1] for r in rows if as_of is None or r[4] <= as_of]
    spans = [infectious_days(f, preset) for f in facts]
    position: dict[int, list[int]] = {}
    for i, rid in enumerate(resident):
        position.setdefault(rid, []).append(i)
    stays = people.household_stays(session, sorted(position))
    sc, sa, sf, sl = [], [], [], []
    for rid, address, start, end in stays:
        for i in position[rid]:
            sc.append(i)
            sa.append(address)
            sf.append(start.toordinal())
            sl.append(end.toordinal() if end is not None else FAR)
    vc, vv, vd = [], [], []
    zone = clock.city_zone()
    for rid, venue, started in visits.visits_of(session, sorted(position)):
        day = clock.local_day(clock.aware(started), zone).toordinal()
        for i in position[rid]:
            vc.append(i)
            vv.append(venue)
            vd.append(day)

    pc, pb, pd = _exposure_places(session, position, vc, vv, vd)

    def i64(values: Sequence[int]) -> Any:
        return np.asarray(values, dtype=np.int64)

    return CaseArrays(
        case=i64([f.case_id for f in facts]),
        sampling=i64([f.sampling_date.toordinal() for f in facts]),
        first=i64([s[0].toordinal() for s in spans]), last=i64([s[1].toordinal() for s in spans]),
        stay_case=i64(sc), stay_address=i64(sa), stay_first=i64(sf), stay_last=i64(sl),
        visit_case=i64(vc), visit_venue=i64(vv), visit_day=i64(vd),
        place_case=i64(pc), place_building=i64(pb), place_day=i64(pd))


def _exposure_places(session: Session, position: dict[int, list[int]], vc: list[int],
                     vv: list[int], vd: list[int]) -> tuple[list[int], list[int], list[int]]:
    """Recorded exposures naming a place, for the cases at `position`: a venue joins the
    visits (vc, vv, vd, extended in place); the buildings are returned."""
    zone = clock.city_zone()
    pc: list[int] = []
    pb: list[int] = []
    pd: list[int] = []
    for rid, venue, building, at in exposures.places_of(session, sorted(position)):
        day = clock.local_day(clock.aware(at), zone).toordinal()
        for i in position[rid]:
            if venue is not None:
                vc.append(i)
                vv.append(venue)
                vd.append(day)
            elif building is not None:
                pc.append(i)
                pb.append(building)
                pd.append(day)
    return pc, pb, pd


EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def _ordinals(seconds: Any) -> Any:
    """City day ordinals of epoch seconds."""
    days = clock.local_days(np.asarray(seconds, dtype=np.int64), clock.city_zone())
    return days.astype(np.int64) + EPOCH_ORDINAL


def case_arrays_in_memory(session: Session, preset: Preset, tree: ZoningTree,
                          graph: ContactGraph, *, as_of: dt.date | None = None) -> CaseArrays:
    """Active cases, their homes and visits looked up in the contact graph held in memory
    (household memberships and venue visits) instead of read from the database."""
    rows = [r for r in cases.active_episode_rows(session) if as_of is None or r[4] <= as_of]
    facts = [CaseFacts(case_id=r[0], sampling_date=r[4], onset_date=r[5], isolation_date=r[6])
             for r in rows]
    spans = [infectious_days(f, preset) for f in facts]
    resident = np.asarray([r[1] for r in rows], dtype=np.int64)
    homes = graph.households
    owner, pos = rows_of(homes.of_resident, resident)
    stay_address = tree.address_of_households(homes.group[pos].astype(np.int64))
    if homes.start is None or homes.end is None:
        stay_first = np.full(len(pos), 0, dtype=np.int64)
        stay_last = np.full(len(pos), FAR, dtype=np.int64)
    else:
        stay_first = _ordinals(homes.start[pos])
        ends = homes.end[pos]
        open_ended = ends >= clock.FOREVER
        # The end is the next local midnight after the last day lived there.
        last = _ordinals(np.where(open_ended, homes.start[pos], ends - 1))
        stay_last = np.where(open_ended, FAR, last)
    vc, vv, vd = [], [], []
    for segment in graph.segments():
        who, at = rows_of(segment.of_resident, resident)
        vc.append(who)
        vv.append(segment.venue(at))
        vd.append(_ordinals(segment.start(at)))
    # Exposures naming a place are few: read them, as the database path does.
    position: dict[int, list[int]] = {}
    for i, rid in enumerate(resident.tolist()):
        position.setdefault(rid, []).append(i)
    evc: list[int] = []
    evv: list[int] = []
    evd: list[int] = []
    pc, pb, pd = _exposure_places(session, position, evc, evv, evd)
    if evc:
        vc.append(np.asarray(evc, dtype=np.int64))
        vv.append(np.asarray(evv, dtype=np.int64))
        vd.append(np.asarray(evd, dtype=np.int64))
    empty = np.zeros(0, dtype=np.int64)
    return CaseArrays(
        case=np.asarray([f.case_id for f in facts], dtype=np.int64),
        sampling=np.asarray([f.sampling_date.toordinal() for f in facts], dtype=np.int64),
        first=np.asarray([s[0].toordinal() for s in spans], dtype=np.int64),
        last=np.asarray([s[1].toordinal() for s in spans], dtype=np.int64),
        stay_case=owner.astype(np.int64), stay_address=stay_address,
        stay_first=stay_first, stay_last=stay_last,
        visit_case=np.concatenate(vc) if vc else empty,
        visit_venue=np.concatenate(vv).astype(np.int64) if vv else empty,
        visit_day=np.concatenate(vd) if vd else empty,
        place_case=np.asarray(pc, dtype=np.int64), place_building=np.asarray(pb, dtype=np.int64),
        place_day=np.asarray(pd, dtype=np.int64))


def drawing(preset: Preset, *, low: bool = False) -> Drawing:
    """The engine's drawing of a preset; the service keeps the low-risk rest itself."""
    d = preset.zoning.drawn()
    found = drawing_of(d.granularity, d.places_level, tuple(preset.zoning.levels), d.low_area)
    return Drawing(granularity=found.granularity, places_level=found.places_level,
                   low=found.low and low)
