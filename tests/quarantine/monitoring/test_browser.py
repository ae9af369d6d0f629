"""A home check recorded on a phone-sized screen (390 px wide) in headless Chromium."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.browser


def _home_in_live_city(url: str) -> tuple[int, str]:
    """A resident of the live city released yesterday from a centralized order and home
    since, under home monitoring for three more days; (their id, their name)."""
    from epidesk import db as dbmod
    from epidesk.kit import clock
    from epidesk.people.models import Resident
    from epidesk.quarantine.models import OrderEvent, QuarantineOrder

    engine = dbmod.make_engine(url)
    try:
        with dbmod.session_scope(dbmod.sessionmaker(bind=engine)) as session:
            resident = session.scalars(select(Resident).order_by(Resident.id.desc())).first()
            assert resident is not None
            now = datetime.now(UTC)
            today = clock.local_day(now)
            order = QuarantineOrder(
                resident_id=resident.id, household_id=resident.household_id,
                kind="quarantine", category="close_contact", basis="contact", basis_id=0,
                form="centralized", preset="test", rule="test", rule_values="{}",
                counted_from=today - timedelta(days=8), start_on=today - timedelta(days=7),
                end_on=today - timedelta(days=1), monitoring_until=today + timedelta(days=3),
                test_days="[]", state="released", version=1, created_at=now, updated_at=now,
                created_by="test", released_on=today - timedelta(days=1),
                released_at=now - timedelta(days=1))
            session.add(order)
            session.flush()
            # Home at noon yesterday, the city's time: yesterday was a monitoring day
            # whatever the hour the test runs.
            home_at = clock.day_start(today - timedelta(days=1)) + timedelta(hours=12)
            session.add(OrderEvent(order_id=order.id, resident_id=resident.id,
                                   kind="monitoring", version=1, at=home_at))
            return resident.id, resident.name
    finally:
        engine.dispose()


def test_a_home_check_on_a_phone(page: Any, live_server: str, live_database: str) -> None:
    resident_id, name = _home_in_live_city(live_database)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/quarantine/monitoring?lang=en")
    card = page.locator(f"#monitored li.card:has-text('{name}')")
    assert card.count() == 1
    assert card.first.get_attribute("data-state") == "missed"
    card.first.locator("a").first.click()
    page.wait_for_selector("#check-form")
    # Nothing is wider than the screen: no sideways scrolling at the door.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.select_option("#c-method", "visit")
    page.fill("#c-temperature", "37.6")
    page.check("#c-symptoms input[value=cough]")
    button = page.locator("#check-form button.big")
    box = button.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    button.click()
    page.wait_for_selector("#done")
    assert "flagged for a test" in page.inner_text("#done")
    assert page.get_attribute("#today", "data-state") == "done"
    assert page.locator("#needs-test").count() == 1
    assert "37.6 °C" in page.inner_text("ul.checks")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"{live_server}/quarantine/monitoring?state=needs_test&lang=en")
    assert page.locator(f"#monitored li.card:has-text('{name}')").count() == 1
    assert resident_id > 0
