"""Small-count suppression, pure: the rules on examples, and an attacker with every
table of a day who tries to recover each withheld cell by linear programming."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from epidesk.kit.publication import Column, PublicTable
from epidesk.transparency import engine, rules
from epidesk.transparency.rules import SECONDARY, SMALL, protect_group
from tests.transparency.attack import recover

K = 5
START = date(2026, 11, 2)  # a Monday
DAY = Column("day", "day", "Day", "")
AREA = Column("district_code", "area", "District", "")
NEW = Column("new_cases", "count", "New cases", "")


def test_small_counts_show_as_below_the_threshold_and_zero_as_zero() -> None:
    assert protect_group([0, 7, 12], K) == [None, None, None]
    status = protect_group([0, 3, 12, 20], K)
    assert status[0] is None and status[1] == SMALL
    assert status[2] == SECONDARY and status[3] is None  # the smallest other cell


def test_a_complement_that_would_still_tell_is_followed_by_another() -> None:
    # 1 + 5 = 6: with one complement the "<5" could only be 1.
    status = protect_group([1, 5, 9], K)
    assert status == [SMALL, SECONDARY, SECONDARY]
    assert not rules.weak_cells([1, 5, 9], status, K)


def test_one_area_holding_every_case_withholds_the_whole_group() -> None:
    assert protect_group([3, 0, 0], K) == [SECONDARY] * 3
    assert protect_group([1, 1], K) == [SECONDARY] * 2
    assert protect_group([3, 4], K) == [SMALL, SMALL]  # 7: either is 3 or 4


def test_the_threshold_must_leave_a_range() -> None:
    with pytest.raises(ValueError, match="at least 3"):
        rules.suppress(PublicTable("t", "t", "", (NEW,), [(1,)], level="district"),
                       threshold=2)


def test_a_measure_is_withheld_below_its_support_and_with_its_row() -> None:
    tickets = Column("tickets", "count", "Tickets", "")
    median = Column("median_minutes", "measure", "Median", "", rests_on="tickets")
    table = PublicTable("hotline_by_district", "", "", (AREA, tickets, median),
                        [("A", 3, 12.0), ("B", 8, 30.0), ("C", 40, 22.5)], level="district",
                        min_support=10)
    published = rules.suppress(table, threshold=K)
    shown = [[rules.shown(v) for v in row] for row in published.rows]
    assert shown == [["A", "<5", "-"], ["B", "8", "-"], ["C", "40", "22.5"]]


def _tables(days: list[list[int]]) -> list[PublicTable]:
    """A district table (one list of area counts per day) and its city totals."""
    city = PublicTable("cases_city_daily", "", "", (DAY, NEW),
                       [(START + timedelta(days=d), sum(v)) for d, v in enumerate(days)])
    local = PublicTable(
        "cases_by_district_daily", "", "", (DAY, AREA, NEW),
        [(START + timedelta(days=d), f"D{a}", n) for d, v in enumerate(days)
         for a, n in enumerate(v)], level="district", totals_of="cases_city_daily")
    return [city, local]


def _as_files(published: list[rules.Published]) -> dict[str, dict[str, Any]]:
    """Every table as its JSON file says it (what the attacker downloads)."""
    return {t.name: json.loads(engine.json_bytes(t, t.rows, day=START, version=1))
            for t in published}


TOTALS = {"cases_by_district_daily": "cases_city_daily",
          "cases_by_district_weekly": "cases_city_weekly"}
counts = st.one_of(st.integers(0, 6), st.integers(0, 30))


@settings(max_examples=80, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 6).flatmap(
    lambda areas: st.lists(st.lists(counts, min_size=areas, max_size=areas),
                           min_size=1, max_size=15)))
def test_no_withheld_cell_can_be_recovered_from_the_days_tables(days: list[list[int]]) -> None:
    published = rules.publish_tables(_tables(days), threshold=K)
    files = _as_files(published)
    for bound in recover(files, TOTALS, K):
        assert not bound.recovered, bound
    # Every "<5" really is 1..4, and every shown count is the true one.
    local = next(t for t in published if t.level == "district")
    for row, source in zip(local.rows, local.source.rows, strict=True):
        value, truth = row[-1], source[-1]
        if isinstance(value, rules.Withheld):
            assert value.why != SMALL or 1 <= truth < K
        else:
            assert value == truth and not 1 <= truth < K


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(counts, min_size=2, max_size=8))
def test_the_groups_ranges_agree_with_the_attackers(values: list[int]) -> None:
    status = protect_group(values, K)
    ranges = rules.feasible(values, status, K)
    files = _as_files(rules.publish_tables(_tables([values]), threshold=K))
    if "cases_by_district_daily" not in files:
        return  # published weekly: a week of one day is the same group
    found = {b.row: (b.low, b.high) for b in recover(files, TOTALS, K)}
    for i, r in enumerate(ranges):
        if r is not None:
            assert found[i][0] == pytest.approx(r[0])
            assert found[i][1] == pytest.approx(r[1]) or r[1] == float("inf")


def test_mostly_withheld_daily_figures_become_weekly() -> None:
    days = [[0, 2, 0], [3, 0, 1], [0, 0, 2], [1, 1, 0], [0, 4, 0], [2, 0, 0], [0, 0, 3],
            [5, 9, 7]]
    published = rules.publish_tables(_tables(days), threshold=K)
    names = [t.name for t in published]
    assert "cases_by_district_weekly" in names and "cases_by_district_daily" not in names
    assert "cases_city_weekly" in names and "cases_city_daily" in names
    weekly = next(t for t in published if t.name == "cases_by_district_weekly")
    assert [c.name for c in weekly.columns] == ["week_start", "district_code", "new_cases"]
    assert {row[0] for row in weekly.rows} == {START, START + timedelta(days=7)}
    first_week = {row[1]: row[2] for row in weekly.rows if row[0] == START}
    assert first_week == {"D0": 6, "D1": 7, "D2": 6}


def test_figures_as_of_the_day_are_never_added_up_by_week() -> None:
    days = [[0, 2, 0], [3, 0, 1], [0, 0, 2], [1, 1, 0], [0, 4, 0], [2, 0, 0], [0, 0, 3],
            [5, 9, 7]]
    stock = [replace(t, flow=False) if t.level != "city" else t for t in _tables(days)]
    published = rules.publish_tables(stock, threshold=K)
    names = [t.name for t in published]
    assert "cases_by_district_daily" in names and "cases_by_district_weekly" not in names


def test_changes_list_every_past_figure_that_moved() -> None:
    before = rules.canonical(rules.publish_tables(_tables([[10, 12], [9, 9]]), threshold=K))
    after = rules.canonical(rules.publish_tables(_tables([[10, 11], [9, 9], [7, 8]]),
                                                 threshold=K))
    found = rules.changes(before, after, up_to=(START + timedelta(days=1)).isoformat())
    assert [(c.table, c.day, c.area, c.column, c.before, c.after) for c in found] == [
        ("cases_city_daily", START.isoformat(), "", "new_cases", "22", "21"),
        ("cases_by_district_daily", START.isoformat(), "D1", "new_cases", "12", "11"),
    ]


def test_a_negative_count_needs_a_note() -> None:
    table = rules.suppress(PublicTable("t", "", "", (DAY, NEW), [(START, -1)]), threshold=K)
    assert rules.unexplained_negatives([table], set()) == [("t", START.isoformat(),
                                                             "new_cases")]
    assert rules.unexplained_negatives([table], {("t", START.isoformat())}) == []
