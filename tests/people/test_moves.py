"""Recording a household move from the API and the person's page: the CLI's rules, the
caller's area, the audit log."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.auth.deps import PRESESSION_COOKIE
from epidesk.people.models import HouseholdMembership, Resident
from tests.factories import tiny_city

TODAY = date.today()


def stays(db: Session, resident_id: int) -> list[tuple[int, date, date | None]]:
    db.expire_all()
    return [(m.household_id, m.start_date, m.end_date) for m in db.scalars(
        select(HouseholdMembership).where(HouseholdMembership.resident_id == resident_id)
        .order_by(HouseholdMembership.start_date))]


def test_a_move_through_the_api(client: TestClient, db: Session):
    from epidesk.auth import service as auth

    t = tiny_city(db)
    zhao, chen = t.residents["zhao_lei"], t.households["chen"]
    day = TODAY - timedelta(days=3)
    r = client.post(f"/api/people/{zhao.id}/moves",
                    json={"household_id": chen.id, "moved_on": day.isoformat()})
    assert r.status_code == 200, r.text
    assert r.json() == {"resident_id": zhao.id, "household_id": chen.id,
                        "start_date": day.isoformat(), "end_date": None}
    assert stays(db, zhao.id) == [(t.households["alone"].id, zhao.birth_date,
                                   day - timedelta(days=1)), (chen.id, day, None)]
    assert db.get(Resident, zhao.id).household_id == chen.id  # type: ignore[union-attr]
    entries = auth.search_audit(db, person_id=zhao.id, username="test-admin")
    assert any(e.action == "move" for e in entries)


def test_bad_moves_name_the_field_and_change_nothing(client: TestClient, db: Session):
    t = tiny_city(db)
    zhao = t.residents["zhao_lei"]
    before = stays(db, zhao.id)
    for body, field in [
        ({"household_id": t.households["chen"].id, "moved_on": "1939-01-01"}, "moved_on"),
        ({"household_id": t.households["chen"].id,
          "moved_on": (TODAY + timedelta(days=2)).isoformat()}, "moved_on"),
        ({"household_id": t.households["alone"].id, "moved_on": TODAY.isoformat()},
         "household_id"),
        ({"household_id": 2147483000, "moved_on": TODAY.isoformat()}, "household_id"),
        ({"household_id": "chen", "moved_on": TODAY.isoformat()}, "household_id"),
        ({"household_id": t.households["chen"].id}, "moved_on"),
    ]:
        r = client.post(f"/api/people/{zhao.id}/moves", json=body)
        assert r.status_code == 422, (body, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert field in [e["loc"][-1] for e in r.json()["errors"]], (body, r.json())
    assert stays(db, zhao.id) == before


def test_a_community_worker_moves_only_within_the_area(anon_client: TestClient, db: Session,
                                                       bearer):  # type: ignore[no-untyped-def]
    t = tiny_city(db)
    anon_client.headers.update(bearer("worker", ["community_worker"], "community",
                                      t.communities[0].id))
    zhao, fang = t.residents["zhao_lei"], t.residents["wang_fang"]
    away = anon_client.post(f"/api/people/{zhao.id}/moves", json={
        "household_id": t.households["pine"].id, "moved_on": TODAY.isoformat()})
    assert away.status_code == 422
    assert away.json()["errors"][0]["loc"] == ["body", "household_id"]
    outside = anon_client.post(f"/api/people/{fang.id}/moves", json={
        "household_id": t.households["chen"].id, "moved_on": TODAY.isoformat()})
    assert outside.status_code == 404
    assert stays(db, fang.id) == [(t.households["pine"].id, fang.birth_date, None)]


def test_a_move_from_the_persons_page(client: TestClient, db: Session):
    t = tiny_city(db)
    zhao, chen = t.residents["zhao_lei"], t.households["chen"]
    page = client.get(f"/people/{zhao.id}", headers={"accept": "text/html"})
    assert "Record a move" in page.text
    client.get("/signin")
    token = client.cookies.get(PRESESSION_COOKIE)
    early = client.post(f"/people/{zhao.id}/moves", data={
        "household_id": str(chen.id), "moved_on": "1930-05-05", "csrf_token": token})
    assert early.status_code == 422 and "must be after" in early.text
    done = client.post(f"/people/{zhao.id}/moves", data={
        "household_id": str(chen.id), "moved_on": TODAY.isoformat(), "csrf_token": token})
    assert done.status_code == 303
    shown = client.get(done.headers["location"], headers={"accept": "text/html"})
    assert "The move is recorded." in shown.text
    assert stays(db, zhao.id)[-1] == (chen.id, TODAY, None)
    forged = client.post(f"/people/{zhao.id}/moves", data={
        "household_id": str(t.households["alone"].id), "moved_on": TODAY.isoformat()})
    assert forged.status_code == 403
