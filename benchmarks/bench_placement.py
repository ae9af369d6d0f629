"""Placement benchmark: everyone under a centralized order into rooms, against the greedy
nearest-room baseline and a lower bound, checked by the independent checker.

    python benchmarks/run.py placement --scale small|full --json

small: 50,000 people in 20,000 households, 200 facilities (about 55,000 beds);
full: 500,000 people in 200,000 households, 2,000 facilities (about 550,000 beds).
A home city and four neighbouring cities; 80% of households live in the home city,
which holds 60% of the facilities. Travel is minutes by road (distance x 1.5 + 10);
leaving the home city costs 60 minutes more; each empty bed 1.

- `seconds`: the placement (profiles, classes, pools, min-cost flow with pricing,
  concrete rooms handed out); `cost` its objective;
- `lower_bound`: the Lagrangian bound over individual households and rooms (the larger
  of the bound at the flow's pool prices and at prices 0), `gap` = cost / bound - 1;
- `greedy_cost`, `greedy_gap`, `greedy_seconds`: households one by one in the nearest
  free suitable room;
- `unplaced` (households), `unplaced_people`, `unplaced_reasons`;
- `check`: the independent checker's counts for the placement (all 0), and
  `split_households` from it; `greedy_check` the same for the baseline.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any

import numpy as np

from epidesk.quarantine.placement.baseline.engine import greedy
from epidesk.quarantine.placement.bound.engine import capacity_free_bound, lagrangian_bound
from epidesk.quarantine.placement.checker.rules import check
from epidesk.quarantine.placement.engine import place
from epidesk.quarantine.placement.rules import (
    ISOLATION,
    QUARANTINE,
    Problem,
    Weights,
    household_profiles,
    placed_cost,
)

NEEDS_DATABASE = False
SCALES = {"small": (50_000, 20_000, 200), "full": (500_000, 200_000, 2_000)}
SIZES = np.array([1, 2, 3, 4, 5, 6])
SIZE_SHARE = np.array([0.25, 0.30, 0.22, 0.14, 0.06, 0.03])
ROOM_BEDS = np.array([1, 2, 3, 4, 6])


def city_problem(people: int, households: int, facilities: int, seed: int = 7) -> Problem:
    """A synthetic region: households under centralized orders and its facilities."""
    rng = np.random.default_rng(seed)
    # Cities: the home city (0) and four neighbours 60-110 km away.
    centres = np.array([[0, 0], [80, 10], [-70, 30], [20, -95], [-40, -85]], dtype=float)
    home_districts = 16 if households > 50_000 else 12
    district_city = np.concatenate([np.zeros(home_districts, dtype=np.int64),
                                    np.repeat(np.arange(1, 5), 4)])
    district_xy = centres[district_city] + rng.normal(0, 8, (len(district_city), 2))
    facility_city = np.where(rng.random(facilities) < 0.6, 0, rng.integers(1, 5, facilities))
    facility_xy = centres[facility_city] + rng.normal(0, 12, (facilities, 2))
    distance = np.linalg.norm(district_xy[:, None, :] - facility_xy[None, :, :], axis=2)
    travel = distance * 1.5 + 10.0
    facility_takes = np.where(rng.random(facilities) < 0.1, ISOLATION, QUARANTINE)
    facility_medical = (rng.random(facilities) < 0.4) | (facility_takes == ISOLATION)
    facility_eligible = rng.random(facilities) < 0.98

    # Households: sizes drawn, then nudged until they hold exactly `people`.
    sizes = rng.choice(SIZES, households, p=SIZE_SHARE)
    diff = people - int(sizes.sum())
    while diff:
        pick = np.unique(rng.integers(0, households, min(abs(diff), households // 4)))
        step = 1 if diff > 0 else -1
        ok = (sizes[pick] + step >= 1) & (sizes[pick] + step <= 6)
        np.add.at(sizes, pick[ok], step)
        diff = people - int(sizes.sum())
    home = rng.random(households) < 0.8
    household_district = np.where(home, rng.integers(0, home_districts, households),
                                  rng.integers(home_districts, len(district_city), households))
    household_takes = np.where(rng.random(households) < 0.08, ISOLATION, QUARANTINE)
    hh = np.repeat(np.arange(households), sizes)
    first = np.r_[True, hh[1:] != hh[:-1]]
    n = len(hh)
    child = ~first & (rng.random(n) < 0.14)
    infant = ~first & ~child & (rng.random(n) < 0.02)
    elderly = rng.random(n) < 0.02
    # Some households' orders cover only their dependants (a child exposed at school):
    # a parent without an order goes along as carer.
    only_dependants = rng.random(households) < 0.03
    dependent_only = only_dependants[hh]
    child |= dependent_only
    # Extra members without an order: one able adult per such household, plus a few.
    extra = np.flatnonzero(only_dependants | (rng.random(households) < 0.05))
    person_household = np.concatenate([hh, extra])
    m = len(extra)
    person_ordered = np.concatenate([np.ones(n, dtype=bool), np.zeros(m, dtype=bool)])
    dependent = np.concatenate([child | elderly, np.zeros(m, dtype=bool)])
    person_infant = np.concatenate([infant, np.zeros(m, dtype=bool)])
    problem_rooms = _rooms(rng, facilities, sizes + only_dependants)
    return Problem(
        person_household=person_household,
        person_ordered=person_ordered,
        person_needs_accessible=np.concatenate([rng.random(n) < 0.015, np.zeros(m, bool)]),
        person_needs_medical=np.concatenate([rng.random(n) < 0.02, np.zeros(m, bool)]),
        person_infant=person_infant,
        person_dependent=dependent,
        person_can_care=~dependent & ~person_infant,
        household_district=household_district.astype(np.int64),
        household_takes=household_takes.astype(np.int64),
        district_city=district_city,
        facility_city=facility_city.astype(np.int64),
        facility_medical=facility_medical,
        facility_eligible=facility_eligible,
        facility_takes=facility_takes.astype(np.int64),
        travel=travel,
        **problem_rooms,
    )


def _rooms(rng: np.random.Generator, facilities: int, occupants: Any) -> dict[str, Any]:
    """Rooms shaped like the demand, 10% more of them: the reserve was planned for
    households, not beds (about 1.1 beds per person)."""
    want = rng.choice(occupants, int(len(occupants) * 1.1))
    room_beds = ROOM_BEDS[np.searchsorted(ROOM_BEDS, np.minimum(want, 6))]
    rooms = len(room_beds)
    room_facility = np.sort(rng.integers(0, facilities, rooms))
    rng.shuffle(room_beds)
    shared = room_beds >= 2
    infant = shared & (rng.random(rooms) < 0.2)
    return {
        "room_facility": room_facility.astype(np.int64),
        "room_beds": room_beds.astype(np.int64),
        "room_accessible": rng.random(rooms) < 0.06,
        "room_infant": infant,
        "room_carer": infant | (shared & (rng.random(rooms) < 0.6)),
    }


def run(scale: str, pg_url: str) -> dict[str, Any]:
    people, households, facilities = SCALES[scale]
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    problem = city_problem(people, households, facilities)
    generate_s = time.perf_counter() - started
    weights = Weights()

    placement = place(problem, weights)
    started = time.perf_counter()
    price = np.zeros(problem.rooms)
    assert placement.pool_multiplier is not None and placement.room_pool is not None
    in_pool = placement.room_pool >= 0
    price[in_pool] = placement.pool_multiplier[placement.room_pool[in_pool]]
    bound = max(lagrangian_bound(problem, weights, price),
                capacity_free_bound(problem, weights))
    bound_s = time.perf_counter() - started
    baseline = greedy(problem, weights)
    started = time.perf_counter()
    findings = check(problem, placement.person_room, placement.unplaced)
    check_s = time.perf_counter() - started
    greedy_findings = check(problem, baseline.person_room, baseline.unplaced)
    unplaced_people = int(sum(
        np.bincount(problem.person_household[problem.person_ordered],
                    minlength=problem.households)[list(placement.unplaced)]))
    return {
        "people": problem.people,
        "households": problem.households,
        "facilities": len(problem.facility_city),
        "rooms": problem.rooms,
        "beds": int(problem.room_beds.sum()),
        "carers_possible": int((~problem.person_ordered).sum()),
        "seconds": placement.stats["seconds"],
        "cpu_seconds": placement.stats["cpu_seconds"],
        "cost": round(placement.cost, 2),
        "unplaced_part_of_cost": round(placement.cost - placed_cost(
            problem, Weights(unplaced_person=0.0), household_profiles(problem),
            placement.household_room), 2),
        "lower_bound": round(bound, 2),
        "gap": round(placement.cost / bound - 1, 6),
        "greedy_cost": round(baseline.cost, 2),
        "greedy_gap": round(baseline.cost / bound - 1, 6),
        "greedy_seconds": baseline.stats["seconds"],
        "greedy_unplaced": len(baseline.unplaced),
        "unplaced": len(placement.unplaced),
        "unplaced_people": unplaced_people,
        "unplaced_reasons": dict(Counter(placement.unplaced.values())),
        "split_households": findings["split_households"],
        "check": findings,
        "greedy_check": greedy_findings,
        "solver": {k: v for k, v in placement.stats.items()
                   if k not in ("seconds", "cpu_seconds")},
        "bound_seconds": round(bound_s, 3),
        "check_seconds": round(check_s, 3),
        "generate_seconds": round(generate_s, 3),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(os.getloadavg()[0], 2),
    }
