"""Campaign feasibility on plain values."""

from __future__ import annotations

from datetime import date, timedelta

from epidesk.vaccination.campaigns.engine import SiteInput, assess, site_figures

FIRST = date(2026, 12, 7)  # a Monday
DAYS = [FIRST + timedelta(days=i) for i in range(3)]
WEEK = {d: (8 * 60, 18 * 60) for d in range(7)}


def _site(n: int, *, stations: int = 4, rate: int = 30, staff: int | None = None,
          district: int = 1, stock: int = 100_000) -> SiteInput:
    on_shift = stations if staff is None else staff
    return SiteInput(site_id=n, code=f"S{n}", name=f"site {n}", district_id=district,
                     stations=stations, rate=rate, weekly_hours=WEEK,
                     shifts={d: [(8 * 60, 18 * 60)] * on_shift for d in DAYS}, stock=stock)


def test_capacity_is_open_staffed_station_hours_times_rate() -> None:
    full = site_figures(_site(1), DAYS)
    assert (full.open_hours, full.station_hours, full.capacity) == (30, 120, 3600)
    half = site_figures(_site(2, staff=2), DAYS)
    assert (half.station_hours, half.capacity, half.full_capacity) == (60, 1800, 3600)
    # Staff beyond the stations add nothing; a closed day gives nothing.
    crowded = site_figures(_site(3, staff=9), DAYS)
    assert crowded.capacity == 3600
    closed = SiteInput(site_id=4, code="S4", name="", district_id=1, stations=4, rate=30,
                       weekly_hours={0: (480, 1080)}, shifts={d: [(480, 1080)] * 4 for d in DAYS})
    assert site_figures(closed, DAYS).capacity == 1200  # open on the Monday only


def test_54000_doses_in_3_days_is_refused_with_the_shortfall_and_what_would_do() -> None:
    sites = [_site(n) for n in range(1, 4)]
    neighbours = [(2, 12.5, [_site(10 + n, district=2, stations=10) for n in range(3)])]
    found = assess(district_id=1, first_day=DAYS[0], last_day=DAYS[-1], target=54_000,
                   sites=sites, eligible=600_000, neighbours=neighbours)
    assert not found.feasible
    assert found.capacity == 3 * 3600 == 10_800
    assert found.shortfall == 54_000 - 10_800 == 43_200
    assert found.limits == ["capacity"]
    kinds = {s.kind: s for s in found.suggestions}
    days = kinds["more_days"]
    assert days.enough and days.numbers["extra_days"] == 12  # 3,600 a day per 3 sites
    assert days.numbers["added_doses"] >= 43_200
    stations = kinds["more_stations"]
    assert stations.enough and stations.numbers["added_doses"] >= 43_200
    assert stations.numbers["extra_stations"] == 48  # 16 more at each of the 3 sites
    borrowed = kinds["borrow_sites"]
    assert borrowed.numbers["added_doses"] == 27_000 and not borrowed.enough  # 3 x 9,000
    assert "staff_stations" not in kinds  # every station is staffed already
    as_json = found.as_dict()
    assert as_json["shortfall"] == 43_200 and as_json["feasible"] is False


def test_staffing_binds_before_stations() -> None:
    found = assess(district_id=1, first_day=DAYS[0], last_day=DAYS[-1], target=3_000,
                   sites=[_site(1, staff=1)], eligible=10_000)
    assert found.capacity == 900 and found.shortfall == 2_100
    staff = next(s for s in found.suggestions if s.kind == "staff_stations")
    assert staff.numbers["extra_station_hours"] == 90 and staff.numbers["extra_shifts"] == 12
    assert staff.numbers["added_doses"] == 2_700 and staff.enough


def test_stock_and_people_bind_too() -> None:
    found = assess(district_id=1, first_day=DAYS[0], last_day=DAYS[-1], target=3_000,
                   sites=[_site(1, stock=1_000)], eligible=2_500)
    assert found.capacity == 3_600 and found.achievable == 1_000
    assert found.limits == ["stock", "eligible"] and found.shortfall == 2_000
    kinds = {s.kind: s.numbers for s in found.suggestions}
    assert kinds["more_stock"]["extra_doses"] == 2_000
    assert kinds["lower_target"] == {"eligible": 2_500, "target": 2_500, "over_by": 500}
    assert "more_days" not in kinds  # capacity is not what binds


def test_a_feasible_target_passes_with_no_suggestion() -> None:
    found = assess(district_id=1, first_day=DAYS[0], last_day=DAYS[-1], target=3_600,
                   sites=[_site(1)], eligible=3_600)
    assert found.feasible and found.shortfall == 0 and not found.suggestions
