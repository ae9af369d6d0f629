"""The schedule as data and the eligibility rules: which dose, from which day."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from epidesk.errors import PresetError
from epidesk.vaccination.catalogue import service as catalogue
from epidesk.vaccination.rules import DoseGiven, Hold, age_band, age_on, check_dose, next_dose

PRODUCTS = catalogue.products()
TODAY = date(2026, 12, 1)


def _next(history: list[DoseGiven], birth: date = date(1980, 5, 1), high_risk: bool = False,
          holds: tuple[Hold, ...] = (), today: date = TODAY):  # type: ignore[no-untyped-def]
    return next_dose(history, birth=birth, high_risk=high_risk, holds=holds, today=today,
                     products=PRODUCTS)


def test_the_shipped_products_follow_the_protocol() -> None:
    assert set(PRODUCTS) == {"bbibp-corv", "coronavac"}
    for product in PRODUCTS.values():
        _first, second, booster, second_booster = product.doses
        assert product.primary_doses == 2
        assert (second.min_interval_days, second.max_interval_days) == (21, 56)
        assert (booster.series, booster.min_age, booster.min_interval_days) == (
            "first_booster", 18, 180)
        assert (second_booster.min_age_or_high_risk, second_booster.min_interval_days) == (
            60, 180)
    reasons = catalogue.reasons()
    assert "pregnancy" in reasons.contraindications and "fever" in reasons.deferrals


def test_a_product_file_with_a_bad_interval_is_refused_naming_the_field(tmp_path: Path) -> None:
    text = (catalogue.products_dir() / "coronavac.toml").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace("max_interval_days = 56", "max_interval_days = 7"))
    with pytest.raises(PresetError, match="max_interval_days is before min_interval_days"):
        catalogue.read_product(bad)
    bad.write_text(text.replace("number = 3", "number = 5"))
    with pytest.raises(PresetError, match="numbered 1, 2"):
        catalogue.read_product(bad)
    bad.write_text(text.replace("min_age = 18\nmin_interval", "min_age = 18\nmin_intervall"))
    with pytest.raises(PresetError, match=r"doses\.2"):
        catalogue.read_product(bad)


def test_nobody_vaccinated_may_have_a_first_dose_now() -> None:
    found = _next([])
    assert found is not None
    assert (found.number, found.series, found.earliest, found.reason) == (1, "primary",
                                                                          TODAY, "now")
    assert found.products == ("bbibp-corv", "coronavac")


def test_a_child_under_three_waits_for_the_birthday() -> None:
    found = _next([], birth=date(2024, 3, 10))
    assert found is not None and found.earliest == date(2027, 3, 10) and found.reason == "age"
    assert not found.may_have_on(TODAY)


def test_the_second_dose_waits_three_weeks_with_the_same_product() -> None:
    first = TODAY - timedelta(days=10)
    found = _next([DoseGiven(1, first, "coronavac")])
    assert found is not None
    assert found.number == 2 and found.earliest == first + timedelta(days=21)
    assert found.latest == first + timedelta(days=56)
    assert found.products == ("coronavac",)
    assert check_dose([DoseGiven(1, first, "coronavac")], number=2, product="bbibp-corv",
                      day=first + timedelta(days=30), birth=date(1980, 1, 1), high_risk=False,
                      holds=(), products=PRODUCTS) is not None
    assert check_dose([DoseGiven(1, first, "coronavac")], number=2, product="coronavac",
                      day=first + timedelta(days=20), birth=date(1980, 1, 1), high_risk=False,
                      holds=(), products=PRODUCTS).startswith("dose 2 may be given from")


def test_a_late_second_dose_is_still_offered_now() -> None:
    found = _next([DoseGiven(1, TODAY - timedelta(days=100), "coronavac")])
    assert found is not None and found.number == 2 and found.earliest == TODAY
    assert found.latest is not None and found.latest < TODAY


def test_first_booster_is_for_adults_six_months_after_the_series() -> None:
    history = [DoseGiven(1, date(2026, 1, 1), "coronavac"),
               DoseGiven(2, date(2026, 1, 29), "coronavac")]
    found = _next(history)
    assert found is not None and found.number == 3
    assert found.earliest == TODAY  # 29 Jan + 180 days is before 1 Dec
    assert set(found.products) == {"bbibp-corv", "coronavac"}  # any inactivated booster
    teen = _next(history, birth=date(2010, 6, 1))
    assert teen is not None and teen.earliest == date(2028, 6, 1) and teen.reason == "age"


def test_second_booster_for_sixty_and_over_or_high_risk_only() -> None:
    history = [DoseGiven(1, date(2025, 1, 1), "bbibp-corv"),
               DoseGiven(2, date(2025, 1, 29), "bbibp-corv"),
               DoseGiven(3, date(2025, 9, 1), "bbibp-corv")]
    older = _next(history, birth=date(1950, 1, 1))
    younger = _next(history, birth=date(1990, 1, 1))
    at_risk = _next(history, birth=date(1990, 1, 1), high_risk=True)
    assert older is not None and older.earliest == TODAY
    assert younger is not None and younger.earliest == date(2050, 1, 1)
    assert at_risk is not None and at_risk.earliest == TODAY
    done = _next([*history, DoseGiven(4, date(2026, 3, 1), "bbibp-corv")])
    assert done is None


def test_a_deferral_moves_the_day_and_nothing_else() -> None:
    fever = Hold("fever", until=TODAY + timedelta(days=6))
    found = _next([], holds=(fever,))
    assert found is not None and found.earliest == TODAY + timedelta(days=7)
    assert found.reason == "hold" and found.number == 1
    past = Hold("acute_illness", until=TODAY - timedelta(days=1))
    assert _next([], holds=(past,)).earliest == TODAY  # type: ignore[union-attr]
    open_ended = _next([], holds=(Hold("allergy", until=None),))
    assert open_ended is not None and open_ended.earliest is None
    assert not open_ended.may_have_on(TODAY + timedelta(days=3650))


def test_ages_and_bands() -> None:
    assert age_on(date(2000, 2, 29), date(2018, 2, 28)) == 17
    assert age_on(date(2000, 2, 29), date(2018, 3, 1)) == 18
    assert [age_band(a) for a in (2, 3, 17, 18, 59, 60, 79, 80, 104)] == [
        None, "3-17", "3-17", "18-59", "18-59", "60-69", "70-79", "80+", "80+"]
