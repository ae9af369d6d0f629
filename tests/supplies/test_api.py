"""The supplies API: finding a household, filing on its behalf, batches, deliveries at the
door, depots and receipts; bad input named."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.supplies import repository
from tests.supplies.scene import DAY, restricted, stocked_depot


def test_an_operator_finds_an_elderly_resident_without_a_smartphone_and_files(
        db: Session, anon_client: TestClient, bearer) -> None:  # type: ignore[no-untyped-def]
    city = restricted(db)
    anon_client.headers.update(bearer("op", ["hotline_operator"]))
    by_name = anon_client.get("/api/supplies/households", params={"q": "zhao"})
    assert by_name.status_code == 200, by_name.text
    household = city.households["alone"].id
    assert [h["household_id"] for h in by_name.json()] == [household]
    member = by_name.json()[0]["members"][0]
    assert member["name"] == "赵磊" and member["has_smartphone"] is False
    by_phone = anon_client.get("/api/supplies/households", params={"q": "13900000003"})
    assert [h["household_id"] for h in by_phone.json()] == [city.households["li"].id]
    willow = city.communities[0].name
    by_address = anon_client.get("/api/supplies/households",
                                 params={"q": f"{willow} 1-1-101"})
    assert [h["household_id"] for h in by_address.json()] == [city.households["wang"].id]
    body = {"household_id": household, "channel": "phone", "items": ["medicine", "food_pack"],
            "urgency": "medical", "contact_name": "Zhao Lei", "contact_phone": "0537-1234567"}
    first = anon_client.post("/api/supplies/requests", json=body)
    assert first.status_code == 201, first.text
    again = anon_client.post("/api/supplies/requests", json=body)
    assert again.json()["id"] == first.json()["id"] and again.json()["duplicates"] == 1
    shown = anon_client.get(f"/api/supplies/requests/{first.json()['id']}")
    assert shown.json()["items"] == ["food_pack", "medicine"]


def test_bad_input_is_a_422_naming_the_field(client: TestClient, db: Session) -> None:
    city = restricted(db)
    household = city.households["alone"].id
    answer = client.post("/api/supplies/requests", json={
        "household_id": household, "items": ["caviar"], "contact_name": "x",
        "contact_phone": "13900000000"})
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert "items" in answer.text
    phone = client.post("/api/supplies/requests", json={
        "household_id": household, "items": ["food_pack"], "contact_name": "x",
        "contact_phone": "call me now"})
    assert phone.status_code == 422 and "contact_phone" in phone.text
    missing = client.post("/api/supplies/requests", json={
        "household_id": 2_000_000, "items": ["food_pack"], "contact_name": "x",
        "contact_phone": "13900000000"})
    assert missing.status_code == 422 and "household_id" in missing.text
    failed = client.post("/api/supplies/deliveries/1/fail", json={"reason": ""})
    assert failed.status_code == 422 and "reason" in failed.text
    assert not repository.requests_of(db, household)


def test_batches_deliveries_and_the_overdue_list(client: TestClient, db: Session) -> None:
    city = restricted(db)
    stocked_depot(db, city)
    built = client.post("/api/supplies/batches", json={"day": DAY.isoformat()})
    assert built.status_code == 201 and built.json()["deliveries"] == 5
    listed = client.get("/api/supplies/batches", params={"day": DAY.isoformat()}).json()
    batch = client.get(f"/api/supplies/batches/{listed[0]['id']}").json()
    first = batch["deliveries"][0]
    assert client.post(f"/api/supplies/deliveries/{first['id']}/confirm").status_code == 200
    twice = client.post(f"/api/supplies/deliveries/{first['id']}/confirm")
    assert twice.status_code == 409
    # The other four have waited since DAY; the one served today has not.
    overdue = client.get("/api/supplies/overdue", params={"days": 1}).json()
    late = {h["household_id"] for h in overdue["households"]}
    assert len(late) == 4 and first["household_id"] not in late


def test_depots_receipts_and_their_report(client: TestClient, db: Session) -> None:
    city = restricted(db)
    district = city.communities[0].subdistrict.district_id
    made = client.post("/api/supplies/depots", json={"code": "R1", "name": "Ring road",
                                                     "district_id": district})
    assert made.status_code == 201
    depot = made.json()["id"]
    good = "depot,item,lot,expires_on,quantity\nR1,masks,M-7,2027-01-31,500\nR1,food_pack,F-1,,80\n"
    sent = client.post("/api/supplies/receipts",
                       files={"file": ("r.csv", good.encode(), "text/csv")})
    assert sent.status_code == 201, sent.text
    again = client.post("/api/supplies/receipts",
                        files={"file": ("r.csv", good.encode(), "text/csv")})
    assert again.status_code == 200 and again.json()["already_imported"]
    bad = "depot,item,lot,expires_on,quantity\nR9,masks,M-7,2027-01-31,500\nR1,caviar,X,,0\n"
    rejected = client.post("/api/supplies/receipts",
                           files={"file": ("b.csv", bad.encode(), "text/csv")})
    assert rejected.status_code == 422
    kinds = {p["kind"] for p in rejected.json()["problems"]}
    assert kinds == {"unknown_depot", "unknown_item", "bad_quantity"}
    shown = client.get(f"/api/supplies/depots/{depot}").json()
    assert {i["item"]: i["on_hand"] for i in shown["items"]} == {"food_pack": 80, "masks": 500}
    short = client.post(f"/api/supplies/depots/{depot}/adjustments", json={
        "item": "masks", "lot": "M-7", "direction": "remove", "quantity": 600, "reason": "count"})
    assert short.status_code == 409
    noreason = client.post(f"/api/supplies/depots/{depot}/adjustments", json={
        "item": "masks", "lot": "M-7", "direction": "remove", "quantity": 6, "reason": ""})
    assert noreason.status_code == 422 and "reason" in noreason.text
