"""Testing JSON API: batches, reports, tubes, histories and retests, scoped and audited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.auth.models import AuditEntry
from epidesk.testing import service
from epidesk.testing.ingest import service as ingesting
from tests.factories import TinyCity, tiny_city
from tests.testing.batches import NOW, csv_bytes, pool, preset, single

PROBLEM = "application/problem+json"


def seed(db: Session) -> tuple[TinyCity, ingesting.IngestResult, ingesting.IngestResult]:
    city = tiny_city(db)
    people = [r.id for r in city.residents.values()]
    good = ingesting.ingest_batch(db, content=csv_bytes(
        pool("P1", people[:5], outcome="positive", ct=(20, 21)) + pool("P2", people[6:11])),
        filename="good.csv", received_by="lab", preset=preset(), now=NOW)
    bad = ingesting.ingest_batch(db, content=csv_bytes([single("S9", 987654)]),
                               filename="bad.csv", received_by="lab", preset=preset(), now=NOW)
    return city, good, bad


def test_batches_and_their_reports(client: TestClient, db: Session):
    _city, good, bad = seed(db)
    listed = client.get("/api/testing/batches").json()
    assert [b["id"] for b in listed] == [bad.batch.id, good.batch.id]
    assert client.get("/api/testing/batches", params={"status": "accepted"}).json()[0][
        "id"] == good.batch.id
    detail = client.get(f"/api/testing/batches/{bad.batch.id}").json()
    assert detail["status"] == "rejected" and detail["problem_count"] == 1
    assert detail["problems"] == [{"line": 2, "column": "resident_id",
                                   "kind": "unknown_resident",
                                   "problem": "no registered resident has the id 987654"}]
    assert detail["problem_counts"] == {"unknown_resident": 1}
    tubes = client.get(f"/api/testing/batches/{good.batch.id}/tubes",
                       params={"outcome": "positive"}).json()
    assert [t["code"] for t in tubes] == ["P1"]
    missing = client.get("/api/testing/batches/999999")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM


def test_a_tube_and_a_history_are_audited(client: TestClient, db: Session):
    city, _good, _bad = seed(db)
    tube_id = service.tube_id_of(db, code="P1")
    tube = client.get(f"/api/testing/tubes/{tube_id}").json()
    assert tube["tube"]["outcome"] == "positive" and len(tube["samples"]) == 5
    assert len(tube["retests"]) == 5
    assert client.get("/api/testing/tubes/by-code/P1").json()["tube"]["id"] == tube_id
    who = city.residents["wang_xiuying"].id
    history = client.get(f"/api/testing/residents/{who}").json()
    assert history["state"] == "pool positive, retest"
    assert history["samples"][0]["tube"]["code"] == "P1"
    entries = db.scalars(select(AuditEntry).where(AuditEntry.person_id == who)).all()
    assert [(e.action, e.record_type) for e in entries] == [("read", "testing_history")]
    assert db.scalars(select(AuditEntry).where(AuditEntry.record_type == "tube")).first()


def test_retests_of_the_callers_area(client: TestClient, db: Session, bearer):  # type: ignore[no-untyped-def]
    city, _good, _bad = seed(db)
    open_orders = client.get("/api/testing/retests").json()
    assert len(open_orders) == 5 and open_orders[0]["status"] == "open"
    yanzhou = bearer("yz-epi", ["epidemiologist"], "district", city.districts[1].id)
    assert client.get("/api/testing/retests", headers=yanzhou).json() == []


def test_outside_the_area_a_record_does_not_exist(client: TestClient, db: Session, bearer):  # type: ignore[no-untyped-def]
    city, _good, _bad = seed(db)
    pine = bearer("pine-epi", ["epidemiologist"], "community", city.communities[1].id)
    inside = city.residents["wang_fang"].id
    outside = city.residents["wang_xiuying"].id
    assert client.get(f"/api/testing/residents/{inside}", headers=pine).status_code == 200
    hidden = client.get(f"/api/testing/residents/{outside}", headers=pine)
    assert hidden.status_code == 404
    assert client.get("/api/testing/residents/999999", headers=pine).json()["detail"] == \
        hidden.json()["detail"]
    p2 = service.tube_id_of(db, code="P2")
    tube = client.get(f"/api/testing/tubes/{p2}", headers=pine).json()
    assert [s["resident_id"] for s in tube["samples"]] == [inside]
    assert tube["hidden_samples"] == 4
    p1 = service.tube_id_of(db, code="P1")
    assert client.get(f"/api/testing/tubes/{p1}", headers=pine).status_code == 404


def test_medical_details_need_the_permission(anon_client: TestClient, db: Session, bearer):  # type: ignore[no-untyped-def]
    seed(db)
    assert anon_client.get("/api/testing/batches").status_code == 401
    worker = bearer("cw", ["community_worker"])
    r = anon_client.get("/api/testing/batches", headers=worker)
    assert r.status_code == 403 and "medical.read" in r.json()["detail"]
