"""The trip home through the API and the pages: a release plans it, the community worker
of the home checks people in (nobody outside their area), the tile and the person's
record show it."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.quarantine.models import QuarantineOrder, Room, TransferLine, TransferManifest
from epidesk.quarantine.orders import service as orders
from epidesk.quarantine.release import service as release
from tests.quarantine.helpers import NOW, inspect, load_facilities
from tests.quarantine.scene import add_result, noon, traced


def _released(db: Session) -> tuple[TransferManifest, QuarantineOrder]:
    """Chen Jing placed in H1 room 101, her results in, released on her last day."""
    s, _ = traced(db)
    ids = load_facilities(db, s.city)
    inspect(db, ids["H1"], on=date(2026, 11, 21))
    chen = next(o for o in orders.orders_of_resident(db, resident_id=s.id("chen_jing"))
                if o.state == "active")
    room = db.scalar(select(Room.id).where(Room.facility_id == ids["H1"],
                                           Room.number == "101"))
    assert room is not None
    orders.assign_room(db, order_id=chen.id, room_id=room, actor="t", now=NOW)
    for day in (1, 2, 3, 5):
        add_result(db, chen.resident_id, chen.counted_from + timedelta(days=day))
    add_result(db, chen.resident_id, chen.end_on)
    release.release(db, order_id=chen.id, actor="officer", now=noon(chen.end_on))
    m = db.scalars(select(TransferManifest).where(
        TransferManifest.purpose == "return_home")).one()
    return m, chen


def test_the_release_plans_a_trip_home_shown_on_the_tile_and_the_record(
        db: Session, client: TestClient) -> None:
    m, chen = _released(db)
    detail = client.get(f"/api/quarantine/transfers/{m.id}").json()
    assert detail["purpose"] == "return_home"
    assert [line["resident_id"] for line in detail["lines"]] == [chen.resident_id]
    tile = next(t for t in client.get("/api/overview").json()["tiles"]
                if t["key"] == "quarantine.transfers")
    # Released on her last day and not checked in at home since: missing.
    assert tile["data"]["returns"] == {"returning": 0, "home": 0, "missing": 1}
    alerts = client.get("/api/quarantine/transfers/alerts").json()
    assert [a["resident_id"] for a in alerts] == [chen.resident_id]
    record = client.get(f"/api/people/{chen.resident_id}").json()
    panel = next(p for p in record["panels"] if p["key"] == "quarantine")
    assert panel["data"]["transfers"][0]["purpose"] == "return_home"
    page = client.get(f"/people/{chen.resident_id}", headers={"accept": "text/html"})
    assert f"Return home, vehicle {m.vehicle}, line 1:" in page.text
    check_in = client.get(f"/quarantine/transfers/{m.id}/check-in",
                          headers={"accept": "text/html"})
    assert f'action="/quarantine/transfers/{m.id}/home-arrivals"' in check_in.text
    assert "no driver assigned yet" in check_in.text


def test_the_community_worker_checks_in_at_home_only_in_their_area(
        db: Session, anon_client: TestClient, bearer, client: TestClient) -> None:  # type: ignore[no-untyped-def]
    m, chen = _released(db)
    from epidesk.people import repository as people

    path = people.resident_area(db, chen.resident_id)
    assert path is not None
    from epidesk.geography.models import Community

    other = db.scalar(select(Community.id).where(Community.id != path.community_id))
    elsewhere = bearer("far", ["community_worker"], "community", other)
    refused = anon_client.post(f"/api/quarantine/transfers/{m.id}/home-arrivals",
                               json={"resident_id": chen.resident_id}, headers=elsewhere)
    assert refused.status_code == 422 and "resident_id" in refused.text
    line = db.scalars(select(TransferLine).where(TransferLine.manifest_id == m.id)).one()
    assert line.checked_in_at is None
    worker = bearer("near", ["community_worker"], "community", path.community_id)
    done = anon_client.post(f"/api/quarantine/transfers/{m.id}/home-arrivals",
                            json={"resident_id": chen.resident_id}, headers=worker)
    assert done.status_code == 200, done.text
    assert done.json()["state"] == "arrived" and done.json()["changed"] is True
    again = anon_client.post(f"/api/quarantine/transfers/{m.id}/home-arrivals",
                             json={"resident_id": chen.resident_id}, headers=worker)
    assert again.json()["changed"] is False
    stranger = anon_client.post(f"/api/quarantine/transfers/{m.id}/home-arrivals",
                                json={"resident_id": 2147483000}, headers=worker)
    assert stranger.status_code == 422
