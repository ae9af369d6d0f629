"""A Lagrangian lower bound on the placement's cost over individual households and
individual rooms.

Relaxing "each room holds at most one household" with a price on every room leaves one
independent choice per household: its cheapest room at cost plus price, or staying
unplaced. For any prices >= 0, the sum of those choices less the sum of the prices is a
lower bound on every feasible placement (weak duality), whoever chose the prices. Every
household is weighed against every eligible room that suits it: nothing here uses the
placer's classes, pools or arcs. Households, and rooms, that are alike in every way that
matters share one row, since their choices are the same."""

from __future__ import annotations

import numpy as np

from epidesk.quarantine.placement.rules import (
    FloatArray,
    IntArray,
    Problem,
    Weights,
    household_profiles,
)


def lagrangian_bound(problem: Problem, weights: Weights, room_price: FloatArray) -> float:
    """The bound for the given price of each room (negative prices count as 0)."""
    price = np.maximum(room_price, 0.0)
    prof = household_profiles(problem)
    usable = problem.facility_eligible[problem.room_facility]
    # Room kinds by what decides a household's fit: beds and the three suitabilities.
    kinds = np.stack([problem.room_beds, problem.room_accessible, problem.room_infant,
                      problem.room_carer], axis=1).astype(np.int64)
    kind_rows, room_kind = np.unique(kinds, axis=0, return_inverse=True)
    room_kind = room_kind.ravel()
    n_fac, n_kind = len(problem.facility_city), len(kind_rows)
    # The cheapest price of a usable room of each kind in each facility (inf: none).
    flat = np.full(n_fac * n_kind, np.inf)
    cell = problem.room_facility * n_kind + room_kind
    np.minimum.at(flat, cell[usable], price[usable])
    cheapest = flat.reshape(n_fac, n_kind)

    hs = np.flatnonzero(prof.active)
    rows = np.stack([problem.household_district[hs], problem.household_takes[hs],
                     prof.occupants[hs], prof.ordered[hs], prof.accessible[hs],
                     prof.medical[hs], prof.infant[hs], prof.needs_carer[hs]],
                    axis=1).astype(np.int64)
    total = 0.0
    if len(hs):
        groups, counts = np.unique(rows, axis=0, return_counts=True)
        for (district, takes, occ, ordered, acc, med, inf, carer), n in zip(
                groups.tolist(), counts.tolist(), strict=True):
            total += n * _best_choice(problem, weights, cheapest, kind_rows, district, takes,
                                      occ, ordered, bool(acc), bool(med), bool(inf),
                                      bool(carer))
    return total - float(price.sum())


def _best_choice(problem: Problem, weights: Weights, cheapest: FloatArray,
                 kind_rows: IntArray, district: int, takes: int, occ: int, ordered: int,
                 acc: bool, med: bool, inf: bool, carer: bool) -> float:
    """One household's cheapest room at cost plus price, or its unplaced cost."""
    kinds = kind_rows[:, 0] >= occ
    if acc:
        kinds &= kind_rows[:, 1] > 0
    if inf:
        kinds &= kind_rows[:, 2] > 0
    if carer:
        kinds &= kind_rows[:, 3] > 0
    facilities = (problem.facility_takes & takes) > 0
    if med:
        facilities &= problem.facility_medical
    unplaced = weights.unplaced_person * ordered
    f_idx, k_idx = np.flatnonzero(facilities), np.flatnonzero(kinds)
    if not len(f_idx) or not len(k_idx):
        return unplaced
    leaves = problem.facility_city[f_idx] != problem.district_city[district]
    base = problem.travel[district, f_idx] + weights.city_penalty * leaves
    spare = weights.spare_bed * (kind_rows[k_idx, 0] - occ)
    total = base[:, None] + spare[None, :] + cheapest[np.ix_(f_idx, k_idx)]
    return float(min(unplaced, total.min()))


def capacity_free_bound(problem: Problem, weights: Weights) -> float:
    """The bound with every price 0: each household in its cheapest suitable room."""
    return lagrangian_bound(problem, weights, np.zeros(problem.rooms))
