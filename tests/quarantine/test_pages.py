"""Quarantine's staff pages and forms, signed in through the form, in both languages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.quarantine.models import QuarantineOrder
from epidesk.quarantine.rules import CHECKLIST
from tests.conftest import TEST_PASSWORD
from tests.quarantine.helpers import TODAY, load_facilities
from tests.quarantine.scene import traced
from tests.tracing.test_pages import HTML, csrf_of


@pytest.fixture
def manager(anon_client: TestClient, make_user) -> TestClient:  # type: ignore[no-untyped-def]
    """A client signed in through the form as a city-wide facility manager."""
    make_user("fm", ["facility_manager"])
    form = anon_client.get("/signin")
    r = anon_client.post("/signin", data={"username": "fm", "password": TEST_PASSWORD,
                                          "csrf_token": csrf_of(form.text), "next": "/"})
    assert r.status_code == 303
    anon_client.headers.update(HTML)
    return anon_client


def test_facilities_inspection_form_and_reserve(db: Session, manager: TestClient) -> None:
    s, _ = traced(db)
    ids = load_facilities(db, s.city)
    page = manager.get("/quarantine", headers={"accept-language": "zh"})
    assert page.status_code == 200
    assert "Site H1" in page.text and "never inspected" not in page.text
    assert "从未检查" in page.text and "隔离房间储备" in page.text
    english = manager.get("/quarantine", headers={"accept-language": "en"})
    assert "never inspected" in english.text and "Room reserve" in english.text
    facility = manager.get(f"/quarantine/facilities/{ids['H1']}")
    data = {"csrf_token": csrf_of(facility.text), "inspected_on": TODAY.isoformat(),
            "inspector": "Inspector Wu"}
    data.update({f"item_{k}": "pass" for k in CHECKLIST})
    data["item_mould"] = "fail"
    data["note_mould"] = "bathroom ceiling"
    r = manager.post(f"/quarantine/facilities/{ids['H1']}/inspections", data=data)
    assert r.status_code == 303
    shown = manager.get(f"/quarantine/facilities/{ids['H1']}",
                        headers={"accept-language": "en"}).text
    assert "failed its latest inspection" in shown and "bathroom ceiling" in shown


def test_an_order_page_with_its_forms(db: Session, manager: TestClient) -> None:
    s, _ = traced(db)
    order = db.scalars(select(QuarantineOrder).where(
        QuarantineOrder.resident_id == s.id("chen_jing"))).one()
    page = manager.get(f"/quarantine/orders/{order.id}", headers={"accept-language": "en"})
    assert page.status_code == 200
    assert "cn-9th-2022" in page.text and "no result of the day-1 test" in page.text
    token = csrf_of(page.text)
    new_end = order.end_on + timedelta(days=1)
    r = manager.post(f"/quarantine/orders/{order.id}/end",
                     data={"csrf_token": token, "end_on": new_end.isoformat(),
                           "reason": "late result"})
    assert r.status_code == 303
    refused = manager.post(f"/quarantine/orders/{order.id}/release",
                           data={"csrf_token": token})
    assert refused.status_code == 422 and "day-1 test" in refused.text
    db.refresh(order)
    assert (order.state, order.end_on) == ("active", new_end)
    overdue = manager.get("/quarantine/orders/overdue?day=2099-01-01",
                          headers={"accept-language": "en"})
    assert f"/quarantine/orders/{order.id}" in overdue.text
