"""The engine against the plain reference implementation, window edges, and visit logs."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from epidesk.tracing import rules
from epidesk.tracing.graph import engine as graph_engine
from epidesk.tracing.graph.engine import (
    CLOSE,
    EXPOSURE,
    HOUSEHOLD,
    SCHOOL_CLASS,
    SUB_CLOSE,
    VENUE,
    WORK_GROUP,
)
from epidesk.tracing.runs import engine as runs_engine
from epidesk.tracing.runs.engine import CaseBatch, Lookup, Parameters
from epidesk.tracing.visits import engine as visits_engine
from tests.tracing.helpers import CITY
from tests.tracing.reference import City
from tests.tracing.reference import classify as reference

T0 = 1_767_225_600  # 2026-01-01T00:00Z
UNIT = 900  # a quarter of an hour: times on a coarse grid meet the window edges often
FOREVER = rules.FOREVER
EVERY = frozenset({HOUSEHOLD, WORK_GROUP, SCHOOL_CLASS, EXPOSURE})


def at(units: int) -> int:
    return T0 + units * UNIT


def params(*, close: frozenset[int] = EVERY, minimum: int = 2 * UNIT,
           sub: frozenset[int] | None = EVERY, promote: bool = True,
           now: int = at(100)) -> Parameters:
    return Parameters(close_settings=close, min_overlap=minimum, sub_close_settings=sub,
                      promote=promote, now=now)


def classify(city: City, cases: list[tuple[int, int, int, int]], p: Parameters,
             isolation: dict[int, int] | None = None,
             prior: dict[int, int] | None = None) -> set[tuple[int, ...]]:
    """The engine's rows, checked against the reference on the way."""
    isolation = isolation or {}
    prior = prior or {}
    batch = CaseBatch.of(*zip(*cases, strict=True))
    got = runs_engine.classify(graph_engine.build_graph(city.arrays()), batch, p,
                          isolation=Lookup.of(list(isolation), list(isolation.values())),
                          prior=Lookup.of(list(prior), list(prior.values())))
    rows = got.rows()
    assert rows == reference(city, cases, p, isolation=isolation, prior=prior)
    return rows


# ------------------------------------------------------------------ random small cities


@st.composite
def cities(draw: Any) -> tuple[City, list[tuple[int, int, int, int]], Parameters,
                               dict[int, int], dict[int, int]]:
    people = list(range(1, draw(st.integers(2, 9)) + 1))

    def moment() -> int:
        return at(draw(st.integers(0, 40)))

    def memberships(most: int) -> list[tuple[int, int, int, int]]:
        out = []
        for _ in range(draw(st.integers(0, most))):
            start = moment()
            end = draw(st.one_of(st.just(FOREVER), st.integers(1, 40).map(at)))
            out.append((draw(st.sampled_from(people)), draw(st.integers(1, 3)), start,
                        end if end == FOREVER else max(end, start + UNIT)))
        return out

    exposures = []
    for i in range(draw(st.integers(0, 5))):
        a, b = draw(st.sampled_from(people)), draw(st.sampled_from(people))
        if a != b:
            exposures.append((i + 1, a, b, moment()))
    visits = {(draw(st.sampled_from(people)), draw(st.integers(1, 3)), start,
               start + draw(st.integers(1, 8)) * UNIT)
              for start in (moment() for _ in range(draw(st.integers(0, 14))))}
    # Some people have always lived in one household; the others moved in and out.
    settled = draw(st.sets(st.sampled_from(people)))
    city = City(households={p: draw(st.integers(1, 3)) for p in people if p in settled},
                work=memberships(7), classes=memberships(5), exposures=exposures,
                visits=sorted(visits), homes=memberships(8))
    cases = []
    for n in range(1, draw(st.integers(1, 3)) + 1):
        start = moment()
        cases.append((n * 10, draw(st.sampled_from(people)), start,
                      start + draw(st.integers(0, 30)) * UNIT))
    identified = draw(st.booleans())
    p = params(close=frozenset(draw(st.sets(st.sampled_from(sorted(EVERY))))),
               minimum=draw(st.integers(1, 3)) * UNIT,
               sub=frozenset(draw(st.sets(st.sampled_from(sorted(EVERY))))) if identified
               else None,
               promote=draw(st.booleans()), now=at(draw(st.integers(0, 50))))
    isolation = {r: moment() for r in draw(st.lists(st.sampled_from(people), max_size=3))}
    prior = {r: moment() for r in draw(st.lists(st.sampled_from(people), max_size=2))}
    return city, cases, p, isolation, prior


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(cities())
def test_the_engine_agrees_with_the_reference_on_random_cities(data: Any) -> None:
    city, cases, p, isolation, prior = data
    rows = classify(city, cases, p, isolation, prior)
    if p.sub_close_settings is None:
        assert all(r[2] == CLOSE for r in rows)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(cities())
def test_visits_added_later_give_the_same_answer(data: Any) -> None:
    city, cases, p, isolation, prior = data
    batch = CaseBatch.of(*zip(*cases, strict=True))
    lookups = {"isolation": Lookup.of(list(isolation), list(isolation.values())),
               "prior": Lookup.of(list(prior), list(prior.values()))}
    whole = runs_engine.classify(graph_engine.build_graph(city.arrays()), batch, p, **lookups)
    half = len(city.visits) // 2
    graph = graph_engine.build_graph(replace(city, visits=city.visits[:half]).arrays())
    if city.visits[half:]:
        rest = np.asarray(city.visits[half:], dtype=np.int64)
        graph.add_visits(rest[:, 0], rest[:, 1], rest[:, 2], rest[:, 3])
    assert runs_engine.classify(graph, batch, p, **lookups).rows() == whole.rows()
    graph.merge()
    assert graph.delta is None
    assert runs_engine.classify(graph, batch, p, **lookups).rows() == whole.rows()


def test_visits_added_to_a_graph_loaded_without_any() -> None:
    city = City(households={1: 1, 2: 2}, visits=[(1, 5, at(10), at(14)), (2, 5, at(11), at(14))])
    cases = [(100, 1, at(0), at(50))]
    p = params(close=frozenset({VENUE}), sub=None)
    graph = graph_engine.build_graph(replace(city, visits=[]).arrays())
    rest = np.asarray(city.visits, dtype=np.int64)
    graph.add_visits(rest[:, 0], rest[:, 1], rest[:, 2], rest[:, 3])
    rows = runs_engine.classify(graph, CaseBatch.of(*zip(*cases, strict=True)), p,
                           isolation=Lookup.of([], []), prior=Lookup.of([], [])).rows()
    assert rows == classify(city, cases, p)
    assert {r[0] for r in rows} == {2}


# ------------------------------------------------------------------ window edges

CASE = (100, 1, at(10), at(20))


def test_an_exposure_exactly_at_the_window_start_counts_and_at_its_end_does_not() -> None:
    city = City(households={1: 1, 2: 2, 3: 3, 4: 4},
                exposures=[(7, 1, 2, at(10)), (8, 3, 1, at(20)), (9, 1, 4, at(20) - 1)])
    rows = classify(city, [CASE], params(sub=None))
    assert {r[0] for r in rows} == {2, 4}
    assert (2, 100, CLOSE, EXPOSURE, 7, -1, at(10), at(10)) in rows


def test_a_visit_overlap_of_exactly_the_minimum_counts() -> None:
    city = City(households={1: 1, 2: 2, 3: 3, 4: 4}, visits=[
        (1, 5, at(12), at(16)),
        (2, 5, at(14), at(18)),  # overlaps 2 units: exactly the minimum
        (3, 5, at(14) + 1, at(18)),  # one second short
        (4, 5, at(9), at(12)),  # leaves as the case arrives
    ])
    rows = classify(city, [CASE], params(sub=None))
    assert rows == {(2, 100, CLOSE, VENUE, 5, -1, at(14), at(16))}


def test_a_visit_is_clipped_to_the_window() -> None:
    city = City(households={1: 1, 2: 2}, visits=[(1, 5, at(18), at(24)), (2, 5, at(18), at(24))])
    rows = classify(city, [CASE], params(sub=None))
    assert rows == {(2, 100, CLOSE, VENUE, 5, -1, at(18), at(20))}
    short = City(households={1: 1, 2: 2}, visits=[(1, 5, at(19), at(24)), (2, 5, at(19), at(24))])
    assert classify(short, [CASE], params(sub=None)) == set()


def test_memberships_count_only_while_both_belong_and_inside_the_window() -> None:
    city = City(households={1: 1, 2: 2, 3: 3, 4: 4}, work=[
        (1, 9, at(0), FOREVER),
        (2, 9, at(20), FOREVER),     # joined as the window closed: no overlap
        (3, 9, at(0), at(10)),       # left as it opened: no overlap
        (4, 9, at(15), at(30)),
    ])
    rows = classify(city, [CASE], params(sub=None))
    assert rows == {(4, 100, CLOSE, WORK_GROUP, 9, -1, at(15), at(20))}


def test_household_members_are_close_for_the_whole_window() -> None:
    city = City(households={1: 1, 2: 1, 3: 2})
    assert classify(city, [CASE], params(sub=None)) == {
        (2, 100, CLOSE, HOUSEHOLD, 1, -1, at(10), at(20))}


def test_household_members_count_only_while_both_lived_there() -> None:
    city = City(households={1: 1}, homes=[
        (2, 1, at(0), at(10)),       # moved out as the window opened: no overlap
        (3, 1, at(20), FOREVER),     # moved in as it closed: no overlap
        (4, 1, at(0), at(5)),        # moved out long before
        (4, 2, at(5), FOREVER),      # ... to another household
        (5, 1, at(14), FOREVER),     # moved in during the window
        (6, 1, at(0), at(12)),       # moved out during the window
        (6, 2, at(12), FOREVER),
    ])
    rows = classify(city, [CASE], params(sub=None))
    assert rows == {(5, 100, CLOSE, HOUSEHOLD, 1, -1, at(14), at(20)),
                    (6, 100, CLOSE, HOUSEHOLD, 1, -1, at(10), at(12))}


def test_a_case_who_moved_shares_each_household_only_while_living_there() -> None:
    city = City(households={2: 1, 3: 2},
                homes=[(1, 1, at(0), at(15)), (1, 2, at(15), FOREVER)])
    rows = classify(city, [CASE], params(sub=None))
    assert rows == {(2, 100, CLOSE, HOUSEHOLD, 1, -1, at(10), at(15)),
                    (3, 100, CLOSE, HOUSEHOLD, 2, -1, at(15), at(20))}


def test_sub_close_household_contacts_follow_moves_too() -> None:
    # 2 is close by exposure at 12; 3 lived with 2 until 14; 4 moved in at 30, after
    # 2 was isolated (at 25).
    city = City(households={1: 1, 2: 2}, homes=[(3, 2, at(0), at(14)), (4, 2, at(30), FOREVER)],
                exposures=[(7, 1, 2, at(12))])
    rows = classify(city, [CASE], params(), isolation={2: at(25)})
    assert (3, 100, SUB_CLOSE, HOUSEHOLD, 2, 2, at(12), at(14)) in rows
    assert not any(r[0] == 4 for r in rows)


def test_sub_close_runs_from_the_first_exposure_until_isolation() -> None:
    # 2 is a close contact (exposure at 12, work group from 14); 3 lives with 2.
    city = City(households={1: 1, 2: 2, 3: 2, 4: 4}, work=[(1, 9, at(14), FOREVER),
                                                         (2, 9, at(0), FOREVER)],
                exposures=[(7, 1, 2, at(12)), (8, 2, 4, at(30))])
    rows = classify(city, [CASE], params(), isolation={2: at(30)})
    assert (3, 100, SUB_CLOSE, HOUSEHOLD, 2, 2, at(12), at(30)) in rows
    # An exposure exactly at the close contact's isolation is not counted.
    assert not any(r[0] == 4 for r in rows)
    rows = classify(city, [CASE], params(), isolation={2: at(30) + 1})
    assert (4, 100, SUB_CLOSE, EXPOSURE, 8, 2, at(30), at(30)) in rows


def test_a_case_is_never_its_own_sub_close_contact() -> None:
    city = City(households={1: 1, 2: 1})
    rows = classify(city, [CASE], params())
    assert {r[0] for r in rows} == {2}


def test_presets_without_sub_close_contacts_produce_none() -> None:
    city = City(households={1: 1, 2: 1, 3: 2}, work=[(2, 9, at(0), FOREVER),
                                                   (3, 9, at(0), FOREVER)])
    assert all(r[2] == CLOSE for r in classify(city, [CASE], params(sub=None)))
    assert any(r[2] == SUB_CLOSE for r in classify(city, [CASE], params()))


def test_a_close_contact_who_became_a_case_promotes_its_sub_close_contacts() -> None:
    city = City(households={1: 1, 2: 2, 3: 2}, exposures=[(7, 1, 2, at(12))])
    second = (200, 2, at(16), at(25))
    rows = classify(city, [CASE, second], params(), isolation={2: at(25)})
    assert (3, 100, SUB_CLOSE, HOUSEHOLD, 2, 2, at(12), at(25)) in rows
    assert (3, 200, CLOSE, HOUSEHOLD, 2, 2, at(12), at(25)) in rows
    # Earlier exposures known from before the batch count the same way.
    rows = classify(city, [second], params(), isolation={2: at(25)}, prior={2: at(12)})
    assert (3, 200, CLOSE, HOUSEHOLD, 2, 2, at(12), at(25)) in rows
    assert not any(r[1] == 200 and r[5] == 2 for r in classify(
        city, [CASE, second], params(promote=False), isolation={2: at(25)}))


def test_the_graph_counts_exposure_opportunities() -> None:
    city = City(households={1: 1, 2: 1, 3: 1, 4: 2}, work=[(1, 9, 0, FOREVER), (2, 9, 0, FOREVER)],
                visits=[(1, 5, at(0), at(4)), (2, 5, at(3), at(5)), (3, 5, at(4), at(6)),
                        (4, 6, at(0), at(9))])
    counts = graph_engine.build_graph(city.arrays()).opportunities()
    assert counts["household_pairs"] == 3 and counts["work_group_pairs"] == 1
    assert counts["venue_visit_pairs"] == 2
    assert counts["total"] == 6


# ------------------------------------------------------------------ visit logs


def parse(text: str, *, residents: list[int] = (1, 2), venues: list[int] = (5,),
          now: int = at(10_000)) -> visits_engine.ParsedVisits:
    parsed = visits_engine.parse_visits(visits_engine.read_visit_log(text.encode()))
    visits_engine.validate_visits(parsed, residents=visits_engine.bitmap(np.asarray(residents)),
                           venues=visits_engine.bitmap(np.asarray(venues)), now=now)
    return parsed


HEADER = "resident_id,venue_id,started_at,ended_at\n"


def test_a_good_log_parses_to_seconds() -> None:
    parsed = parse(HEADER + "1,5,2026-01-01T08:00:00+08:00,2026-01-01T00:30:00Z\n")
    assert parsed.ok
    assert parsed.started_at.tolist() == [T0] and parsed.ended_at.tolist() == [T0 + 1800]


def test_every_problem_is_found_and_reported_by_line() -> None:
    parsed = parse(HEADER + "\n".join([
        "1,5,2026-01-01T08:00:00+08:00,2026-01-01T09:00:00+08:00",
        "3,5,2026-01-01T08:00:00+08:00,2026-01-01T09:00:00+08:00",
        "2,6,2026-01-01T08:00:00+08:00,2026-01-01T09:00:00+08:00",
        "2,5,yesterday,2026-01-01T09:00:00+08:00",
        "1,5,2026-01-01T08:00:00+08:00,2026-01-01T10:00:00+08:00",
    ]) + "\n")
    report = visits_engine.visit_report(parsed)
    assert [(p.line, p.column, p.kind) for p in report.problems] == [
        (3, "resident_id", "unknown_resident"), (4, "venue_id", "unknown_venue"),
        (5, "started_at", "bad_time"), (6, "started_at", "duplicate_visit")]
    assert "line 2" in report.problems[-1].problem
    assert report.counts == {"bad_time": 1, "unknown_resident": 1, "unknown_venue": 1,
                             "duplicate_visit": 1}


def test_an_unreadable_file_is_refused() -> None:
    with pytest.raises(visits_engine.UnreadableVisitLog):
        visits_engine.read_visit_log(b'resident_id,venue_id\n"1,5\n2,3,4\n')


def test_written_logs_read_back() -> None:
    content = visits_engine.write_visit_log({"resident_id": np.asarray([1]),
                                            "venue_id": np.asarray([5]),
                                      "started_at": np.asarray([T0]),
                                      "ended_at": np.asarray([T0 + 600])})
    assert b"2026-01-01T08:00:00+08:00" in content
    parsed = parse(content.decode())
    assert parsed.ok and parsed.ended_at.tolist() == [T0 + 600]


def test_synthetic_visits_depend_on_the_seed_only() -> None:
    venues = visits_engine.VenueTable(np.asarray([1, 2, 3]), np.asarray([1, 1, 2]),
                               ["restaurant", "park", "hotel"])
    ids, communities = np.arange(1, 501), np.repeat([1, 2], 250)

    def make(seed: int) -> list[np.ndarray]:
        parts = list(visits_engine.synthetic_visits(ids, communities, venues, first_day=T0, days=7,
                                             seed=seed, chunk=200))
        return [np.concatenate([p[i] for p in parts]) for i in range(4)]

    a, b, c = make(1), make(1), make(2)
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    assert not np.array_equal(a[2], c[2])
    resident, venue, start, end = a
    assert ((end - start) >= 300).all() and ((end - start) <= 86_400).all()
    assert ((start - T0) % 60 == 0).all() and set(np.unique(venue)) <= {1, 2, 3}
    order = np.lexsort((start, venue, resident))
    keys = np.stack([resident[order], venue[order], start[order]])
    assert (np.diff(keys, axis=1) != 0).any(axis=0).all()
    assert rules.local_date(int(start.min()), CITY) >= rules.local_date(T0, CITY)
