"""A check-in at the bus door on a phone-sized screen (390 px wide) in headless Chromium."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.quarantine.placement.test_browser import _orders_in_live_city

pytestmark = pytest.mark.browser


def _manifest_in_live_city(url: str) -> tuple[int, str, str]:
    """A manifest of the live city's first two centralized orders; (id, the first
    person's name, the second's)."""
    from epidesk import db as dbmod
    from epidesk.people.models import Resident
    from epidesk.quarantine.models import Facility, QuarantineOrder
    from epidesk.quarantine.transfers import service

    _orders_in_live_city(url)
    engine = dbmod.make_engine(url)
    try:
        with dbmod.session_scope(dbmod.sessionmaker(bind=engine)) as session:
            orders = list(session.scalars(select(QuarantineOrder).where(
                QuarantineOrder.form == "centralized", QuarantineOrder.state == "active")
                .order_by(QuarantineOrder.id).limit(2)))
            facility = session.scalars(select(Facility).where(
                Facility.code == "BROWSER1")).one()
            now = datetime.now(UTC)
            m = service.create_manifest(session, actor="test", manifest=service.ManifestIn(
                vehicle="Bus 9", seats=20, route="Depot - BROWSER1", facility_id=facility.id,
                departs_at=now, expected_at=now + timedelta(hours=1), driver_name="Zhang Wei",
                driver_phone="13900000000", order_ids=[o.id for o in orders]))
            names = [session.get(Resident, o.resident_id) for o in orders]
            assert all(names)
            return m.id, names[0].name, names[1].name  # type: ignore[union-attr]
    finally:
        engine.dispose()


def test_a_check_in_on_a_phone(page: Any, live_server: str, live_database: str) -> None:
    manifest_id, first, second = _manifest_in_live_city(live_database)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/quarantine/transfers/{manifest_id}/check-in?lang=en")
    # Nothing is wider than the screen: no sideways scrolling at the bus door.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.fill("#find", second)
    page.click("form[role=search] button")
    cards = page.locator("#people li.card")
    assert cards.count() == 1
    assert second in cards.first.inner_text()
    button = cards.first.locator("button.big")
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    button.click()
    page.wait_for_selector("#done")
    assert "Checked in" in page.inner_text("#done")
    assert "1 of 2 arrived" in page.inner_text("#progress")
    page.fill("#find", "1")
    page.click("form[role=search] button")
    assert first in page.locator("#people li.card").first.inner_text()
    assert page.locator("#people li.card[data-state=arrived]").count() == 0
