"""Escorted trips through the API: dispatch from a ticket (refused for a free household,
naming the field), the ticket shows its trip, an idempotent hand-off, the board of due and
missed trips, treatment plans, every read audited."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.auth.models import AuditEntry, AuditPerson
from epidesk.hotline.models import EscortPlan, EscortTrip
from epidesk.kit import clock
from tests.hotline.escorts.scene import emergency


def _body(**kw: Any) -> dict[str, Any]:
    out = {"vehicle": "Ambulance 3", "driver_name": "Liu Yang", "driver_phone": "13600000001",
           "escort_name": "Nurse Sun", "destination": "No. 1 People's Hospital",
           "arrives_at": (clock.now() + timedelta(minutes=30)).isoformat()}
    out.update(kw)
    return out


def test_a_trip_is_dispatched_from_the_ticket_and_followed_to_home(db: Session,
                                                                   client: TestClient) -> None:
    city, ticket = emergency(db)
    made = client.post(f"/api/hotline/tickets/{ticket.id}/escort", json=_body())
    assert made.status_code == 201, made.text
    trip = made.json()
    assert (trip["status"], trip["restriction"], trip["vehicle"]) == (
        "dispatched", "zone", "Ambulance 3")
    assert trip["resident_id"] == city.residents["zhao_lei"].id
    shown = client.get(f"/api/hotline/tickets/{ticket.id}").json()
    assert [t["id"] for t in shown["escorted_trips"]] == [trip["id"]]
    url = f"/api/hotline/escorts/{trip['id']}"
    first = client.post(f"{url}/handoff", json={"received_by": "Dr Wang, emergency"})
    again = client.post(f"{url}/handoff", json={"received_by": "Dr Li"})
    assert (first.json()["changed"], again.json()["changed"]) == (True, False)
    assert again.json()["trip"]["handed_off_to"] == "Dr Wang, emergency"
    back = client.post(f"{url}/back")
    assert back.status_code == 200 and back.json()["trip"]["status"] == "returned"
    history = client.get(f"/api/hotline/tickets/{ticket.id}").json()["updates"]
    assert any("closed: back home" in u["note"] for u in history)
    assert client.post(f"{url}/admitted", json={"reason": "x"}).status_code == 409
    reads = db.scalars(select(AuditEntry).where(AuditEntry.record_type == "escort_trips")).all()
    assert reads and all(e.action == "read" for e in reads)
    named = db.scalars(select(AuditPerson.person_id).join(
        AuditEntry, AuditEntry.id == AuditPerson.entry_id).where(
        AuditEntry.record_type == "escort_trips")).all()
    assert city.residents["zhao_lei"].id in named


def test_a_free_household_is_refused_with_a_problem_naming_the_field(
        db: Session, client: TestClient) -> None:
    _, ticket = emergency(db, who="wang_fang")
    answer = client.post(f"/api/hotline/tickets/{ticket.id}/escort", json=_body())
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert "resident_id" in answer.text and "stay-home zone or home quarantine" in answer.text
    assert db.scalar(select(EscortTrip.id)) is None


def test_bad_input_is_refused_naming_the_field(db: Session, client: TestClient) -> None:
    _, ticket = emergency(db)
    for body, field in ((_body(driver_phone="call me"), "driver_phone"),
                        (_body(arrives_at="tomorrow"), "arrives_at"),
                        (_body(vehicle=""), "vehicle"),
                        (_body(arrives_at=(clock.now() - timedelta(minutes=5)).isoformat()),
                         "arrives_at")):
        answer = client.post(f"/api/hotline/tickets/{ticket.id}/escort", json=body)
        assert answer.status_code == 422 and field in answer.text, (field, answer.text)
    assert db.scalar(select(EscortTrip.id)) is None


def test_plans_schedule_trips_and_the_board_shows_them(
        db: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # The trip below leaves at 00:00 and is missed 30 minutes later: in the city's first
    # hour its clock is set an hour on, so that the suite may run at any hour.
    real = clock.now
    if clock.local(real()).hour < 1:
        monkeypatch.setattr(clock, "now", lambda: real() + timedelta(hours=1))
    city, _ = emergency(db)
    today = clock.city_today()
    plan = {"resident_id": city.residents["li_na"].id, "kind": "antenatal_care",
            "facility": "Maternity, No. 3 Hospital", "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=3)).isoformat(), "departs": "00:00",
            "arrives": "00:30", "back": "01:00", "dates": today.isoformat()}
    bad = client.post("/api/hotline/escort-plans", json={**plan, "weekdays": "9"})
    assert bad.status_code == 422 and "weekdays" in bad.text
    made = client.post("/api/hotline/escort-plans", json=plan)
    assert made.status_code == 201, made.text
    assert made.json()["counts"]["scheduled"] == 1
    board = client.get("/api/hotline/escorts").json()
    trip = db.scalars(select(EscortTrip).where(EscortTrip.plan_id == made.json()["id"])).one()
    assert [t["id"] for t in board["due"]] == [trip.id]
    # Midnight has passed: the session has no vehicle, it is missed.
    assert [(t["id"], t["missed"]) for t in board["missed"]] == [(trip.id, "not_dispatched")]
    again = client.post("/api/hotline/escorts/schedule", json={"days": 3})
    assert again.status_code == 200 and again.json()["scheduled"] == 0
    ended = client.post(f"/api/hotline/escort-plans/{made.json()['id']}/end",
                        json={"reason": "delivered"})
    assert ended.json()["counts"] == {"cancelled": 1}
    assert db.scalars(select(EscortPlan)).one().ended_at is not None


def test_the_person_record_shows_the_residents_trips(db: Session, client: TestClient) -> None:
    from tests.hotline.escorts.scene import dispatched

    city, _, trip = dispatched(db)
    resident = city.residents["zhao_lei"].id
    record = client.get(f"/api/people/{resident}")
    assert record.status_code == 200
    panel = next(p for p in record.json()["panels"] if p["key"] == "hotline")
    shown = [(t["id"], t["status"]) for t in panel["data"]["trips"]]
    assert shown == [(trip.id, "dispatched")]
    page = client.get(f"/people/{resident}", headers={"accept-language": "en"})
    assert f'href="/hotline/escorts/{trip.id}"' in page.text
    assert "Escorted medical trips" in page.text
