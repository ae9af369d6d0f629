"""The placement: households together, dependants with a carer, needs matched, eligible
facilities only, nobody dropped; optimal against an exact assignment on small problems,
never worse than the greedy baseline, never below the lower bound."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from epidesk.quarantine.placement.baseline.engine import greedy
from epidesk.quarantine.placement.bound.engine import capacity_free_bound, lagrangian_bound
from epidesk.quarantine.placement.checker.rules import check
from epidesk.quarantine.placement.engine import (
    SCALE,
    _coarse_prices,
    household_classes,
    place,
    room_pools,
)
from epidesk.quarantine.placement.rules import (
    ISOLATION,
    NO_CARER,
    NO_ELIGIBLE_FACILITY,
    NO_FREE_ROOM,
    NO_ROOM_LARGE_ENOUGH,
    Problem,
    Weights,
    household_profiles,
)
from tests.quarantine.placement.problems import problem, problems

WEIGHTS = Weights()
PROPERTY = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def exact_optimum(p: Problem, weights: Weights) -> float:
    """Every active household against every room, as one assignment problem."""
    prof = household_profiles(p)
    hs = np.flatnonzero(prof.active)
    if not len(hs):
        return 0.0
    big = 1e9
    cost = np.full((len(hs), p.rooms + len(hs)), big)
    for i, h in enumerate(hs):
        cost[i, p.rooms + i] = weights.unplaced_person * prof.ordered[h]
        d = p.household_district[h]
        for r in range(p.rooms):
            f = p.room_facility[r]
            fits = (p.facility_eligible[f] and p.facility_takes[f] & p.household_takes[h]
                    and p.room_beds[r] >= prof.occupants[h]
                    and (p.room_accessible[r] or not prof.accessible[h])
                    and (p.facility_medical[f] or not prof.medical[h])
                    and (p.room_infant[r] or not prof.infant[h])
                    and (p.room_carer[r] or not prof.needs_carer[h]))
            if fits:
                cost[i, r] = (p.travel[d, f] + weights.city_penalty
                              * (p.district_city[d] != p.facility_city[f])
                              + weights.spare_bed * (p.room_beds[r] - prof.occupants[h]))
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].sum())


def room_prices(placement) -> np.ndarray:
    price = np.zeros(len(placement.room_pool))
    inside = placement.room_pool >= 0
    price[inside] = placement.pool_multiplier[placement.room_pool[inside]]
    return price


@PROPERTY
@given(problems())
def test_no_split_no_overfill_no_ineligible_nobody_lost(p: Problem) -> None:
    placement = place(p, WEIGHTS)
    findings = check(p, placement.person_room, placement.unplaced)
    assert findings == dict.fromkeys(findings, 0)
    ordered = np.flatnonzero(p.person_ordered)
    for person in ordered:
        household = int(p.person_household[person])
        assert (placement.person_room[person] >= 0) != (household in placement.unplaced)


@PROPERTY
@given(problems(), st.lists(st.floats(0, 500), min_size=16, max_size=16))
def test_cost_is_optimal_and_bounds_hold(p: Problem, prices: list[float]) -> None:
    placement = place(p, WEIGHTS)
    optimum = exact_optimum(p, WEIGHTS)
    households = p.households
    # Costs are whole tenths inside the flow, and pricing stops within 0.2%.
    assert placement.cost <= optimum * 1.002 + 0.05 * households + 1e-6
    assert placement.cost >= optimum - 1e-6
    bound = lagrangian_bound(p, WEIGHTS, room_prices(placement))
    assert bound <= optimum + 1e-6
    # Any prices at all give a bound below the optimum.
    assert lagrangian_bound(p, WEIGHTS, np.array(prices[:p.rooms] + [0.0] * (
        p.rooms - min(p.rooms, 16)))) <= optimum + 1e-6
    assert capacity_free_bound(p, WEIGHTS) <= optimum + 1e-6
    baseline = greedy(p, WEIGHTS)
    assert baseline.cost >= optimum - 1e-6
    assert check(p, baseline.person_room, baseline.unplaced) == dict.fromkeys(
        check(p, baseline.person_room, baseline.unplaced), 0)


def family(members: list[dict], *, rooms: list[dict], district_city=(0,), travel=((10,),),
           facilities=({"medical": True},)) -> Problem:
    return problem([{"household": 0, **m} for m in members], [{"district": 0}],
                   list(facilities), rooms, list(district_city), [list(t) for t in travel])


def test_a_child_under_order_goes_with_a_parent_without_one() -> None:
    p = family([{"dependent": True, "can_care": False}, {"ordered": False}],
               rooms=[{"beds": 1, "carer": True}, {"beds": 2, "carer": False},
                      {"beds": 2, "carer": True}])
    placement = place(p, WEIGHTS)
    assert placement.person_room.tolist() == [2, 2]
    assert placement.unplaced == {}


def test_a_dependant_with_nobody_to_care_is_listed() -> None:
    p = family([{"dependent": True, "can_care": False}, {"ordered": False, "can_care": False}],
               rooms=[{"beds": 4, "carer": True}])
    placement = place(p, WEIGHTS)
    assert placement.unplaced == {0: NO_CARER}
    assert placement.person_room.tolist() == [-1, -1]


def test_reasons_name_what_is_missing() -> None:
    too_big = family([{}, {}, {}], rooms=[{"beds": 2}])
    assert place(too_big, WEIGHTS).unplaced == {0: NO_ROOM_LARGE_ENOUGH}
    case = problem([{"household": 0}], [{"district": 0, "takes": ISOLATION}],
                   [{"medical": True}], [{"beds": 2}], [0], [[10]])
    assert place(case, WEIGHTS).unplaced == {0: NO_ELIGIBLE_FACILITY}
    two = problem([{"household": 0}, {"household": 1}], [{"district": 0}, {"district": 0}],
                  [{}], [{"beds": 1}], [0], [[10]])
    result = place(two, WEIGHTS)
    assert sorted(result.unplaced.values()) == [NO_FREE_ROOM]
    assert (result.household_room >= 0).sum() == 1


def test_ineligible_facility_is_never_used_even_when_nearer() -> None:
    p = problem([{"household": 0}], [{"district": 0}],
                [{"eligible": False}, {"eligible": True}],
                [{"facility": 0, "beds": 1}, {"facility": 1, "beds": 1}], [0], [[5, 90]])
    assert place(p, WEIGHTS).household_room.tolist() == [1]


def test_leaving_the_home_city_costs_its_penalty() -> None:
    p = problem([{"household": 0}], [{"district": 0}], [{"city": 1}, {"city": 0}],
                [{"facility": 0, "beds": 1}, {"facility": 1, "beds": 1}], [0], [[20, 70]])
    placement = place(p, WEIGHTS)
    assert placement.household_room.tolist() == [1]  # 70 at home beats 20 + 60 away
    assert placement.cost == 70


def test_optimal_beats_greedy_where_nearest_first_blocks_a_later_household() -> None:
    # Household 0 takes the near room first in the greedy order; household 1 then has
    # to travel far although 0 had a second room almost as near.
    p = problem([{"household": 0}, {"household": 1}], [{"district": 0}, {"district": 1}],
                [{}, {}, {}], [{"facility": 0}, {"facility": 1}, {"facility": 2}],
                [0, 0], [[10, 12, 200], [11, 300, 200]])
    optimal, baseline = place(p, WEIGHTS), greedy(p, WEIGHTS)
    assert optimal.cost == 12 + 11
    assert baseline.cost == 10 + 200


def test_checker_finds_each_kind_of_violation() -> None:
    p = problem([{"household": 0}, {"household": 0}, {"household": 1, "accessible": True},
                 {"household": 2}, {"household": 2}, {"household": 3}],
                [{"district": 0}] * 4, [{"eligible": True}, {"eligible": False}],
                [{"facility": 0, "beds": 1}, {"facility": 0, "beds": 1},
                 {"facility": 0, "beds": 1}, {"facility": 1, "beds": 2}], [0], [[10, 10]])
    rooms = np.array([0, 1, 2, 2, 2, -1])  # 0 split; 1 and 2 share an overfull room
    findings = check(p, rooms, listed_households=[])
    assert findings["split_households"] == 1
    assert findings["rooms_over_capacity"] == 1
    assert findings["shared_rooms"] == 1
    assert findings["needs_unmet"] == 1
    assert findings["people_neither_placed_nor_listed"] == 1
    moved = np.array([3, 3, -1, -1, -1, -1])
    assert check(p, moved, listed_households=[1, 2, 3])["ineligible_facilities_used"] == 1


def test_coarse_prices_charge_the_crowded_facility_what_the_next_one_costs_more() -> None:
    # Three households share one near room (10 min) and five far ones (30 min): two
    # must travel further, so the near facility is worth 20 minutes more than the far.
    p = problem([{"household": h} for h in range(3)], [{"district": 0}] * 3, [{}, {}],
                [{"facility": 0}] + [{"facility": 1}] * 5, [0], [[10, 30]])
    prof = household_profiles(p)
    cls = household_classes(p, prof)
    unplaced = np.rint(WEIGHTS.unplaced_person * cls.p_ordered[cls.profile] * SCALE)
    mu = _coarse_prices(p, WEIGHTS, cls, room_pools(p), unplaced.astype(np.int64))
    assert mu.tolist() == [20 * SCALE, 0]
    placement = place(p, WEIGHTS)
    assert placement.cost == 10 + 30 + 30
    assert sorted(p.room_facility[placement.household_room].tolist()) == [0, 1, 1]


def test_a_crowded_home_city_sends_the_nearest_to_the_neighbour_city() -> None:
    # Four households in district 0 (home city, next to the border) and four in
    # district 1 (deep inside): four home rooms, four rooms across the border. Those
    # of district 0 go across, where their trip is shortest, as the exact optimum says.
    p = problem([{"household": h} for h in range(8)],
                [{"district": 0}] * 4 + [{"district": 1}] * 4, [{"city": 0}, {"city": 1}],
                [{"facility": 0}] * 4 + [{"facility": 1}] * 4, [0, 0], [[20, 25], [10, 80]])
    placement = place(p, WEIGHTS)
    assert placement.cost == exact_optimum(p, WEIGHTS) == 4 * 10 + 4 * (25 + 60)
    assert p.room_facility[placement.household_room[:4]].tolist() == [1] * 4
