"""The tracing API: visit logs, runs, exposures, a case's contacts, why, follow-up."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.auth.models import AuditEntry
from epidesk.kit import clock
from tests.tracing.helpers import Scene, add_case, scene, visit_csv


@pytest.fixture
def s(db: Session) -> Scene:
    return scene(db)


def upload(client: TestClient, content: bytes, name: str = "visits.csv") -> Any:
    return client.post("/api/tracing/visit-logs", files={"file": (name, content, "text/csv")})


def run_all(client: TestClient) -> dict[str, Any]:
    response = client.post("/api/tracing/runs", json={})
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_visit_logs_are_accepted_once_and_bad_ones_rejected_with_a_report(client: TestClient,
                                                                        s: Scene):
    venue = s.city.venue.id
    good = visit_csv([(s.id("li_na"), venue, "2026-11-20T09:00:00+08:00",
                       "2026-11-20T09:30:00+08:00")])
    first = upload(client, good)
    assert first.status_code == 201 and first.json()["log"]["rows"] == 1
    again = upload(client, good, "renamed.csv")
    assert again.status_code == 200 and again.json()["already_imported"]
    bad = upload(client, visit_csv([(s.id("li_na"), 424_242, "2026-11-20T09:00:00+08:00",
                                     "2026-11-20T09:30:00+08:00")]))
    assert bad.status_code == 422
    assert bad.headers["content-type"] == "application/problem+json"
    body = bad.json()
    assert body["title"] == "Visit log rejected"
    assert body["problems"] == [{"line": 2, "column": "venue_id", "kind": "unknown_venue",
                                 "problem": "no registered venue has the id 424242"}]
    shown = client.get(f"/api/tracing/visit-logs/{body['log_id']}")
    assert shown.status_code == 200 and shown.json()["status"] == "rejected"


def test_a_run_classifies_and_explains(client: TestClient, db: Session, s: Scene):
    result = run_all(client)
    assert (result["close_contacts"], result["sub_close_contacts"]) == (5, 2)
    assert client.get("/api/tracing/runs").json()[0]["id"] == result["id"]
    contacts = client.get(f"/api/tracing/cases/{s.case.id}/contacts").json()
    assert {c["resident_id"] for c in contacts["close"]} == {
        s.id(k) for k in ("wang_xiuying", "wang_wei", "li_na", "chen_jing", "wang_fang")}
    assert {c["name_latin"] for c in contacts["sub_close"]} == {"Li Qiang", "Chen Jie"}
    assert contacts["hidden"] == 0 and contacts["traced_at"] is not None
    venue = next(c for c in contacts["close"] if c["resident_id"] == s.id("chen_jing"))
    assert venue["settings"] == ["venue"] and venue["evidence"] == 1
    # Why is this person a contact?
    body = client.get(f"/api/tracing/contacts/{s.id('li_qiang')}").json()
    assert body["tier"] == "sub_close" and body["status"] == "active"
    [why] = body["evidence"]
    assert (why["setting"], why["derivation"], why["via_resident_id"], why["case_id"]) == (
        "household", "via_close_contact", s.id("li_na"), s.case.id)
    assert why["rule"] == "contacts.sub_close" and "Li Na" in why["explanation"]
    assert [t["day"] for t in body["follow_up"]] == [1, 4, 7]
    audited = db.scalars(select(AuditEntry).where(AuditEntry.record_type == "contact")).all()
    assert [a.person_id for a in audited] == [s.id("li_qiang")]
    letter = client.get(f"/api/tracing/contacts/{s.id('chen_jing')}/letter").json()
    assert letter["tier"] == "close" and letter["rules"] == ["contacts.venue_co_visit"]
    assert "Willow Market" in letter["reasons"][0] and "Wang" not in str(letter)
    nobody = client.get(f"/api/tracing/contacts/{s.id('zhao_lei')}").json()
    assert nobody["tier"] is None and nobody["evidence"] == []


def test_missed_tests_are_listed(client: TestClient, db: Session, s: Scene):
    today = clock.city_today()
    add_case(db, s.city, "zhang_min", sampling=today - timedelta(days=8),
             isolation=today - timedelta(days=7))
    run_all(client)
    missed = client.get("/api/tracing/follow-up/missed").json()
    mine = [(m["resident_id"], m["day"]) for m in missed]
    assert (s.id("zhang_wei"), 1) in mine and (s.id("zhang_wei"), 7) not in mine
    assert all(m["tier"] == "close" for m in missed if m["resident_id"] == s.id("zhang_wei"))


def test_exposures_are_recorded_and_checked(client: TestClient, s: Scene):
    body = {"resident_a_id": s.id("wang_xiulan"), "resident_b_id": s.id("zhang_min"),
            "at": "2026-11-18T19:00:00+08:00", "setting": "shared_vehicle",
            "place": "bus 12", "note": "same row"}
    made = client.post("/api/tracing/exposures", json=body)
    assert made.status_code == 201 and made.json()["setting"] == "shared_vehicle"
    run_all(client)
    assert client.get(f"/api/tracing/contacts/{s.id('zhang_min')}").json()["tier"] == "close"
    wrong = client.post("/api/tracing/exposures", json={**body, "setting": "hug"})
    assert wrong.status_code == 422 and "unknown setting" in wrong.json()["detail"]
    naive = client.post("/api/tracing/exposures", json={**body, "at": "2026-11-18T19:00:00"})
    assert naive.status_code == 422
    building = s.city.buildings[0].id
    placed = client.post("/api/tracing/exposures", json={**body, "building_id": building})
    assert placed.status_code == 201 and placed.json()["building_id"] == building
    assert placed.json()["venue_id"] is None
    both = client.post("/api/tracing/exposures",
                       json={**body, "building_id": building, "venue_id": s.city.venue.id})
    assert both.status_code == 422 and "not both" in both.json()["detail"]
    nowhere = client.post("/api/tracing/exposures", json={**body, "venue_id": 999_999})
    assert nowhere.status_code == 404 and "no venue 999999" in nowhere.json()["detail"]


def test_permissions_and_areas(anon_client: TestClient, bearer: Any, s: Scene):
    worker = bearer("worker", ["community_worker"], "community", s.city.communities[0].id)
    assert anon_client.get(f"/api/tracing/contacts/{s.id('li_na')}",
                           headers=worker).status_code == 403
    local = bearer("local-epi", ["epidemiologist"], "community", s.city.communities[0].id)
    # Classifying every case needs a city-wide grant; a case of the area may be classified.
    refused = anon_client.post("/api/tracing/runs", json={}, headers=local)
    assert refused.status_code == 403
    ran = anon_client.post("/api/tracing/runs", json={"case_ids": [s.case.id]}, headers=local)
    assert ran.status_code == 201 and ran.json()["cases"] == 1
    contacts = anon_client.get(f"/api/tracing/cases/{s.case.id}/contacts", headers=local).json()
    # Wang Fang lives in Pine Court, outside the caller's area: counted, not shown.
    assert contacts["hidden"] == 1
    assert s.id("wang_fang") not in {c["resident_id"] for c in contacts["close"]}
    outside = anon_client.get(f"/api/tracing/contacts/{s.id('wang_fang')}", headers=local)
    assert outside.status_code == 404
    exposure = anon_client.post("/api/tracing/exposures", headers=local, json={
        "resident_a_id": s.id("wang_fang"), "resident_b_id": s.id("li_na"),
        "at": "2026-11-18T19:00:00+08:00", "setting": "carer"})
    assert exposure.status_code == 404
    missing = anon_client.post("/api/tracing/runs", json={"case_ids": [2_000_000_000]},
                               headers=local)
    assert missing.status_code == 404


def test_a_run_follows_case_changes_once(client: TestClient, db: Session, s: Scene):
    first = client.post("/api/tracing/runs", json={"changes": True})
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["scope"] == "changes" and body["cases"] == 1 and body["close_contacts"] == 5
    again = client.post("/api/tracing/runs", json={"changes": True})
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert "since the last tracing run" in again.json()["detail"]
    both = client.post("/api/tracing/runs", json={"changes": True, "case_ids": [s.case.id]})
    assert both.status_code == 422 and "not both" in both.text


def test_an_exposure_recorded_after_tracing_is_followed_by_the_next_run(client: TestClient,
                                                                       s: Scene):
    assert client.post("/api/tracing/runs", json={"changes": True}).status_code == 201
    # The case's window runs to the end of 2026-11-21; the drive was on 2026-11-21.
    made = client.post("/api/tracing/exposures", json={
        "resident_a_id": s.id("wang_xiulan"), "resident_b_id": s.id("zhang_min"),
        "at": "2026-11-21T09:00:00+08:00", "setting": "shared_vehicle"})
    assert made.status_code == 201
    followed = client.post("/api/tracing/runs", json={"changes": True})
    assert followed.status_code == 201, followed.text
    assert followed.json()["contacts_identified"] == 2
    assert client.get(f"/api/tracing/contacts/{s.id('zhang_min')}").json()["tier"] == "close"
    assert client.post("/api/tracing/runs", json={"changes": True}).status_code == 409


def test_the_case_s_record_links_to_its_contacts_and_a_contact_s_to_its_case(
        client: TestClient, s: Scene):
    record = client.get(f"/api/people/{s.id('wang_xiulan')}").json()
    [untraced] = {p["key"]: p for p in record["panels"]}["cases"]["data"]["cases"]
    assert untraced["links"] == [{"kind": "contacts", "id": s.case.id,
                                  "label": "contacts not traced yet",
                                  "href": f"/tracing/cases/{s.case.id}", "note": ""}]
    assert client.post("/api/tracing/runs", json={"changes": True}).status_code == 201
    record = client.get(f"/api/people/{s.id('wang_xiulan')}").json()
    [case] = {p["key"]: p for p in record["panels"]}["cases"]["data"]["cases"]
    [link] = case["links"]
    assert (link["label"], link["href"]) == ("5 close and 2 sub-close contacts",
                                             f"/tracing/cases/{s.case.id}")
    contact = client.get(f"/api/people/{s.id('li_na')}").json()
    tracing = {p["key"]: p for p in contact["panels"]}["tracing"]["data"]
    assert tracing["tier"] == "close" and tracing["cases"] == [{"case_id": s.case.id}]
    assert tracing["follow_up_ends_on"] is not None
