"""The vaccination API: sites, stock, places, campaigns, booking, doses and the record."""

from __future__ import annotations

import io
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.vaccination.sites.engine import write_sites_csv
from tests.vaccination.scene import LOT, scene


def test_a_dose_given_through_the_api_books_the_second(db: Session, client: TestClient) -> None:
    s = scene(db)
    person = s.city.residents["zhang_min"].id
    options = client.get(f"/api/vaccination/residents/{person}/options").json()
    assert options["dose_number"] == 1 and options["places"]
    made = client.post(f"/api/vaccination/residents/{person}/appointments",
                       json={"site_id": s.site.id, "day": s.today.isoformat(),
                             "channel": "hotline"})
    assert made.status_code == 201, made.text
    assert made.json()["channel"] == "hotline"
    again = client.post(f"/api/vaccination/residents/{person}/appointments",
                        json={"site_id": s.site.id, "day": s.today.isoformat()})
    assert again.status_code == 409
    dose = client.post(f"/api/vaccination/residents/{person}/doses",
                       json={"site_id": s.site.id, "product": "coronavac", "lot": LOT,
                             "vaccinator": "Dr Liu"})
    assert dose.status_code == 201, dose.text
    body = dose.json()
    assert body["dose"]["dose_number"] == 1 and not body["dose"]["walk_in"]
    assert body["next_appointment"]["day"] == (s.today + timedelta(days=21)).isoformat()
    record = client.get(f"/api/vaccination/residents/{person}").json()
    assert [d["lot"] for d in record["doses"]] == [LOT]
    assert {a["status"] for a in record["appointments"]} == {"done", "booked"}
    event = client.post(f"/api/vaccination/doses/{body['dose']['id']}/adverse-events",
                        json={"onset_at": "2099-01-01T08:00:00+08:00", "severity": "bad",
                              "description": "x"})
    assert event.status_code == 422 and "severity" in event.text
    panel = client.get(f"/api/people/{person}").json()
    vaccination = next(p for p in panel["panels"] if p["key"] == "vaccination")
    assert vaccination["data"]["next_dose_number"] == 2


def test_bad_input_is_refused_naming_the_field_and_changes_nothing(
        db: Session, client: TestClient) -> None:
    s = scene(db)
    person = s.city.residents["li_na"].id
    wrong_lot = client.post(f"/api/vaccination/residents/{person}/doses",
                            json={"site_id": s.site.id, "product": "coronavac", "lot": "NONE",
                                  "vaccinator": "Dr Liu"})
    assert wrong_lot.status_code == 422
    assert wrong_lot.headers["content-type"] == "application/problem+json"
    assert wrong_lot.json()["field"] == "lot"
    assert client.get(f"/api/vaccination/residents/{person}").json()["doses"] == []
    no_expiry = client.post(f"/api/vaccination/sites/{s.site.id}/stock",
                            json={"kind": "receipt", "product": "coronavac", "lot": "N2",
                                  "doses": 5})
    assert no_expiry.status_code == 422 and no_expiry.json()["field"] == "expiry"
    window = client.post("/api/vaccination/campaigns/check",
                         json={"district_id": s.city.districts[0].id, "first_day": "2026-12-10",
                               "last_day": "2026-12-01", "target_doses": 10})
    assert window.status_code == 422 and window.json()["field"] == "last_day"
    hours = client.post("/api/vaccination/sites", json={
        "code": "X", "name": "X", "district_id": s.city.districts[0].id, "stations": 1,
        "doses_per_station_hour": 1, "hours": [{"weekday": 0, "opens": 600, "closes": 500}]})
    assert hours.status_code == 422 and hours.json()["field"] == "hours"


def test_an_infeasible_campaign_is_refused_with_its_check(db: Session, client: TestClient
                                                          ) -> None:
    s = scene(db, pools=False)
    body = {"district_id": s.city.districts[0].id, "first_day": s.today.isoformat(),
            "last_day": (s.today + timedelta(days=2)).isoformat(), "target_doses": 54_000,
            "name": "quota"}
    refused = client.post("/api/vaccination/campaigns", json=body)
    assert refused.status_code == 409
    problem = refused.json()
    assert problem["assessment"]["shortfall"] == 54_000 - problem["assessment"]["achievable"]
    assert problem["assessment"]["suggestions"]
    check = client.post("/api/vaccination/campaigns/check", json=body).json()
    assert check["feasible"] is False and check["target"] == 54_000
    assert client.get("/api/vaccination/campaigns").json() == []


def test_a_site_list_upload(db: Session, client: TestClient) -> None:
    s = scene(db, pools=False)
    content = write_sites_csv([{"code": "UP1", "name": "Upload", "address": "Road",
                                "district": s.city.districts[1].code, "stations": "2",
                                "doses_per_station_hour": "10", "mon": "09:00-12:00",
                                "tue": "", "wed": "", "thu": "", "fri": "", "sat": "",
                                "sun": ""}])
    done = client.post("/api/vaccination/sites/import",
                       files={"file": ("sites.csv", io.BytesIO(content), "text/csv")})
    assert done.status_code == 201 and done.json()["created"] == 1
    again = client.post("/api/vaccination/sites/import",
                        files={"file": ("sites.csv", io.BytesIO(content), "text/csv")})
    assert again.status_code == 200 and again.json()["already_imported"]
    bad = client.post("/api/vaccination/sites/import",
                      files={"file": ("bad.csv", io.BytesIO(b"code\nX\n"), "text/csv")})
    assert bad.status_code == 422 and bad.json()["problem_count"] >= 1
    public = client.get("/api/vaccination/sites").json()
    assert {x["code"] for x in public} == {"UP1", s.site.code}
    assert next(x for x in public if x["code"] == "UP1")["hours"] == {"mon": "09:00-12:00"}


def test_coverage_counts_residents_by_district_and_age_band(db: Session,
                                                            client: TestClient) -> None:
    s = scene(db)
    client.post(f"/api/vaccination/residents/{s.city.residents['wang_xiuying'].id}/doses",
                json={"site_id": s.site.id, "product": "coronavac", "lot": LOT,
                      "vaccinator": "Dr Liu"})
    rows = client.get("/api/vaccination/coverage").json()["rows"]
    band = next(r for r in rows if r["age_band"] == "70-79"
                and r["district_id"] == s.city.districts[0].id)
    assert band["dose_1"] == 1 and band["dose_2"] == 0 and band["residents"] >= 1
    assert sum(r["residents"] for r in rows) == sum(
        1 for r in s.city.residents.values() if r.birth_date.year <= s.today.year - 3)
    from epidesk.vaccination.deps import public_tables

    (table,) = public_tables(db, day=s.today)
    assert table.level == "district" and [c.name for c in table.columns][:3] == [
        "day", "district", "age_band"]
    assert sum(row[4] for row in table.rows) == 1
