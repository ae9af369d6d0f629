"""Transfers through the API and the pages: a manifest, check-out, idempotent check-in,
refusals that change nothing, alerts, the tile and the person's record."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.quarantine.models import QuarantineOrder, TransferLine
from tests.quarantine.helpers import load_facilities
from tests.quarantine.scene import traced


def _orders(db: Session) -> tuple[list[QuarantineOrder], int]:
    s, _ = traced(db)
    ids = load_facilities(db, s.city)
    found = [o for o in db.scalars(select(QuarantineOrder).where(
        QuarantineOrder.state == "active", QuarantineOrder.form == "centralized",
        QuarantineOrder.kind == "quarantine").order_by(QuarantineOrder.id))]
    return found, ids["H1"]


def _body(orders: list[QuarantineOrder], facility: int, **changes: object) -> dict[str, object]:
    now = datetime.now(UTC)
    body: dict[str, object] = {
        "vehicle": "Bus 7", "seats": 10, "route": "Depot - Site H1", "facility_id": facility,
        "departs_at": now.isoformat(), "expected_at": (now + timedelta(hours=1)).isoformat(),
        "driver_name": "Zhang Wei", "driver_phone": "13900000000",
        "order_ids": [o.id for o in orders]}
    body.update(changes)
    return body


def _line_count(db: Session) -> int:
    return len(db.scalars(select(TransferLine)).all())


def test_a_manifest_check_out_and_idempotent_check_in(db: Session, client: TestClient) -> None:
    orders, facility = _orders(db)
    made = client.post("/api/quarantine/transfers", json=_body(orders[:2], facility))
    assert made.status_code == 201, made.text
    m = made.json()
    assert m["people"] == 2 and m["checked_in"] == 0
    out = client.post(f"/api/quarantine/transfers/{m['id']}/check-out", json={"line_no": 1})
    assert out.json() == {"manifest_id": m["id"], "line_no": 1, "state": "on_board",
                          "changed": True}
    again = client.post(f"/api/quarantine/transfers/{m['id']}/check-out", json={"line_no": 1})
    assert again.json()["changed"] is False
    who = {"resident_id": orders[0].resident_id}
    first = client.post(f"/api/quarantine/transfers/{m['id']}/check-in", json=who)
    assert first.json()["state"] == "arrived" and first.json()["changed"] is True
    retry = client.post(f"/api/quarantine/transfers/{m['id']}/check-in", json=who)
    assert retry.status_code == 200 and retry.json()["changed"] is False
    detail = client.get(f"/api/quarantine/transfers/{m['id']}").json()
    assert [line["state"] for line in detail["lines"]] == ["arrived", "waiting"]
    assert detail["lines"][0]["name"]
    counts = client.get("/api/quarantine/transfers/counts").json()
    assert counts == {"dispatched": 1, "arrived": 1, "missing": 0}


def test_bad_input_gets_a_clear_error_and_changes_nothing(db: Session,
                                                         client: TestClient) -> None:
    orders, facility = _orders(db)
    too_many = client.post("/api/quarantine/transfers",
                           json=_body(orders[:2], facility, seats=1))
    assert too_many.status_code == 422 and "seats" in too_many.text
    backwards = client.post("/api/quarantine/transfers", json=_body(
        orders[:1], facility, expected_at="2020-01-01T00:00:00+00:00"))
    assert backwards.status_code == 422 and "expected_at" in backwards.text
    assert client.post("/api/quarantine/transfers",
                       json=_body(orders[:1], facility, seats="many")).status_code == 422
    assert _line_count(db) == 0
    m = client.post("/api/quarantine/transfers", json=_body(orders[:1], facility)).json()
    stranger = client.post(f"/api/quarantine/transfers/{m['id']}/check-in",
                           json={"resident_id": orders[1].resident_id})
    assert stranger.status_code == 422
    assert stranger.headers["content-type"] == "application/problem+json"
    assert "is not on manifest" in stranger.json()["detail"]
    assert "resident_id" in stranger.text
    line = db.scalars(select(TransferLine)).one()
    assert line.checked_in_at is None and line.checked_out_at is None
    assert client.post(f"/api/quarantine/transfers/{m['id']}/check-out",
                       json={"line_no": 9}).status_code == 422
    assert client.post("/api/quarantine/transfers/2147483000/check-in",
                       json={"resident_id": 1}).status_code == 404


def test_an_overdue_person_raises_an_alert_on_the_tile_until_resolved(
        db: Session, client: TestClient) -> None:
    orders, facility = _orders(db)
    long_ago = datetime.now(UTC) - timedelta(hours=5)
    m = client.post("/api/quarantine/transfers", json=_body(
        orders[:1], facility, departs_at=(long_ago - timedelta(hours=1)).isoformat(),
        expected_at=long_ago.isoformat())).json()
    client.post(f"/api/quarantine/transfers/{m['id']}/check-out", json={"line_no": 1})
    alerts = client.get("/api/quarantine/transfers/alerts").json()
    assert [a["resident_id"] for a in alerts] == [orders[0].resident_id]
    tile = next(t for t in client.get("/api/overview").json()["tiles"]
                if t["key"] == "quarantine.transfers")
    assert tile["data"] == {"dispatched": 1, "arrived": 0, "missing": 1,
                            "returns": {"returning": 0, "home": 0, "missing": 0},
                            "without_driver": 0}
    bad = client.post(f"/api/quarantine/transfers/lines/{alerts[0]['line_id']}/resolve",
                      json={"resolution": "lost", "note": "?"})
    assert bad.status_code == 422 and "resolution" in bad.text
    assert len(client.get("/api/quarantine/transfers/alerts").json()) == 1
    ok = client.post(f"/api/quarantine/transfers/lines/{alerts[0]['line_id']}/resolve",
                     json={"resolution": "hospital", "note": "Fever at the bus door"})
    assert ok.status_code == 200 and ok.json()["state"] == "resolved"
    assert client.get("/api/quarantine/transfers/alerts").json() == []
    panel = client.get(f"/api/people/{orders[0].resident_id}").json()
    found = [p for p in panel["panels"] if p["key"] == "quarantine"]
    assert found and found[0]["data"]["transfers"][0]["state"] == "resolved"
    page = client.get(f"/people/{orders[0].resident_id}", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "Vehicle Bus 7, line 1:" in page.text and "taken to hospital" in page.text


def test_the_check_in_page_finds_a_person_by_line_number(
        db: Session, client: TestClient) -> None:
    orders, facility = _orders(db)
    m = client.post("/api/quarantine/transfers", json=_body(orders[:2], facility)).json()
    page = client.get(f"/quarantine/transfers/{m['id']}/check-in?q=2",
                      headers={"accept": "text/html"})
    assert page.status_code == 200
    assert page.text.count('class="card"') == 1
    assert re.search(r"<strong>2\. ", page.text)
