"""A placement run reviewed and committed in headless Chromium."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.browser


def _orders_in_live_city(url: str) -> int:
    """A quarantine hotel (inspected today) and centralized orders for the first two
    households of the live city; returns how many people wait for a room."""
    from epidesk import db as dbmod
    from epidesk.geography.models import City, District
    from epidesk.kit import clock
    from epidesk.people.models import Resident
    from epidesk.quarantine import service
    from epidesk.quarantine.facilities import service as lists
    from epidesk.quarantine.models import Facility, QuarantineOrder
    from epidesk.quarantine.rules import CHECKLIST
    from epidesk.quarantine.schemas import InspectionIn, ItemIn
    from tests.quarantine.helpers import csv_of, facility_line

    engine = dbmod.make_engine(url)
    try:
        with dbmod.session_scope(dbmod.sessionmaker(bind=engine)) as session:
            if session.scalar(select(Facility.id).where(Facility.code == "BROWSER1")):
                return int(session.scalar(select(QuarantineOrder.id).order_by(
                    QuarantineOrder.id.desc())) or 0)
            city = session.scalars(select(City).where(City.kind == "home")).one()
            district = session.scalars(select(District).where(
                District.city_id == city.id)).first()
            assert district is not None
            rooms = [facility_line("BROWSER1", city.code, district.code, f"{n}",
                                   room_type="family", beds=6, carer_suitable="yes",
                                   infant_suitable="yes", accessible="yes")
                     for n in range(1, 7)]
            done = lists.import_list(session, content=csv_of(rooms), filename="b.csv",
                                     received_by="test")
            assert done.accepted, done.report
            facility = session.scalars(select(Facility).where(
                Facility.code == "BROWSER1")).one()
            today = clock.local_day(clock.now())
            service.record_inspection(session, facility_id=facility.id, actor="test",
                                      inspection=InspectionIn(
                                          inspected_on=today, inspector="Inspector Wu",
                                          items=[ItemIn(item=k, passed=True)  # type: ignore[arg-type]
                                                 for k in CHECKLIST]))
            households = session.scalars(select(Resident.household_id).distinct()
                                         .order_by(Resident.household_id).limit(2)).all()
            now = datetime.now(UTC)
            waiting = 0
            for resident in session.scalars(select(Resident).where(
                    Resident.household_id.in_(households))):
                session.add(QuarantineOrder(
                    resident_id=resident.id, household_id=resident.household_id,
                    kind="quarantine", category="close_contact", basis="contact", basis_id=0,
                    form="centralized", preset="test", rule="test", rule_values="{}",
                    counted_from=today, start_on=today, end_on=today + timedelta(days=7),
                    test_days="[]", state="active", version=1, created_at=now,
                    updated_at=now, created_by="test"))
                waiting += 1
            return waiting
    finally:
        engine.dispose()


def test_a_placement_run_is_reviewed_and_committed(page: Any, live_server: str,
                                                   live_database: str) -> None:
    waiting = _orders_in_live_city(live_database)
    assert waiting >= 2
    page.goto(f"{live_server}/quarantine/placement?lang=en")
    page.click("text=Run the placement >> nth=-1")
    page.wait_for_selector("#figures")
    assert page.inner_text("#state") == "proposed"
    assert int(page.inner_text("#placed").replace(",", "")) >= 2
    assert "nobody lost" in page.inner_text("#check")
    rows = page.locator("#lines tbody tr")
    assert rows.count() >= 2
    assert "BROWSER1" in page.inner_text("#lines")
    page.click("#commit")
    page.wait_for_selector("#done")
    assert "Committed" in page.inner_text("#done")
    assert page.inner_text("#state") == "committed"
    assert page.locator("#commit").count() == 0
