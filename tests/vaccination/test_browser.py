"""A resident books a dose on the public page, and a vaccinator records a dose at a site,
in headless Chromium against the live synthetic city."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.db import make_engine
from epidesk.geography.models import Community, Subdistrict
from epidesk.kit import clock
from epidesk.people.models import Resident
from epidesk.vaccination.booking import repository as booking_repository
from epidesk.vaccination.booking import service as booking
from epidesk.vaccination.sites import repository as sites_repository
from epidesk.vaccination.sites import service as sites

pytestmark = pytest.mark.browser

LOT = "BR-LOT-1"


def _site(url: str) -> dict[str, Any]:
    """A stocked site with places today and in three weeks (made once), and two adults
    without doses, with identity numbers."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            today = clock.city_today()
            site = sites_repository.site_by_code(session, "BR-SITE")
            if site is None:
                district = session.scalar(select(Subdistrict.district_id).join(
                    Community, Community.subdistrict_id == Subdistrict.id).join(
                    Resident, Resident.community_id == Community.id).limit(1))
                assert district is not None
                site = sites.create_site(session, code="BR-SITE", name="Browser health centre",
                                         district_id=district, address="9 Test Road",
                                         stations=4, doses_per_station_hour=30,
                                         hours={w: (0, 1440) for w in range(7)})
                sites.receive(session, site_id=site.id, product="bbibp-corv", lot=LOT,
                              expiry=today + timedelta(days=300), doses=50, actor="test")
                for offset in (0, 1, 21, 22):
                    for dose in (1, 2):
                        booking.open_slots(session, site_id=site.id, dose_number=dose,
                                           day=today + timedelta(days=offset), capacity=10)
            adults = session.scalars(select(Resident).where(
                Resident.id_number.is_not(None), Resident.merged_into_id.is_(None),
                Resident.birth_date < today - timedelta(days=365 * 30))
                .order_by(Resident.id.desc()).limit(40)).all()
            free = [r for r in adults if not booking_repository.doses_of(session, r.id)
                    and not booking_repository.appointments_of(session, r.id)]
            chosen = {"site": site.id, "today": today,
                      "booker": {"id": free[0].id, "id_number": free[0].id_number,
                                 "birth_date": free[0].birth_date},
                      "dosed": {"id": free[1].id}}
            session.commit()
            return chosen
    finally:
        engine.dispose()


def test_a_resident_books_a_dose_on_the_public_page(anon_page: Any, live_server: str,
                                                    live_database: str) -> None:
    found = _site(live_database)
    person = found["booker"]
    anon_page.goto(f"{live_server}/vaccination/book")
    anon_page.get_by_label("Identity number").fill(person["id_number"])
    anon_page.get_by_label("Date of birth (YYYY-MM-DD)").fill(person["birth_date"].isoformat())
    anon_page.click("#identity button[type=submit]")
    anon_page.wait_for_selector("#choose")
    assert "Dose 1: free places" in anon_page.inner_text("#options")
    anon_page.get_by_label("Remind me by message when my next dose is due").check()
    anon_page.click("#choose button[type=submit]")
    anon_page.wait_for_selector("#booked")
    assert "Browser health centre" in anon_page.inner_text("#booked")
    engine = make_engine(live_database)
    try:
        with Session(engine) as session:
            made = booking_repository.booked_for(session, person["id"], 1)
            assert made is not None and made.channel == "public"
            assert booking_repository.consent(session, person["id"]) is not None
    finally:
        engine.dispose()


def test_a_vaccinator_records_a_dose_at_a_site(page: Any, live_server: str,
                                               live_database: str) -> None:
    found = _site(live_database)
    person = found["dosed"]
    page.goto(f"{live_server}/vaccination")
    page.get_by_role("link", name="Browser health centre").click()
    page.wait_for_selector("#dose")
    assert LOT in page.inner_text("#stock")
    page.get_by_label("Resident number").fill(str(person["id"]))
    page.get_by_label("Product").select_option("bbibp-corv")
    page.get_by_label("Lot").fill(LOT)
    page.get_by_label("Vaccinator").fill("Dr Browser")
    page.click("#dose button[type=submit]")
    page.wait_for_selector("#done")
    text = page.inner_text("#done")
    assert "Dose recorded." in text
    assert (found["today"] + timedelta(days=21)).isoformat() in text
    engine = make_engine(live_database)
    try:
        with Session(engine) as session:
            doses = booking_repository.doses_of(session, person["id"])
            assert [(d.lot, d.vaccinator) for d in doses] == [(LOT, "Dr Browser")]
    finally:
        engine.dispose()
