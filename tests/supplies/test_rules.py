"""The pure rules: needs, the documented score, picking first-expired-first-out, stock
figures, and the engine's batches."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from epidesk.supplies import engine
from epidesk.supplies.rules import (
    Flags,
    Member,
    daily_needs,
    days_without,
    delivery_items,
    fefo,
    normalise_phone,
    parse_items,
    score,
    stock_figures,
)

DAY = date(2026, 11, 21)


def test_the_score_is_the_documented_sum() -> None:
    none = Flags(False, False, False, False, False, False)
    assert score(none, 0) == 0
    assert score(none, 3) == 24 and score(none, 40) == 80  # days capped at 10
    alone = Flags(medical=True, infant=False, elderly_alone=True, disability=False,
                  elderly=False, diet=False)
    assert score(alone, 2) == 40 + 25 + 16
    assert score(none, 0, "medical") == 40 and score(none, 0, "urgent") == 10


def test_needs_of_a_family_with_a_baby() -> None:
    members = [Member(date(1990, 1, 1)), Member(date(1991, 1, 1), pregnant=True),
               Member(date(2026, 1, 1))]
    needs = daily_needs(members, [], DAY)
    assert needs["food_pack"] == 2 and needs["infant_formula"] == 1 and needs["nappies"] == 6
    assert delivery_items(needs) == {"disinfectant": 1, "food_pack": 6,
                                     "infant_formula": 3, "nappies": 18}
    assert "medicine" not in needs


def test_days_without_a_delivery() -> None:
    assert days_without(DAY, date(2026, 11, 10), None) == 11
    assert days_without(DAY, date(2026, 11, 10), date(2026, 11, 19)) == 2


def test_first_expired_first_out_never_picks_an_expired_lot() -> None:
    lots = [("late", date(2027, 5, 1), 10), ("soon", date(2026, 12, 1), 4),
            ("gone", date(2026, 11, 1), 50), ("undated", None, 100)]
    assert fefo(lots, 12, on=DAY) == [("soon", 4), ("late", 8)]
    assert fefo(lots, 20, on=DAY) == [("soon", 4), ("late", 10), ("undated", 6)]
    with pytest.raises(ValueError, match="short by 6"):
        fefo(lots[:2], 20, on=DAY)


def test_stock_figures_forecast_a_shortage_before_the_stock_runs_out() -> None:
    fine = stock_figures("masks", 100, [5] * 7, [100] * 7, lead_days=3)
    assert fine.days_of_stock == 20 and not fine.shortage
    short = stock_figures("masks", 10, [5] * 7, [40, 30, 20, 0, 15, 10, 10], lead_days=3)
    assert short.days_of_stock == 2 and short.shortage and short.stock_out_days == 1


def test_bad_items_and_phones_are_refused() -> None:
    assert parse_items(["nappies", "food_pack", "nappies"]) == ["food_pack", "nappies"]
    with pytest.raises(ValueError):
        parse_items(["caviar"])
    with pytest.raises(ValueError):
        parse_items([])
    assert normalise_phone("0537-123 4567") == "05371234567"
    with pytest.raises(ValueError):
        normalise_phone("\uff11\uff13\uff19\uff10\uff10")


def test_batches_go_building_by_building_and_are_cut_at_a_volunteer_s_load() -> None:
    household = np.arange(1, 101, dtype=np.int64)
    building = np.where(household <= 90, 7, 3).astype(np.int64)
    stop = (200 - household).astype(np.int64)
    score = np.where(household == 95, 80.0, 10.0)
    plan = engine.plan(household, building, stop, score, stops_per_batch=40)
    # Building 3 holds the most urgent household: its round comes first.
    assert plan.batch_building.tolist() == [3, 7, 7, 7]
    assert np.bincount(plan.batch).tolist() == [10, 40, 40, 10]
    assert plan.household[:10].tolist() == list(range(100, 90, -1))  # walking order
