"""A vaccination scene on the tiny city: one site in the first district, open every day
08:00-18:00 with 4 stations of 30 doses an hour, staffed, with a lot in stock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from epidesk.kit import clock
from epidesk.vaccination.booking import service as booking
from epidesk.vaccination.models import Site
from epidesk.vaccination.sites import service as sites
from tests.factories import TinyCity, tiny_city

WEEK = {w: (8 * 60, 18 * 60) for w in range(7)}
LOT = "L2026-01"


@dataclass
class Scene:
    city: TinyCity
    site: Site
    today: date


def scene(db: Session, *, code: str = "T", pools: bool = True) -> Scene:
    """The tiny city with a staffed, stocked site, and first and second-dose places today
    and three weeks on."""
    city = tiny_city(db, code=code)
    today = clock.city_today()
    site = sites.create_site(db, code=f"{code}-SITE-1", name="Rencheng health centre",
                             district_id=city.districts[0].id, address="1 Health Road",
                             stations=4, doses_per_station_hour=30, hours=WEEK)
    for n in range(4):
        sites.add_shift(db, site_id=site.id, day=today, starts=8 * 60, ends=18 * 60,
                        staff_name=f"vaccinator {n}", actor="test")
    sites.receive(db, site_id=site.id, product="coronavac", lot=LOT,
                  expiry=today + timedelta(days=365), doses=100, actor="test")
    if pools:
        for offset in (0, 1, 21, 22):
            day = today + timedelta(days=offset)
            booking.open_slots(db, site_id=site.id, day=day, dose_number=1, capacity=2)
            booking.open_slots(db, site_id=site.id, day=day, dose_number=2, capacity=2)
    return Scene(city=city, site=site, today=today)
