"""A campaign target is checked against the district's sites before it is accepted."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from epidesk.errors import ValidationFailedError
from epidesk.people.models import Resident
from epidesk.vaccination.campaigns import service
from epidesk.vaccination.campaigns.service import InfeasibleTargetError
from epidesk.vaccination.models import Campaign
from epidesk.vaccination.sites import service as sites
from tests.vaccination.scene import WEEK, scene

PEOPLE = 60_000


def _residents(db: Session, household_id: int, community_id: int, n: int) -> None:
    db.execute(insert(Resident), [
        {"household_id": household_id, "community_id": community_id,
         "id_number": None, "name": "居民", "name_latin": "Resident", "name_search": "resident",
         "sex": "F", "birth_date": date(1960 + i % 40, 1 + i % 12, 1), "phone": None,
         "has_smartphone": True, "pregnant": False, "disability": False,
         "chronic_medication": False} for i in range(n)])


def _staffed_site(db: Session, code: str, district_id: int, first: date, days: int,
                  stations: int = 4) -> None:
    site = sites.create_site(db, code=code, name=code, district_id=district_id,
                             address="Road", stations=stations, doses_per_station_hour=30,
                             hours=WEEK)
    for d in range(days):
        for n in range(stations):
            sites.add_shift(db, site_id=site.id, day=first + timedelta(days=d), starts=480,
                            ends=1080, staff_name=f"v{n}", actor="test")
    sites.receive(db, site_id=site.id, product="bbibp-corv", lot=f"{code}-LOT",
                  expiry=first + timedelta(days=200), doses=40_000, actor="test")


def test_a_district_that_cannot_give_54000_doses_in_3_days_is_refused(db: Session) -> None:
    s = scene(db, pools=False)
    district = s.city.districts[0].id
    household = s.city.households["wang"]
    _residents(db, household.id, household.community_id, PEOPLE)
    first = s.today + timedelta(days=7)
    for n in (2, 3):
        _staffed_site(db, f"T-SITE-{n}", district, first, 3)
    _staffed_site(db, "T-NEXT-1", s.city.districts[1].id, first, 3, stations=10)
    for d in range(3):  # the scene's own site, staffed too
        for n in range(4):
            sites.add_shift(db, site_id=s.site.id, day=first + timedelta(days=d), starts=480,
                            ends=1080, staff_name=f"v{n}", actor="test")
    last = first + timedelta(days=2)
    with pytest.raises(InfeasibleTargetError) as caught:
        service.accept(db, name="54,000 in 3 days", district_id=district, first_day=first,
                       last_day=last, target=54_000, dose_number=1, actor="planner")
    problem = caught.value.problem()
    assert problem["status"] == 409
    check = problem["assessment"]
    # Three sites, 10 hours a day, 4 stations, 30 doses an hour: 1,200 a day each.
    assert check["capacity"] == 3 * 3 * 1_200 == 10_800
    assert check["eligible"] >= PEOPLE and check["stock"] == 80_100
    assert check["shortfall"] == 54_000 - 10_800 == 43_200
    assert check["limits"] == ["capacity"]
    assert "43,200 short" in caught.value.detail
    kinds = {s["kind"]: s for s in check["suggestions"]}
    assert kinds["more_days"]["extra_days"] == 12 and kinds["more_days"]["enough"]
    assert kinds["more_stations"]["extra_stations"] == 48
    assert kinds["more_stations"]["added_doses"] >= 43_200
    borrowed = kinds["borrow_sites"]  # 10 stations for 3 days next door: 9,000 doses
    assert [(x["code"], x["doses"]) for x in borrowed["sites"]] == [("T-NEXT-1", 9_000)]
    assert not borrowed["enough"]
    assert db.scalar(select(func.count()).select_from(Campaign)) == 0
    # The same district can take what it can give.
    campaign, found = service.accept(db, name="what the sites can give", district_id=district,
                                     first_day=first, last_day=last, target=10_800,
                                     dose_number=1, actor="planner")
    assert found.feasible and campaign.id


def test_the_eligible_population_bounds_a_target(db: Session) -> None:
    s = scene(db, pools=False)
    first = s.today + timedelta(days=1)
    for n in range(4):
        sites.add_shift(db, site_id=s.site.id, day=first, starts=480, ends=1080,
                        staff_name=f"v{n}", actor="test")
    found = service.check(db, district_id=s.city.districts[0].id, first_day=first,
                          last_day=first, target=100, dose_number=1)
    # Everyone of the first district aged 3 and over may have a first dose; the toddler
    # may not.
    communities = {c.id for c in s.city.communities
                   if any(sd.id == c.subdistrict_id and sd.district_id == s.city.districts[0].id
                          for sd in s.city.subdistricts)}
    living = [r for r in s.city.residents.values() if r.community_id in communities]
    expected = sum(1 for r in living if r.birth_date.year < 2023)
    assert expected == len(living) - 1
    assert found.eligible == expected and found.stock == 100 and found.capacity == 1_200
    assert found.limits == ["eligible"] and found.shortfall == 100 - expected
    lower = next(x for x in found.suggestions if x.kind == "lower_target")
    assert lower.numbers["target"] == expected


def test_a_bad_window_is_refused_naming_the_field(db: Session) -> None:
    s = scene(db, pools=False)
    with pytest.raises(ValidationFailedError) as caught:
        service.check(db, district_id=s.city.districts[0].id, first_day=s.today,
                      last_day=s.today - timedelta(days=1), target=10)
    assert caught.value.extra["field"] == "last_day"
    with pytest.raises(ValidationFailedError) as caught:
        service.check(db, district_id=s.city.districts[0].id, first_day=s.today,
                      last_day=s.today, target=0)
    assert caught.value.extra["field"] == "target_doses"
