"""The quarantine API: uploads, inspections, orders, release; bad input changes nothing."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.quarantine.models import Facility, Inspection, QuarantineOrder
from epidesk.quarantine.rules import CHECKLIST
from tests.quarantine.helpers import TODAY, csv_of, facility_line, standard_list
from tests.quarantine.scene import traced


def _facilities(db: Session) -> int:
    return db.scalar(select(func.count(Facility.id))) or 0


def test_a_list_with_a_bad_row_is_refused_with_line_and_column(db: Session,
                                                               client: TestClient) -> None:
    s, _ = traced(db)
    c, d = s.city.city.code, s.city.districts[0].code
    bad = csv_of([facility_line("H1", c, d, "1"), facility_line("H1", c, d, "2", lat="north")])
    refused = client.post("/api/quarantine/facility-lists",
                          files={"file": ("bad.csv", bad, "text/csv")})
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["problems"][0] | {"problem": ""} == {
        "line": 3, "column": "lat", "kind": "bad_value", "problem": ""}
    assert _facilities(db) == 0
    ok = client.post("/api/quarantine/facility-lists",
                     files={"file": ("sites.csv", standard_list(s.city), "text/csv")})
    assert ok.status_code == 201 and ok.json()["rooms"] == 7
    again = client.post("/api/quarantine/facility-lists",
                        files={"file": ("sites.csv", standard_list(s.city), "text/csv")})
    assert again.status_code == 200 and again.json()["already_imported"]
    listed = client.get("/api/quarantine/facilities").json()
    assert {f["code"] for f in listed} == {"H1", "H2", "M1", "N1"}
    assert client.get("/api/quarantine/reserve").json()["rooms_per_10k_residents"] == 20


def test_inspections_complaints_and_eligibility(db: Session, client: TestClient) -> None:
    s, _ = traced(db)
    client.post("/api/quarantine/facility-lists",
                files={"file": ("sites.csv", standard_list(s.city), "text/csv")})
    h1 = next(f["id"] for f in client.get("/api/quarantine/facilities").json()
              if f["code"] == "H1")
    partial = client.post(f"/api/quarantine/facilities/{h1}/inspections", json={
        "inspected_on": TODAY.isoformat(), "inspector": "Wu",
        "items": [{"item": "mould", "passed": True}]})
    assert partial.status_code == 422 and "leaves out" in partial.json()["detail"]
    unknown = client.post(f"/api/quarantine/facilities/{h1}/inspections", json={
        "inspected_on": TODAY.isoformat(), "inspector": "Wu",
        "items": [{"item": "roof", "passed": True}]})
    assert unknown.status_code == 422
    assert (db.scalar(select(func.count(Inspection.id))) or 0) == 0
    items = [{"item": k, "passed": k != "hot_water"} for k in CHECKLIST]
    failed = client.post(f"/api/quarantine/facilities/{h1}/inspections", json={
        "inspected_on": TODAY.isoformat(), "inspector": "Wu", "items": items})
    assert failed.status_code == 201 and not failed.json()["passed"]
    detail = client.get(f"/api/quarantine/facilities/{h1}").json()
    assert detail["eligibility"] == {"eligible": False, "reason": "failed",
                                     "failed_items": ["hot_water"],
                                     "inspection_expires_on": None}
    linked = client.post(f"/api/quarantine/facilities/{h1}/complaints", json={
        "source": "hotline", "reference": "T-1", "topic": "hot_water",
        "summary": "No hot water for two days"})
    assert linked.status_code == 201
    twice = client.post(f"/api/quarantine/facilities/{h1}/complaints", json={
        "source": "hotline", "reference": "T-1", "summary": "again"})
    assert twice.status_code == 409
    assert client.get(f"/api/quarantine/facilities/{h1}").json()["complaints"] == 1


def test_an_order_changes_with_a_reason_and_release_names_what_is_missing(
        db: Session, client: TestClient) -> None:
    s, _ = traced(db)
    order = db.scalars(select(QuarantineOrder).where(
        QuarantineOrder.resident_id == s.id("chen_jing"))).one()
    shown = client.get(f"/api/quarantine/orders/{order.id}").json()
    assert shown["rule"] == "quarantine.categories.close_contact"
    assert "cn-9th-2022" in shown["explanation"] and shown["tests"][0]["day"] == 1
    no_reason = client.post(f"/api/quarantine/orders/{order.id}/end",
                            json={"end_on": (order.end_on + timedelta(days=1)).isoformat(),
                                  "reason": ""})
    assert no_reason.status_code == 422
    bad_day = client.post(f"/api/quarantine/orders/{order.id}/end",
                          json={"end_on": "2026-13-01", "reason": "x"})
    assert bad_day.status_code == 422 and "end_on" in bad_day.text
    first_end = order.end_on
    moved = client.post(f"/api/quarantine/orders/{order.id}/end",
                        json={"end_on": (first_end + timedelta(days=2)).isoformat(),
                              "reason": "flatmate positive"})
    assert moved.status_code == 200
    assert moved.json()["end_history"][0]["previous_end_on"] == first_end.isoformat()
    refused = client.post(f"/api/quarantine/orders/{order.id}/release")
    assert refused.status_code == 422
    body = refused.json()
    assert body["rule"] == "quarantine.categories.close_contact"
    assert any("day-1 test" in m for m in body["missing"])
    db.refresh(order)
    assert order.state == "active"
    delivered = client.post(f"/api/quarantine/orders/{order.id}/deliveries",
                            json={"method": "on_behalf"})
    assert delivered.status_code == 422
    listed = client.get("/api/quarantine/orders").json()
    assert order.id in {o["id"] for o in listed}


def test_the_person_record_and_the_command_centre_show_orders(db: Session,
                                                               client: TestClient) -> None:
    s, _ = traced(db)
    record = client.get(f"/api/people/{s.id('wang_xiuying')}").json()
    panel = next(p for p in record["panels"] if p["key"] == "quarantine")
    assert panel["data"]["orders"][0]["form"] == "centralized"
    overview = client.get("/api/overview").json()
    tile = next(t for t in overview["tiles"] if t["key"] == "quarantine.facilities")
    assert tile["data"]["active_orders"]["centralized"] >= 1
    assert "overdue_releases" in tile["data"]
