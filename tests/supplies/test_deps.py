"""Supplies' public tables, the person panel and the command-centre tiles."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.kit import clock
from epidesk.kit.publication import public_tables
from epidesk.supplies import repository, service
from tests.supplies.scene import DAY, restricted, stocked_depot


def test_requests_received_and_served_by_district_are_published(db: Session) -> None:
    city = restricted(db)
    stocked_depot(db, city)
    for key in ("wang", "alone"):
        service.staff_request(db, request=service.check_request(
            items=["food_pack"], urgency="normal", contact_name="x",
            contact_phone="13900000000", address_text=""),
            household_id=city.households[key].id, channel="phone", actor="operator")
    service.public_request(db, request=service.check_request(
        items=["masks"], urgency="normal", contact_name="x", contact_phone="13800000000",
        address_text=""), community="Nowhere", building=1, unit=1, flat="101",
        client="10.1.1.1")
    service.build_batches(db, day=DAY, actor="planner")
    wang = next(d for b in repository.batches(db, day=DAY) for d in b.deliveries
                if d.household_id == city.households["wang"].id)
    service.confirm(db, delivery_id=wang.id, actor="volunteer")
    today = clock.city_today()
    table = next(t for t in public_tables(db, day=today)
                 if t.name == "supply_requests_by_district_daily")
    district = city.districts[0].code
    assert [tuple(r) for r in table.rows] == [(today, district, 2, 1)]
    assert [c.kind for c in table.columns] == ["day", "area", "count", "count"]


def test_the_person_panel_shows_the_household_s_supplies(db: Session, client: TestClient
                                                         ) -> None:
    city = restricted(db)
    service.sync_roster(db, day=DAY)
    service.staff_request(db, request=service.check_request(
        items=["medicine"], urgency="medical", contact_name="x", contact_phone="13900000000",
        address_text=""), household_id=city.households["alone"].id, channel="phone",
        actor="operator")
    resident = city.residents["zhao_lei"].id
    body = client.get(f"/api/people/{resident}").json()
    panel = next(p for p in body["panels"] if p["key"] == "supplies")
    assert panel["data"]["restricted_since"] is not None
    assert "elderly_alone" in panel["data"]["needs"]["flags"]
    assert [q["items"] for q in panel["data"]["requests"]] == [["medicine"]]
    page = client.get(f"/people/{resident}", headers={"accept": "text/html"})
    assert "Served since" in page.text
