"""The geometry tree's roll-ups and the zones drawn from cases, on plain arrays."""

from __future__ import annotations

import datetime as dt

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from epidesk.zoning.engine import (
    KIND_CODES,
    LEVEL_CODES,
    CaseArrays,
    Drawing,
    TreeArrays,
    build_tree,
    compute_zones,
)
from epidesk.zoning.rules import FLOORS, TREE_KINDS


def i64(values: list[int]) -> np.ndarray:  # type: ignore[type-arg]
    return np.asarray(values, dtype=np.int64)


def city(households: list[tuple[int, int, int, int]]) -> TreeArrays:
    """Two districts; community 1 (district 1) has buildings 1-2, community 2 (district 2)
    building 3; units 10, 11 (b1), 20 (b2), 30 (b3); addresses (id, unit, floor, residents)."""
    addresses = households
    return TreeArrays(
        address=i64([a for a, _, _, _ in addresses]),
        address_unit=i64([u for _, u, _, _ in addresses]),
        address_floor=i64([f for _, _, f, _ in addresses]),
        address_community=i64([1 if u < 30 else 2 for _, u, _, _ in addresses]),
        unit=i64([10, 11, 20, 30]), unit_building=i64([1, 1, 2, 3]),
        community=i64([1, 2]), community_subdistrict=i64([100, 200]),
        subdistrict=i64([100, 200]), subdistrict_district=i64([7, 8]),
        household_address=i64([a for a, _, _, n in addresses if n]),
        household_residents=i64([n for _, _, _, n in addresses if n]),
        venue=i64([500]), venue_community=i64([2]),
        household=i64([a for a, _, _, n in addresses if n]),
        household_at=i64([a for a, _, _, n in addresses if n]))


FLATS = [(1, 10, 1, 3), (2, 10, 1, 2), (3, 10, 2, 4), (4, 11, 1, 1), (5, 20, 1, 5),
         (6, 30, 1, 2), (7, 30, 2, 0)]
DAY = dt.date(2026, 11, 10).toordinal()


def one_case(address: int, *, venue: int | None = None) -> CaseArrays:
    return CaseArrays(
        case=i64([41]), sampling=i64([DAY]), first=i64([DAY - 4]), last=i64([DAY]),
        stay_case=i64([0]), stay_address=i64([address]), stay_first=i64([DAY - 400]),
        stay_last=i64([DAY + 10_000]),
        visit_case=i64([0] if venue else []), visit_venue=i64([venue] if venue else []),
        visit_day=i64([DAY - 1] if venue else []))


def test_counts_are_rolled_up_the_tree() -> None:
    tree = build_tree(city(FLATS))
    assert tree.residents == 17
    res, homes = tree.population("floor", i64([10 * FLOORS + 1, 10 * FLOORS + 2]))
    assert res.tolist() == [5, 4] and homes.tolist() == [2, 1]
    assert tree.population("unit", i64([10, 11]))[0].tolist() == [9, 1]
    assert tree.population("building", i64([1, 2, 3]))[0].tolist() == [10, 5, 2]
    assert tree.population("compound", i64([1, 2]))[0].tolist() == [15, 2]
    assert tree.population("district", i64([7, 8]))[0].tolist() == [15, 2]
    # An empty flat is no household.
    assert tree.population("building", i64([3]))[1].tolist() == [1]


def test_each_granularity_draws_the_node_holding_the_home() -> None:
    tree = build_tree(city(FLATS))
    expected = {"household": (1, 3), "floor": (10 * FLOORS + 1, 5), "unit": (10, 9),
                "building": (1, 10), "compound": (1, 15)}
    for kind, (ref, residents) in expected.items():
        zones = compute_zones(tree, one_case(1), Drawing(kind, None, False))
        assert zones.keys() == [f"{kind}:{ref}"]
        assert zones.residents.tolist() == [residents]
        assert zones.level.tolist() == [LEVEL_CODES["high"]]
        assert zones.trigger_case.tolist() == [41]


def test_places_and_the_low_rest() -> None:
    tree = build_tree(city(FLATS))
    zones = compute_zones(tree, one_case(1, venue=500), Drawing("compound", "medium", True))
    got = dict(zip(zones.keys(), zip(zones.level.tolist(), zones.residents.tolist(),
                                     strict=True), strict=True))
    assert got == {"compound:1": (3, 15), "compound:2": (2, 2), "district:7": (1, 0),
                   "district:8": (1, 0)}
    zones = compute_zones(tree, one_case(1, venue=500), Drawing("unit", "high", False))
    assert sorted(zones.keys()) == ["unit:10", "venue:500"]
    # A visit outside the infectious days draws nothing.
    late = one_case(1, venue=500)
    late.visit_day[0] = DAY + 3
    assert compute_zones(tree, late, Drawing("unit", "high", False)).keys() == ["unit:10"]


def test_the_10_measures_never_draw_a_compound() -> None:
    tree = build_tree(city(FLATS))
    zones = compute_zones(tree, one_case(3, venue=500), Drawing("household", None, False))
    assert zones.kind.tolist() == [KIND_CODES["household"]]


@settings(max_examples=60, deadline=None)
@given(flats=st.lists(st.tuples(st.sampled_from([10, 11, 20, 30]), st.integers(1, 4),
                                st.integers(0, 6)), min_size=1, max_size=30),
       kind=st.sampled_from(TREE_KINDS), pick=st.integers(0, 29))
def test_a_zone_covers_the_home_and_no_more_than_its_unit(
        flats: list[tuple[int, int, int]], kind: str, pick: int) -> None:
    rows = [(i + 1, u, f, n) for i, (u, f, n) in enumerate(flats)]
    tree = build_tree(city(rows))
    home = rows[pick % len(rows)]
    zones = compute_zones(tree, one_case(home[0]), Drawing(kind, None, False))
    assert len(zones) == 1
    residents = int(zones.residents[0])
    # Never fewer than the case's own household ...
    assert residents >= home[3]
    # ... nor more than the unit of the granularity holds.
    allowed = sum(n for a, u, f, n in rows if _same(kind, home, (a, u, f, n)))
    assert residents == allowed


def _same(kind: str, a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    building = {10: 1, 11: 1, 20: 2, 30: 3}
    return {"household": a[0] == b[0], "floor": (a[1], a[2]) == (b[1], b[2]),
            "unit": a[1] == b[1], "building": building[a[1]] == building[b[1]],
            "compound": (a[1] < 30) == (b[1] < 30)}[kind]
