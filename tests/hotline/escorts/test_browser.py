"""An escorted trip on a phone-sized screen (390 px wide) in headless Chromium: picked
up at the door, handed over at the hospital, back home."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.browser


@contextmanager
def _trip_in_live_city(url: str) -> Iterator[int]:
    """A dispatched emergency trip of a live-city resident put under a home-quarantine
    order for the test (the order is withdrawn afterwards, so other tests see no change)."""
    from epidesk import db as dbmod
    from epidesk.hotline import service as hotline
    from epidesk.hotline.escorts import service
    from epidesk.kit import clock
    from epidesk.people.models import Resident
    from epidesk.quarantine.models import QuarantineOrder

    engine = dbmod.make_engine(url)
    make = dbmod.sessionmaker(bind=engine)
    try:
        with dbmod.session_scope(make) as session:
            resident = session.scalars(select(Resident).order_by(Resident.id)).first()
            assert resident is not None
            now, today = clock.now(), clock.city_today()
            order = QuarantineOrder(
                resident_id=resident.id, household_id=resident.household_id,
                kind="quarantine", category="close_contact", basis="contact", basis_id=0,
                form="home", preset="test", rule="test", rule_values="{}",
                counted_from=today, start_on=today, end_on=today + timedelta(days=7),
                monitoring_until=None, test_days="[]", state="active", version=1,
                created_at=now, updated_at=now, created_by="test")
            session.add(order)
            session.flush()
            ticket = hotline.file_ticket(session, hotline.NewTicket(
                channel="phone", category="medical_emergency", description="fall, hip pain",
                resident_id=resident.id), actor="test")
            trip = service.dispatch_emergency(
                session, ticket=ticket, destination="No. 1 People's Hospital",
                arrives_at=now + timedelta(minutes=30), actor="test", now=now,
                crew=service.Crew(vehicle="Ambulance 3", driver_name="Liu Yang",
                                  driver_phone="13600000001"))
            trip_id, order_id = trip.id, order.id
        yield trip_id
    finally:
        with dbmod.session_scope(make) as session:
            found = session.get(QuarantineOrder, order_id)
            if found is not None:
                found.state = "withdrawn"
        engine.dispose()


def test_an_escort_steps_through_a_trip_on_a_phone(page: Any, live_server: str,
                                                   live_database: str) -> None:
    with _trip_in_live_city(live_database) as trip_id:
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{live_server}/hotline/escorts/{trip_id}?lang=en")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.get_attribute("#state", "data-state") == "dispatched"
        button = page.locator("button.big", has_text="Picked up at the door")
        box = button.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
        button.click()
        page.wait_for_selector("#done")
        page.fill("input[name=received_by]", "Dr Wang, emergency department")
        page.click("button.big:has-text('Handed over')")
        page.wait_for_selector("#done")
        assert page.get_attribute("#state", "data-state") == "handed_off"
        assert "Dr Wang, emergency department" in page.inner_text("dl.facts")
        page.click("button.big:has-text('Back home')")
        page.wait_for_selector("#done")
        assert page.get_attribute("#state", "data-state") == "returned"
        assert page.locator("button.big").count() == 0
