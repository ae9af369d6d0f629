"""Greedy nearest room: households in the order given, each in the nearest free room that
suits it (travel plus the penalty for leaving the home city; fewer empty beds first on a
tie). What a dispatcher with a list of rooms would do; the optimal placement is measured
against it."""

from __future__ import annotations

import time

import numpy as np

from epidesk.quarantine.placement.engine import (
    SCALE,
    PoolCosts,
    household_classes,
    room_pools,
    structural_reason,
)
from epidesk.quarantine.placement.rules import (
    NO_CARER,
    NO_FREE_ROOM,
    Placement,
    Problem,
    Weights,
    household_profiles,
    placed_cost,
)


def greedy(problem: Problem, weights: Weights | None = None) -> Placement:
    """Place households one by one in the nearest suitable free room."""
    weights = weights or Weights()
    started = time.perf_counter()
    prof = household_profiles(problem)
    pools = room_pools(problem)
    cls = household_classes(problem, prof)
    near = Weights(city_penalty=weights.city_penalty, spare_bed=0.0,
                   unplaced_person=weights.unplaced_person)
    costs = PoolCosts(problem, near, cls, pools)
    ranked: list[np.ndarray] = [np.zeros(0, dtype=np.int64)] * len(cls.count)
    for p in range(len(cls.p_takes)):
        classes, cp, cost = costs.block(p)
        if not len(cp):
            continue
        # Nearest first; among equals, the room with fewest beds.
        tie = np.broadcast_to(pools.beds[cp][None, :], cost.shape)
        order = np.lexsort((tie, cost), axis=1) if cost.size else cost
        for row, c in enumerate(classes):
            ranked[c] = cp[order[row]]

    free = pools.rooms.copy()
    rooms = np.flatnonzero(pools.room_pool >= 0)
    rooms = rooms[np.argsort(pools.room_pool[rooms], kind="stable")]
    next_room = np.searchsorted(pools.room_pool[rooms], np.arange(len(pools.rooms)))
    pointer = np.zeros(len(cls.count), dtype=np.int64)
    household_room = np.full(problem.households, -1, dtype=np.int64)
    unplaced: dict[int, str] = {}
    hc = cls.household_class.tolist()
    free_l, next_l, ptr = free.tolist(), next_room.tolist(), pointer.tolist()
    ranked_l = [r.tolist() for r in ranked]
    rooms_l = rooms.tolist()
    for h, c in enumerate(hc):
        if c < 0:
            if prof.ordered[h] > 0:
                unplaced[h] = NO_CARER
            continue
        options, i = ranked_l[c], ptr[c]
        while i < len(options) and free_l[options[i]] == 0:
            i += 1
        ptr[c] = i
        if i == len(options):
            unplaced[h] = structural_reason(cls, pools, int(cls.profile[c])) or NO_FREE_ROOM
            continue
        pool = options[i]
        household_room[h] = rooms_l[next_l[pool]]
        next_l[pool] += 1
        free_l[pool] -= 1
    person_room = np.full(len(problem.person_household), -1, dtype=np.int64)
    ordered = np.flatnonzero(problem.person_ordered)
    person_room[ordered] = household_room[problem.person_household[ordered]]
    carers = np.flatnonzero((prof.carer_person >= 0) & (household_room >= 0))
    person_room[prof.carer_person[carers]] = household_room[carers]
    return Placement(household_room=household_room, person_room=person_room,
                     unplaced=unplaced,
                     cost=placed_cost(problem, weights, prof, household_room),
                     stats={"seconds": round(time.perf_counter() - started, 3),
                            "scale": SCALE})
