"""Supplies in headless Chromium: a resident's request without an account, an operator's
request for an elderly resident without a smartphone, a delivery confirmed on a phone."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select

pytestmark = pytest.mark.browser


def _session(url: str) -> Any:
    from epidesk import db as dbmod

    engine = dbmod.make_engine(url)
    return engine, dbmod.session_scope(dbmod.sessionmaker(bind=engine))


def _an_address(url: str) -> dict[str, str]:
    from epidesk.geography.models import Address, Building, Community, Unit
    from epidesk.people.models import Household

    engine, scope = _session(url)
    try:
        with scope as session:
            row = session.execute(
                select(Community, Building, Unit, Address)
                .join(Household, Household.address_id == Address.id)
                .join(Unit, Unit.id == Address.unit_id)
                .join(Building, Building.id == Unit.building_id)
                .join(Community, Community.id == Building.community_id)
                .order_by(Address.id)).first()
            assert row is not None
            community, building, unit, address = row
            return {"community": community.name, "building": str(building.number),
                    "unit": str(unit.number), "flat": address.flat_number}
    finally:
        engine.dispose()


def _requests(url: str) -> int:
    from epidesk.supplies.models import SupplyRequest

    engine, scope = _session(url)
    try:
        with scope as session:
            return int(session.scalar(select(func.count()).select_from(SupplyRequest)) or 0)
    finally:
        engine.dispose()


def test_a_resident_asks_for_supplies_without_an_account(anon_page: Any, live_server: str,
                                                         live_database: str) -> None:
    where = _an_address(live_database)
    before = _requests(live_database)
    anon_page.goto(f"{live_server}/supplies/request")
    for name, value in where.items():
        anon_page.fill(f"input[name={name}]", value)
    anon_page.check("input[name=items][value=food_pack]")
    anon_page.check("input[name=items][value=nappies]")
    anon_page.check("input[name=urgency][value=urgent]")
    anon_page.fill("input[name=contact_name]", "Li Hua")
    anon_page.fill("input[name=contact_phone]", "13912345678")
    anon_page.click("button[type=submit]")
    status = anon_page.locator("[role=status]")
    assert "Your reference is S-" in status.inner_text() or "申请编号是 S-" in (
        status.inner_text())
    assert _requests(live_database) == before + 1


def _elderly_without_smartphone(url: str) -> tuple[str, int]:
    from epidesk.people.models import Resident

    engine, scope = _session(url)
    try:
        with scope as session:
            found = session.scalars(select(Resident).where(
                Resident.has_smartphone.is_(False), Resident.birth_date < date(1950, 1, 1),
                Resident.merged_into_id.is_(None)).order_by(Resident.id)).first()
            assert found is not None
            return found.name_latin, found.household_id
    finally:
        engine.dispose()


def test_an_operator_files_for_an_elderly_resident_without_a_smartphone(
        page: Any, live_server: str, live_database: str) -> None:
    name, household = _elderly_without_smartphone(live_database)
    page.goto(f"{live_server}/supplies/intake")
    page.fill("input[name=q]", name)
    page.click("form[role=search] button[type=submit]")
    link = page.locator(f"a[href='/supplies/intake?household_id={household}']")
    assert "no smartphone" in page.locator("#found").inner_text() or "没有智能手机" in (
        page.locator("#found").inner_text())
    link.click()
    page.check("input[name=items][value=medicine]")
    page.check("input[name=urgency][value=medical]")
    page.fill("input[name=contact_phone]", "0537-2345678")
    page.click("form[method=post] button[type=submit]")
    assert "S-" in page.locator("[role=status]").inner_text()


def _ready_batch(url: str) -> int:
    from epidesk.kit import clock
    from epidesk.people.models import Household
    from epidesk.supplies import repository
    from epidesk.supplies.models import Delivery, DeliveryBatch

    engine, scope = _session(url)
    try:
        with scope as session:
            households = session.scalars(select(Household.id).order_by(Household.id)
                                         .limit(3)).all()
            doors = repository.doors(session, list(households))
            building = doors[households[0]].building_id
            batch = DeliveryBatch(on_day=clock.city_today(), building_id=building,
                                  depot_id=None, rank=1, score=50.0, status="ready",
                                  hold_reason="", equipped=True, created_at=clock.now(),
                                  created_by="test")
            session.add(batch)
            session.flush()
            for stop, h in enumerate(h for h in households
                                     if doors[h].building_id == building):
                session.add(Delivery(batch_id=batch.id, household_id=h, request_id=None,
                                     stop=stop + 1, score=50.0, items="food_pack:3,masks:1",
                                     status="planned", reason=""))
            return batch.id
    finally:
        engine.dispose()


def test_a_volunteer_confirms_a_delivery_on_a_phone(page: Any, live_server: str,
                                                    live_database: str) -> None:
    batch = _ready_batch(live_database)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server}/supplies/batches/{batch}")
    door = page.locator("li.door").first
    # The door's first form is "Delivered", the second "Not delivered" with its reason.
    door.locator("form").first.locator("button").click()
    page.wait_for_load_state()
    assert page.locator("li.door .status").first.inner_text().strip() in ("delivered", "已送达")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, width
