"""Geography JSON API: the city, districts and subdistricts; problem+json errors."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import tiny_city

PROBLEM = "application/problem+json"


def test_city(client: TestClient, db: Session):
    tiny_city(db)
    r = client.get("/api/places")
    assert r.status_code == 200
    body = r.json()
    assert body["city"]["name"] == "Tinyville"
    assert [d["name"] for d in body["districts"]] == ["Rencheng", "Yanzhou"]
    assert [c["name"] for c in body["neighbours"]] == ["Nextdoor"]


def test_no_city_is_a_problem(client: TestClient):
    r = client.get("/api/places")
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM
    assert "no home city" in r.json()["detail"]
    assert client.get("/api/places/districts").json() == []


def test_districts(client: TestClient, db: Session):
    tiny_city(db)
    r = client.get("/api/places/districts")
    assert r.status_code == 200
    assert [(d["name"], d["subdistricts"], d["communities"]) for d in r.json()] == [
        ("Rencheng", 2, 2), ("Yanzhou", 1, 1)]


def test_district_and_subdistrict(client: TestClient, db: Session):
    t = tiny_city(db)
    district = client.get(f"/api/places/districts/{t.districts[0].id}").json()
    assert [s["name"] for s in district["subdistricts"]] == ["Gulou", "Nanzhan"]
    assert district["path"][0]["kind"] == "city"
    sub = client.get(f"/api/places/subdistricts/{t.subdistricts[0].id}").json()
    assert [(c["name"], c["buildings"]) for c in sub["communities"]] == [
        ("Willow Court", 2), ("Pine Court", 1)]


def test_unknown_places_are_problems(client: TestClient, db: Session):
    tiny_city(db)
    for kind, url in [("district", "/api/places/districts/999999"),
                      ("subdistrict", "/api/places/subdistricts/999999")]:
        r = client.get(url)
        assert r.status_code == 404
        assert r.headers["content-type"] == PROBLEM
        assert r.json()["detail"] == f"{kind} 999999 not found"
    r = client.get("/api/places/districts/first")
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM


def test_places_need_signing_in(anon_client: TestClient, db: Session):
    tiny_city(db)
    r = anon_client.get("/api/places/districts")
    assert r.status_code == 401
    assert r.headers["content-type"] == PROBLEM


def test_auditors_may_browse_places(anon_client: TestClient, db: Session, bearer):  # type: ignore[no-untyped-def]
    tiny_city(db)
    anon_client.headers.update(bearer("audrey", ["auditor"]))
    assert anon_client.get("/api/places").status_code == 200
