"""The public request page (no account, CSRF, same answer for any address, in Chinese and
English), the intake on a resident's behalf, the delivery page, depots and the tile."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.auth.deps import PRESESSION_COOKIE
from epidesk.kit import clock
from epidesk.supplies import repository
from epidesk.supplies.models import SupplyRequest
from tests.supplies.scene import DAY, restricted, stocked_depot


def _form(**changes: str) -> dict[str, object]:
    form: dict[str, object] = {"community": "Willow Court", "building": "1", "unit": "1",
                               "flat": "101", "items": ["food_pack", "nappies"],
                               "urgency": "normal", "contact_name": "Wang Xiulan",
                               "contact_phone": "13900000002"}
    form.update(changes)
    return form


def _answer(text: str) -> str:
    """The page without its reference (what must read the same either way)."""
    return re.sub(r"S-[A-Z0-9]{10}", "S-REF", text)


def test_a_public_request_answers_the_same_for_any_address(
        db: Session, anon_client: TestClient) -> None:
    city = restricted(db)
    page = anon_client.get("/supplies/request")
    assert page.status_code == 200 and 'name="csrf_token"' in page.text
    token = anon_client.cookies.get(PRESESSION_COOKIE)
    willow = city.communities[0].name
    known = anon_client.post("/supplies/request", data={**_form(community=willow),
                                                        "csrf_token": token})
    unknown = anon_client.post("/supplies/request", data={
        **_form(community="Nowhere Gardens", contact_phone="13811112222"),
        "csrf_token": anon_client.cookies.get(PRESESSION_COOKIE)})
    assert known.status_code == unknown.status_code == 200
    assert _answer(known.text) == _answer(unknown.text)
    rows = db.scalars(select(SupplyRequest).order_by(SupplyRequest.id)).all()
    assert [r.household_id for r in rows] == [city.households["wang"].id, None]


def test_a_public_request_needs_its_csrf_token_and_valid_fields(
        db: Session, anon_client: TestClient) -> None:
    restricted(db)
    anon_client.get("/supplies/request")
    refused = anon_client.post("/supplies/request", data={**_form(), "csrf_token": "forged"})
    assert refused.status_code == 403
    bad = anon_client.post("/supplies/request", data={
        **_form(flat="x", contact_phone="no"), "items": [],
        "csrf_token": anon_client.cookies.get(PRESESSION_COOKIE)})
    assert bad.status_code == 422
    assert bad.text.count('class="error"') >= 3
    assert not db.scalars(select(SupplyRequest)).all()


def test_the_public_request_page_reads_in_chinese(db: Session, anon_client: TestClient
                                                  ) -> None:
    page = anon_client.get("/supplies/request", headers={"Accept-Language": "zh"})
    assert "申请生活物资" in page.text and "婴儿配方奶粉" in page.text


def test_a_community_worker_files_for_a_resident_without_a_smartphone(
        db: Session, anon_client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    city = restricted(db)
    anon_client.headers.update(bearer("worker", ["community_worker"], "community",
                                      city.communities[0].id))
    found = anon_client.get("/supplies/intake", params={"q": "Zhao"})
    household = city.households["alone"].id
    assert f"/supplies/intake?household_id={household}" in found.text
    assert "no smartphone" in found.text
    form = anon_client.get("/supplies/intake", params={"household_id": household})
    assert 'name="household_id"' in form.text
    anon_client.get("/signin")
    filed = anon_client.post("/supplies/intake", data={
        "household_id": str(household), "channel": "community", "items": ["medicine"],
        "urgency": "medical", "contact_name": "Zhao Lei", "contact_phone": "05371234567",
        "csrf_token": anon_client.cookies.get(PRESESSION_COOKIE)})
    assert filed.status_code == 200 and "Reference S-" in filed.text
    assert [q.urgency for q in repository.requests_of(db, household)] == ["medical"]


def test_the_delivery_page_confirms_at_the_door(db: Session, anon_client: TestClient,
                                                bearer) -> None:  # type: ignore[no-untyped-def]
    from epidesk.supplies import service

    city = restricted(db)
    stocked_depot(db, city)
    service.build_batches(db, day=DAY, actor="planner")
    batch = repository.batches(db, day=DAY)[0]
    anon_client.headers.update(bearer("vol", ["volunteer"], "community",
                                      city.communities[0].id))
    page = anon_client.get(f"/supplies/batches/{batch.id}")
    assert page.status_code == 200 and "Delivered" in page.text
    anon_client.get("/signin")
    token = anon_client.cookies.get(PRESESSION_COOKIE)
    first, second = batch.deliveries[0], batch.deliveries[1]
    done = anon_client.post(f"/supplies/deliveries/{first.id}/confirm",
                            data={"csrf_token": token})
    assert done.status_code == 303
    failed = anon_client.post(f"/supplies/deliveries/{second.id}/fail",
                              data={"csrf_token": token, "reason": "nobody home"})
    assert failed.status_code == 303
    db.refresh(first)
    db.refresh(second)
    assert (first.status, second.status, second.reason) == ("delivered", "failed",
                                                            "nobody home")


def test_staff_pages_and_the_command_centre_tile(db: Session, client: TestClient) -> None:
    city = restricted(db)
    stocked_depot(db, city, ppe=False)
    assert client.get("/supplies").status_code == 200
    overdue = client.get("/supplies/overdue")
    assert overdue.status_code == 200
    assert f"/households/{city.households['alone'].id}" in overdue.text
    depots = client.get("/supplies/depots")
    assert "Rencheng depot" in depots.text
    today = clock.city_today().isoformat()
    tiles = {t["key"]: t for t in client.get("/api/overview",
                                             params={"day": today}).json()["tiles"]}
    assert tiles["supplies.overdue"]["data"]["households"] == 5
    assert {a["item"] for a in tiles["supplies.shortages"]["data"]["alerts"]} >= {"masks",
                                                                                  "gloves"}
