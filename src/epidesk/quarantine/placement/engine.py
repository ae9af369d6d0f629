"""Optimal placement on aggregated classes (household profile x district) and room pools
(facility x room type) with OR-Tools min-cost flow, then concrete rooms handed out inside
each pool.

Arcs from a class go first to its cheapest compatible pools and to the pools that are
cheapest once a coarse flow's facility prices are added (the coarse flow merges classes
by district and pools by facility, so it is small enough to solve whole, and its prices
say which facilities will be crowded); then the flow's node potentials price every other
compatible pool, and arcs that would lower the cost join until none does or the flow is
within GAP_TOLERANCE of the Lagrangian bound over all compatible pools, without building
them all. The potentials also give each pool a capacity price, from which `bound`
derives a lower bound over individual households and rooms."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from epidesk.quarantine.placement.rules import (
    NO_ACCESSIBLE_ROOM,
    NO_CARER,
    NO_CARER_ROOM,
    NO_ELIGIBLE_FACILITY,
    NO_FREE_ROOM,
    NO_INFANT_ROOM,
    NO_MEDICAL_STAFF,
    NO_ROOM_LARGE_ENOUGH,
    BoolArray,
    IntArray,
    Placement,
    Problem,
    Profiles,
    Weights,
    arc_cost,
    household_profiles,
    placed_cost,
)

SCALE = 10  # costs are whole tenths in the flow
FIRST_ARCS = 20  # cheapest pools each class starts with, at least
ADDED_ARCS = 100  # most improving arcs a class gains per pricing round
SHORTLIST = 256  # pools ranked per class for the first arcs, unless it needs more
MAX_ROUNDS = 30
# Pricing stops once the flow is within this fraction of the Lagrangian bound that the
# pricing round computes over every compatible pool.
GAP_TOLERANCE = 2e-3


def _key(columns: list[IntArray]) -> IntArray:
    """One int64 per row of small non-negative columns (mixed radix)."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for col in columns:
        key = key * (int(col.max(initial=0)) + 1) + col
    return key


@dataclass(frozen=True)
class Pools:
    """Rooms of eligible facilities grouped by facility and room type."""

    room_pool: IntArray  # per room, -1 when its facility is not eligible
    facility: IntArray
    beds: IntArray
    accessible: BoolArray
    infant: BoolArray
    carer: BoolArray
    rooms: IntArray  # rooms in the pool
    medical: BoolArray
    takes: IntArray
    city: IntArray


def room_pools(problem: Problem) -> Pools:
    """Group the rooms of eligible facilities into pools of identical rooms."""
    usable = problem.facility_eligible[problem.room_facility]
    idx = np.flatnonzero(usable)
    cols = [problem.room_facility[idx], problem.room_beds[idx],
            problem.room_accessible[idx].astype(np.int64),
            problem.room_infant[idx].astype(np.int64), problem.room_carer[idx].astype(np.int64)]
    if len(idx):
        _, first, inverse, counts = np.unique(_key(cols), return_index=True,
                                              return_inverse=True, return_counts=True)
    else:
        first = inverse = counts = np.zeros(0, dtype=np.int64)
    room_pool = np.full(problem.rooms, -1, dtype=np.int64)
    room_pool[idx] = inverse
    rep = idx[first]
    fac = problem.room_facility[rep]
    return Pools(room_pool=room_pool, facility=fac, beds=problem.room_beds[rep],
                 accessible=problem.room_accessible[rep], infant=problem.room_infant[rep],
                 carer=problem.room_carer[rep], rooms=counts.astype(np.int64),
                 medical=problem.facility_medical[fac], takes=problem.facility_takes[fac],
                 city=problem.facility_city[fac])


@dataclass(frozen=True)
class Classes:
    """Placeable households grouped by district and profile."""

    household_class: IntArray  # -1 for households not in a class
    district: IntArray
    profile: IntArray  # index into the profile columns below
    count: IntArray
    p_takes: IntArray
    p_occupants: IntArray
    p_ordered: IntArray
    p_accessible: BoolArray
    p_medical: BoolArray
    p_infant: BoolArray
    p_carer: BoolArray


def household_classes(problem: Problem, prof: Profiles) -> Classes:
    """Group active households by (district, profile)."""
    hs = np.flatnonzero(prof.active)
    pcols = [problem.household_takes[hs], prof.occupants[hs], prof.ordered[hs],
             prof.accessible[hs].astype(np.int64), prof.medical[hs].astype(np.int64),
             prof.infant[hs].astype(np.int64), prof.needs_carer[hs].astype(np.int64)]
    if not len(hs):
        empty = np.zeros(0, dtype=np.int64)
        return Classes(np.full(problem.households, -1, dtype=np.int64), empty, empty, empty,
                       empty, empty, empty, empty.astype(bool), empty.astype(bool),
                       empty.astype(bool), empty.astype(bool))
    _, pfirst, pinv = np.unique(_key(pcols), return_index=True, return_inverse=True)
    ckey = _key([pinv.astype(np.int64), problem.household_district[hs]])
    _, cfirst, cinv, counts = np.unique(ckey, return_index=True, return_inverse=True,
                                        return_counts=True)
    household_class = np.full(problem.households, -1, dtype=np.int64)
    household_class[hs] = cinv
    rep = hs[pfirst]
    return Classes(
        household_class=household_class,
        district=problem.household_district[hs[cfirst]],
        profile=pinv[cfirst].astype(np.int64),
        count=counts.astype(np.int64),
        p_takes=problem.household_takes[rep],
        p_occupants=prof.occupants[rep],
        p_ordered=prof.ordered[rep],
        p_accessible=prof.accessible[rep],
        p_medical=prof.medical[rep],
        p_infant=prof.infant[rep],
        p_carer=prof.needs_carer[rep],
    )


def _compatible(cls: Classes, pools: Pools, p: int) -> BoolArray:
    ok: BoolArray = ((pools.takes & cls.p_takes[p]) > 0) & (pools.beds >= cls.p_occupants[p])
    if cls.p_accessible[p]:
        ok &= pools.accessible
    if cls.p_medical[p]:
        ok &= pools.medical
    if cls.p_infant[p]:
        ok &= pools.infant
    if cls.p_carer[p]:
        ok &= pools.carer
    return ok


def structural_reason(cls: Classes, pools: Pools, p: int) -> str | None:
    """Why no pool at all suits profile p (capacity aside), or None."""
    steps: list[tuple[str, BoolArray]] = [
        (NO_ELIGIBLE_FACILITY, (pools.takes & cls.p_takes[p]) > 0),
        (NO_ROOM_LARGE_ENOUGH, pools.beds >= cls.p_occupants[p]),
    ]
    if cls.p_accessible[p]:
        steps.append((NO_ACCESSIBLE_ROOM, pools.accessible))
    if cls.p_medical[p]:
        steps.append((NO_MEDICAL_STAFF, pools.medical))
    if cls.p_infant[p]:
        steps.append((NO_INFANT_ROOM, pools.infant))
    if cls.p_carer[p]:
        steps.append((NO_CARER_ROOM, pools.carer))
    ok = np.ones(len(pools.beds), dtype=bool)
    for reason, mask in steps:
        ok &= mask
        if not ok.any():
            return reason
    return None


class PoolCosts:
    """Class-to-pool costs, one profile at a time (never the whole matrix at once)."""

    def __init__(self, problem: Problem, weights: Weights, cls: Classes, pools: Pools):
        self.problem, self.weights, self.cls, self.pools = problem, weights, cls, pools
        order = np.argsort(cls.profile, kind="stable")
        bounds = np.searchsorted(cls.profile[order], np.arange(len(cls.p_takes) + 1))
        self.by_profile = [order[bounds[i]:bounds[i + 1]] for i in range(len(cls.p_takes))]
        self.compatible = [np.flatnonzero(_compatible(cls, pools, p))
                           for p in range(len(cls.p_takes))]
        self._blocks: dict[int, tuple[IntArray, IntArray, IntArray]] = {}

    def block(self, p: int) -> tuple[IntArray, IntArray, IntArray]:
        """Classes of profile p, their compatible pools and the costs (tenths). Each block
        is computed once, as int32, and kept for the pricing rounds."""
        got = self._blocks.get(p)
        if got is None:
            got = self._blocks[p] = self._block(p)
        return got

    def _block(self, p: int) -> tuple[IntArray, IntArray, IntArray]:
        classes, cp = self.by_profile[p], self.compatible[p]
        pools, problem = self.pools, self.problem
        districts = self.cls.district[classes]
        travel = problem.travel[np.ix_(districts, pools.facility[cp])]
        leaves = problem.district_city[districts][:, None] != pools.city[cp][None, :]
        spare = (pools.beds[cp] - self.cls.p_occupants[p])[None, :]
        cost = arc_cost(self.weights, travel, leaves, spare)
        return classes, cp, np.rint(cost * SCALE).astype(np.int32)


def _coarse_prices(problem: Problem, weights: Weights, cls: Classes, pools: Pools,
                   unplaced_cost: IntArray) -> IntArray:
    """A price per facility (tenths) from a coarse flow: classes merged by district and
    by what decides a facility's fit (who it takes, medical staff), pools merged by
    facility, room sizes and suitabilities aside."""
    n_fac = len(problem.facility_city)
    mu = np.zeros(n_fac, dtype=np.int64)
    if not len(cls.count) or not len(pools.rooms):
        return mu
    takes = cls.p_takes[cls.profile]
    med = cls.p_medical[cls.profile]
    key = _key([cls.district, takes, med.astype(np.int64)])
    _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    count = np.bincount(inv, weights=cls.count).astype(np.int64)
    unplaced = np.full(len(first), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(unplaced, inv, unplaced_cost)
    cap = np.bincount(pools.facility, weights=pools.rooms, minlength=n_fac).astype(np.int64)
    facs = np.flatnonzero(cap > 0)
    district, ctakes, cmed = cls.district[first], takes[first], med[first]
    ok = (problem.facility_takes[facs][None, :] & ctakes[:, None]) > 0
    ok &= problem.facility_medical[facs][None, :] | ~cmed[:, None]
    rows, cols = np.nonzero(ok)
    d, f = district[rows], facs[cols]
    leaves = problem.district_city[d] != problem.facility_city[f]
    w = np.rint((problem.travel[d, f] + weights.city_penalty * leaves) * SCALE).astype(np.int64)
    n_c, n_f = len(first), len(facs)
    sink = n_c + n_f
    flow, unplaced_flow, pool_flow = _flow(count, cap[facs], rows, cols, w, unplaced)
    dist = _residual(count, cap[facs], rows, cols, w, flow, unplaced_flow, pool_flow,
                     unplaced)
    mu[facs] = np.maximum(0, dist[sink] - dist[n_c:sink])
    return mu


def _potentials(n: int, tail: IntArray, head: IntArray, w: IntArray) -> IntArray:
    """Shortest distances from a virtual root joined to every node, over edges that may be
    negative (none on a negative cycle: the flow is optimal)."""
    order = np.argsort(head, kind="stable")
    tail, head, w = tail[order], head[order], w[order]
    heads, starts = np.unique(head, return_index=True)
    d = np.zeros(n, dtype=np.int64)
    for _ in range(n + 1):
        best = np.minimum.reduceat(d[tail] + w, starts)
        new = d.copy()
        new[heads] = np.minimum(d[heads], best)
        if np.array_equal(new, d):
            return d
        d = new
    raise RuntimeError("negative cycle in the residual graph")


def _first_arcs(problem: Problem, weights: Weights, cls: Classes, pools: Pools,
                costs: PoolCosts, unplaced_cost: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """The arcs the first flow starts with, for each class: its FIRST_ARCS cheapest
    compatible pools; its FIRST_ARCS cheapest at cost plus the coarse flow's price of the
    pool's facility (where the class will probably be placed once capacity counts); and
    the pools a quick greedy fill in that priced order reaches (the most constrained
    classes first), so that the first flow already places nearly everyone and its prices
    are close to the final ones."""
    n_pool = len(pools.rooms)
    arc_c: list[IntArray] = []
    arc_p: list[IntArray] = []
    arc_w: list[IntArray] = []
    free = pools.rooms.copy()
    mu = _coarse_prices(problem, weights, cls, pools, unplaced_cost)
    blocks = sorted(range(len(cls.p_takes)), key=lambda q: (len(costs.compatible[q]),
                                                            -int(cls.p_occupants[q])))
    for p in blocks:
        classes, cp, cost = costs.block(p)
        n = len(cp)
        if not n:
            continue
        k = min(FIRST_ARCS, n)
        cheapest = (np.argpartition(cost, k - 1, axis=1)[:, :k] if k < n
                    else np.tile(np.arange(n), (len(classes), 1)))
        priced = cost + mu[pools.facility[cp]][None, :]
        # The SHORTLIST best priced pools of each class, sorted; a class that needs more
        # (its rooms already taken) ranks all of its pools.
        short = min(SHORTLIST, n)
        near = (np.argpartition(priced, short - 1, axis=1)[:, :short] if short < n
                else np.tile(np.arange(n), (len(classes), 1)))
        order = np.take_along_axis(near, np.argsort(
            np.take_along_axis(priced, near, axis=1), axis=1), axis=1)
        rows = [np.repeat(np.arange(len(classes)), k), np.repeat(np.arange(len(classes)), k)]
        cols = [cheapest.ravel(), order[:, :k].ravel()]
        for row in range(len(classes)):
            ranked = order[row]
            room = free[cp[ranked]]
            want = int(cls.count[classes[row]])
            if short < n and int(room.sum()) < want:
                ranked = np.argsort(priced[row])
                room = free[cp[ranked]]
            upto = int(np.searchsorted(np.cumsum(room), want)) + 1
            take = ranked[:upto][room[:upto] > 0]
            if not len(take):
                continue
            got = np.minimum(free[cp[take]], max(0, want))
            left = np.cumsum(got)
            got = np.clip(got - np.maximum(left - want, 0), 0, None)
            free[cp[take]] -= got
            rows.append(np.full(len(take), row))
            cols.append(take)
        r, c = np.concatenate(rows), np.concatenate(cols)
        arc_c.append(classes[r])
        arc_p.append(cp[c])
        arc_w.append(cost[r, c].astype(np.int64))
    ac = np.concatenate(arc_c) if arc_c else np.zeros(0, dtype=np.int64)
    ap = np.concatenate(arc_p) if arc_p else np.zeros(0, dtype=np.int64)
    aw = np.concatenate(arc_w) if arc_w else np.zeros(0, dtype=np.int64)
    keys = ac * max(n_pool, 1) + ap
    order = np.argsort(keys, kind="stable")
    first = order[np.r_[True, keys[order][1:] != keys[order][:-1]]] if len(keys) else order
    return ac[first], ap[first], aw[first]


def place(problem: Problem, weights: Weights | None = None) -> Placement:
    """Place every active household in one room; list the rest with a reason."""
    weights = weights or Weights()
    started, cpu_started = time.perf_counter(), time.process_time()
    prof = household_profiles(problem)
    pools = room_pools(problem)
    cls = household_classes(problem, prof)
    costs = PoolCosts(problem, weights, cls, pools)
    n_cls, n_pool = len(cls.count), len(pools.rooms)
    sink = n_cls + n_pool
    unplaced_cost = np.rint(weights.unplaced_person * cls.p_ordered[cls.profile]
                            * SCALE).astype(np.int64)

    ac, ap, aw = _first_arcs(problem, weights, cls, pools, costs, unplaced_cost)

    rounds = 0
    gaps: list[float] = []
    solve_cpu: list[float] = []
    lam = np.zeros(n_pool, dtype=np.int64)
    while True:
        rounds += 1
        tick = time.process_time()
        flow, unplaced_flow, pool_flow = _flow(cls.count, pools.rooms, ac, ap, aw,
                                              unplaced_cost)
        solve_cpu.append(round(time.process_time() - tick, 2))
        d = _residual(cls.count, pools.rooms, ac, ap, aw, flow, unplaced_flow, pool_flow,
                      unplaced_cost)
        lam = np.maximum(0, d[sink] - d[n_cls:sink])
        u = d[sink] - d[:n_cls]
        if rounds >= MAX_ROUNDS:
            break
        new, best = _improving_arcs(costs, lam, u, ac, ap, n_pool)
        flow_cost = int((aw * flow).sum() + (unplaced_cost * unplaced_flow).sum())
        bound = int((cls.count * np.minimum(best, unplaced_cost)).sum()
                    - (pools.rooms * lam).sum())
        gaps.append(round((flow_cost - bound) / max(bound, 1), 6))
        if new is None or flow_cost - bound <= GAP_TOLERANCE * max(bound, 1):
            break
        ac, ap, aw = (np.concatenate([ac, new[0]]), np.concatenate([ap, new[1]]),
                      np.concatenate([aw, new[2]]))
    solved = time.perf_counter()

    household_room, unplaced = _hand_out(problem, prof, cls, pools, costs, ac, ap, flow)
    person_room = np.full(len(problem.person_household), -1, dtype=np.int64)
    ordered = np.flatnonzero(problem.person_ordered)
    person_room[ordered] = household_room[problem.person_household[ordered]]
    carers = np.flatnonzero((prof.carer_person >= 0) & (household_room >= 0))
    person_room[prof.carer_person[carers]] = household_room[carers]
    return Placement(
        household_room=household_room, person_room=person_room, unplaced=unplaced,
        cost=placed_cost(problem, weights, prof, household_room),
        stats={"classes": n_cls, "pools": n_pool, "arcs": len(ac), "rounds": rounds,
               "round_gaps": gaps, "round_solve_cpu_seconds": solve_cpu,
               "solve_seconds": round(solved - started, 3),
               "seconds": round(time.perf_counter() - started, 3),
               "cpu_seconds": round(time.process_time() - cpu_started, 3)},
        pool_multiplier=lam.astype(np.float64) / SCALE, room_pool=pools.room_pool)


def _flow(count: IntArray, rooms: IntArray, ac: IntArray, ap: IntArray, aw: IntArray,
          unplaced_cost: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Min-cost flow from classes (supplies `count`) over arcs to pools (capacities
    `rooms`) or to being unplaced; the flows on the arcs, to unplaced and out of pools."""
    n_cls, n_pool = len(count), len(rooms)
    sink = n_cls + n_pool
    smcf = min_cost_flow.SimpleMinCostFlow()
    heads = np.concatenate([ap + n_cls, np.full(n_cls + n_pool, sink)])
    tails = np.concatenate([ac, np.arange(n_cls), np.arange(n_pool) + n_cls])
    caps = np.concatenate([count[ac], count, rooms])
    unit = np.concatenate([aw, unplaced_cost, np.zeros(n_pool, dtype=np.int64)])
    smcf.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, unit)
    supplies = np.concatenate([count, np.zeros(n_pool, dtype=np.int64),
                               [-int(count.sum())]])
    smcf.set_nodes_supplies(np.arange(sink + 1), supplies)
    status = smcf.solve()
    if status != smcf.OPTIMAL:
        raise RuntimeError(f"min-cost flow ended with status {status}")
    flows = smcf.flows(np.arange(len(tails)))
    m = len(ac)
    return flows[:m], flows[m:m + n_cls], flows[m + n_cls:]


def _residual(count: IntArray, rooms: IntArray, ac: IntArray, ap: IntArray, aw: IntArray,
              flow: IntArray, unplaced_flow: IntArray, pool_flow: IntArray,
              unplaced_cost: IntArray) -> IntArray:
    """Node potentials of an optimal flow (classes, pools, then the sink)."""
    n_cls, n_pool = len(count), len(rooms)
    sink = n_cls + n_pool
    pnode = np.arange(n_pool) + n_cls
    cnode = np.arange(n_cls)
    used = flow > 0
    tails = [ac, ap[used] + n_cls, cnode, np.full(int((unplaced_flow > 0).sum()), sink),
             pnode[pool_flow < rooms], np.full(int((pool_flow > 0).sum()), sink)]
    heads = [ap + n_cls, ac[used], np.full(n_cls, sink), cnode[unplaced_flow > 0],
             np.full(int((pool_flow < rooms).sum()), sink), pnode[pool_flow > 0]]
    ws = [aw, -aw[used], unplaced_cost, -unplaced_cost[unplaced_flow > 0],
          np.zeros(int((pool_flow < rooms).sum()), dtype=np.int64),
          np.zeros(int((pool_flow > 0).sum()), dtype=np.int64)]
    return _potentials(sink + 1, np.concatenate(tails), np.concatenate(heads),
                       np.concatenate(ws))


def _improving_arcs(costs: PoolCosts, lam: IntArray, u: IntArray, ac: IntArray, ap: IntArray,
                    n_pool: int) -> tuple[tuple[IntArray, IntArray, IntArray] | None, IntArray]:
    """Arcs not yet in the flow whose reduced cost is negative, the best few per class;
    and each class's cheapest cost plus price over every compatible pool."""
    have = np.sort(ac * n_pool + ap)
    best = np.full(len(u), np.iinfo(np.int64).max // 4, dtype=np.int64)
    out_c: list[IntArray] = []
    out_p: list[IntArray] = []
    out_w: list[IntArray] = []
    for p in range(len(costs.by_profile)):
        classes, cp, cost = costs.block(p)
        if not len(cp) or not len(classes):
            continue
        priced = cost + lam[cp][None, :]
        best[classes] = priced.min(axis=1)
        reduced = priced - u[classes][:, None]
        rows, cols = np.nonzero(reduced < 0)
        if not len(rows):
            continue
        keys = classes[rows] * n_pool + cp[cols]
        at = np.minimum(np.searchsorted(have, keys), len(have) - 1)
        fresh = have[at] != keys
        rows, cols = rows[fresh], cols[fresh]
        if not len(rows):
            continue
        # The most negative first, at most ADDED_ARCS per class.
        rc = reduced[rows, cols]
        order = np.lexsort((rc, rows))
        rows, cols = rows[order], cols[order]
        rank = np.arange(len(rows)) - np.searchsorted(rows, rows)
        keep = rank < ADDED_ARCS
        out_c.append(classes[rows[keep]])
        out_p.append(cp[cols[keep]])
        out_w.append(cost[rows[keep], cols[keep]].astype(np.int64))
    if not out_c:
        return None, best
    return (np.concatenate(out_c), np.concatenate(out_p), np.concatenate(out_w)), best


def _hand_out(problem: Problem, prof: Profiles, cls: Classes, pools: Pools, costs: PoolCosts,
              ac: IntArray, ap: IntArray, flow: IntArray) -> tuple[IntArray, dict[int, str]]:
    """Concrete rooms inside each pool, households in order inside each class."""
    household_room = np.full(problem.households, -1, dtype=np.int64)
    hs = np.flatnonzero(cls.household_class >= 0)
    hs = hs[np.argsort(cls.household_class[hs], kind="stable")]
    h_start = np.searchsorted(cls.household_class[hs], np.arange(len(cls.count) + 1))
    rooms = np.flatnonzero(pools.room_pool >= 0)
    rooms = rooms[np.argsort(pools.room_pool[rooms], kind="stable")]
    r_start = np.searchsorted(pools.room_pool[rooms], np.arange(len(pools.rooms) + 1))
    h_next = h_start[:-1].copy()
    r_next = r_start[:-1].copy()
    for i in np.flatnonzero(flow > 0).tolist():
        c, p, f = int(ac[i]), int(ap[i]), int(flow[i])
        household_room[hs[h_next[c]:h_next[c] + f]] = rooms[r_next[p]:r_next[p] + f]
        h_next[c] += f
        r_next[p] += f
    unplaced: dict[int, str] = {}
    for c in np.flatnonzero(h_next < h_start[1:]).tolist():
        reason = structural_reason(cls, pools, int(cls.profile[c])) or NO_FREE_ROOM
        for h in hs[h_next[c]:h_start[c + 1]]:
            unplaced[int(h)] = reason
    for h in np.flatnonzero((prof.ordered > 0) & ~prof.active):
        unplaced[int(h)] = NO_CARER
    return household_room, unplaced
