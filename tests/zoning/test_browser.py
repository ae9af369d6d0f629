"""The zones map and the address lookup in headless Chromium, with the platform's own
Leaflet under the Content-Security-Policy."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.browser

SAMPLED = date(2022, 9, 10)


def _zone_in_live_city(url: str) -> dict[str, Any]:
    """A case in the live city and its zones (the active preset's), committed once."""
    from epidesk import db as dbmod
    from epidesk.cases.models import CaseEpisode
    from epidesk.geography.models import Address, Building, Community, Subdistrict, Unit
    from epidesk.people.models import Household, Resident
    from epidesk.zoning import service

    engine = dbmod.make_engine(url)
    try:
        with dbmod.session_scope(dbmod.sessionmaker(bind=engine)) as session:
            row = session.execute(
                select(Resident, Community, Subdistrict, Building, Unit, Address)
                .join(Household, Household.id == Resident.household_id)
                .join(Address, Address.id == Household.address_id)
                .join(Unit, Unit.id == Address.unit_id)
                .join(Building, Building.id == Unit.building_id)
                .join(Community, Community.id == Building.community_id)
                .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
                .order_by(Resident.id)).first()
            assert row is not None
            resident, community, sub, building, unit, address = row
            found = session.scalar(select(CaseEpisode).where(
                CaseEpisode.resident_id == resident.id))
            if found is None:
                now = datetime(2022, 9, 10, 8, tzinfo=UTC)
                session.add(CaseEpisode(
                    resident_id=resident.id, classification="asymptomatic", status="active",
                    sampling_date=SAMPLED, isolation_date=SAMPLED, reported_on=SAMPLED,
                    diagnosed_at=now, recorded_at=now, asymptomatic_on=SAMPLED,
                    district_id=sub.district_id, community_id=community.id, imported=False))
                session.flush()
                service.daily(session, actor="test")
            return {"community": community.name, "building": str(building.number),
                    "unit": str(unit.number), "flat": address.flat_number}
    finally:
        engine.dispose()


def test_the_public_map_draws_the_zones(anon_page: Any, live_server: str,
                                        live_database: str) -> None:
    _zone_in_live_city(live_database)
    problems: list[str] = []
    anon_page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    anon_page.on("pageerror", lambda e: problems.append(str(e)))
    anon_page.goto(f"{live_server}/zones?lang=en")
    anon_page.wait_for_selector("#zones-map.leaflet-container[data-drawn]")
    assert int(anon_page.locator("#zones-map").get_attribute("data-drawn")) >= 1
    assert anon_page.locator("#zones-map path.leaflet-interactive").count() >= 1
    assert anon_page.locator("ul.zones li.zone-high").count() >= 1
    assert problems == []


def test_the_address_lookup_answers_in_both_languages(anon_page: Any, live_server: str,
                                                      live_database: str) -> None:
    address = _zone_in_live_city(live_database)
    anon_page.goto(f"{live_server}/zones/lookup?lang=zh")
    for name, value in address.items():
        anon_page.fill(f"input[name={name}]", value)
    anon_page.click("button[type=submit]")
    anon_page.wait_for_selector("#answer")
    assert "高风险区" in anon_page.inner_text("#answer")
    anon_page.goto(f"{live_server}/zones/lookup?lang=en")
    anon_page.fill("input[name=community]", "No such place")
    anon_page.fill("input[name=building]", "1")
    anon_page.fill("input[name=unit]", "1")
    anon_page.fill("input[name=flat]", "101")
    anon_page.click("button[type=submit]")
    assert "No such address" in anon_page.inner_text("[role=alert]")
