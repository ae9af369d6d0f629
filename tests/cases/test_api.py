"""Cases JSON API and the lab batch upload: accepted, rejected with a report, no change."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.cases import deps as cases_deps
from epidesk.kit import clock
from epidesk.kit.access import MEDICAL_READ, AreaFilter, AreaPath
from epidesk.testing import service as testing_service
from tests.factories import TinyCity, tiny_city
from tests.testing import tables as testing
from tests.testing.batches import csv_bytes, pool, single

PROBLEM = "application/problem+json"


def upload(client: TestClient, content: bytes, name: str = "batch.csv", **kwargs):  # type: ignore[no-untyped-def]
    return client.post("/api/testing/batches", files={"file": (name, content, "text/csv")},
                       **kwargs)


def positives(city: TinyCity) -> bytes:
    r = city.residents
    return csv_bytes([
        single("S1", r["li_na"].id, outcome="positive", ct=(22, 23)),
        single("S2", r["wang_fang"].id, outcome="positive", ct=(22, 23)),
        *pool("P1", [r[k].id for k in ("wang_xiuying", "wang_xiulan", "wang_wei", "zhang_wei",
                                       "zhang_min")]),
    ])


def test_upload_a_good_batch_then_the_same_again(client: TestClient, db: Session):
    city = tiny_city(db)
    first = upload(client, positives(city))
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["already_ingested"] is False and body["batch"]["status"] == "accepted"
    assert body["batch"]["cases_created"] == 2
    assert body["message"].startswith("accepted: 7 samples in 3 tubes")
    before = testing.table_counts(db)
    again = upload(client, positives(city), name="copy.csv")
    assert again.status_code == 200 and again.json()["already_ingested"] is True
    assert "nothing changed" in again.json()["message"]
    assert testing.table_counts(db) == before


def test_upload_a_bad_batch_is_rejected_whole_with_its_report(client: TestClient, db: Session):
    city = tiny_city(db)
    rows = [single("S1", city.residents["li_na"].id, outcome="positive", ct=(22, 23)),
            single("S2", 424242), single("S3", city.residents["chen_jie"].id, outcome="maybe")]
    r = upload(client, csv_bytes(rows))
    assert r.status_code == 422 and r.headers["content-type"] == PROBLEM
    body = r.json()
    assert body["title"] == "Batch rejected"
    assert body["detail"].startswith("rejected, nothing written: 2 problems")
    assert [(p["line"], p["column"], p["kind"]) for p in body["problems"]] == [
        (3, "resident_id", "unknown_resident"), (4, "outcome", "unknown_outcome")]
    assert body["problem_counts"] == {"unknown_outcome": 1, "unknown_resident": 1}
    assert testing.table_counts(db) == {"lab_batch": 1, "tube": 0, "sample": 0,
                                        "retest_order": 0}
    assert client.get("/api/cases").json() == []


def test_upload_needs_the_ingest_permission(anon_client: TestClient, db: Session, bearer):  # type: ignore[no-untyped-def]
    city = tiny_city(db)
    vaccinator = bearer("vac", ["vaccinator"])
    r = upload(anon_client, positives(city), headers=vaccinator)
    assert r.status_code == 403


def test_cases_list_detail_reclassify_withdraw(client: TestClient, db: Session):
    city = tiny_city(db)
    upload(client, positives(city))
    cases = client.get("/api/cases").json()
    assert len(cases) == 2 and {c["classification"] for c in cases} == {"asymptomatic"}
    li_na = next(c for c in cases if c["resident_id"] == city.residents["li_na"].id)
    assert client.get("/api/cases", params={"resident_id": li_na["resident_id"]}).json()[0][
        "id"] == li_na["id"]
    detail = client.get(f"/api/cases/{li_na['id']}").json()
    assert [e["kind"] for e in detail["events"]] == ["reported"]
    day = li_na["asymptomatic_on"]
    r = client.post(f"/api/cases/{li_na['id']}/reclassify",
                    json={"on": day, "onset_date": day, "note": "fever"})
    assert r.status_code == 200, r.text
    assert (r.json()["classification"], r.json()["asymptomatic_on"], r.json()["confirmed_on"]) \
        == ("confirmed", day, day)
    conflict = client.post(f"/api/cases/{li_na['id']}/reclassify", json={})
    assert conflict.status_code == 409 and conflict.headers["content-type"] == PROBLEM
    short = client.post(f"/api/cases/{li_na['id']}/withdraw", json={"reason": "no"})
    assert short.status_code == 422
    gone = client.post(f"/api/cases/{li_na['id']}/withdraw",
                       json={"reason": "false positive after re-test"})
    assert gone.json()["status"] == "withdrawn"
    assert [c["id"] for c in client.get("/api/cases", params={"status": "withdrawn"}).json()] \
        == [li_na["id"]]


def test_cases_are_limited_to_the_callers_area(client: TestClient, db: Session, bearer):  # type: ignore[no-untyped-def]
    city = tiny_city(db)
    upload(client, positives(city))
    pine = bearer("pine-epi", ["epidemiologist"], "community", city.communities[1].id)
    mine = client.get("/api/cases", headers=pine).json()
    assert [c["resident_id"] for c in mine] == [city.residents["wang_fang"].id]
    other = next(c for c in client.get("/api/cases").json()
                 if c["resident_id"] == city.residents["li_na"].id)
    assert client.get(f"/api/cases/{other['id']}", headers=pine).status_code == 404
    refused = client.post(f"/api/cases/{other['id']}/withdraw", headers=pine,
                          json={"reason": "false positive"})
    assert refused.status_code == 404
    auditor = bearer("aud", ["auditor"])
    assert client.get("/api/cases", headers=auditor).status_code == 403


def test_bulletin_json_and_csv(client: TestClient, db: Session):
    city = tiny_city(db)
    upload(client, positives(city))
    day = client.get("/api/cases").json()[0]["reported_on"]
    bulletin = client.get("/api/cases/bulletin", params={"day": day}).json()
    assert bulletin["total"]["new_asymptomatic"] == 2
    assert {d["code"]: d["local"]["new_asymptomatic"] for d in bulletin["districts"]} == {
        "TD1": 2, "TD2": 0}
    assert "resident" not in str(bulletin)
    early = client.get("/api/cases/bulletin",
                       params={"day": day, "as_of": "2000-01-01T00:00:00Z"}).json()
    assert early["total"]["new_asymptomatic"] == 0
    csv = client.get("/api/cases/bulletin.csv", params={"day": day})
    assert csv.headers["content-type"].startswith("text/csv")
    assert f"{day},TD1,Rencheng,local,0,2,0,0" in csv.text
    assert client.get("/api/cases/bulletin", params={"day": "yesterday"}).status_code == 422


def test_without_a_day_the_bulletin_opens_on_the_latest_day_with_data(client: TestClient,
                                                                      db: Session):
    city = tiny_city(db)
    empty = client.get("/api/cases/bulletin").json()
    assert (empty["day"], empty["shown"]) == (clock.city_today().isoformat(), "no_data")
    # The batch's results and its cases: 21 November (city time), nothing since.
    upload(client, positives(city))
    latest = client.get("/api/cases/bulletin").json()
    assert (latest["day"], latest["shown"]) == ("2026-11-21", "latest_with_data")
    assert latest["total"]["new_asymptomatic"] == 2
    asked = client.get("/api/cases/bulletin", params={"day": "2026-11-20"}).json()
    assert (asked["shown"], asked["total"]["new_asymptomatic"]) == ("chosen", 0)


def test_a_tube_links_to_the_case_it_produced(client: TestClient, db: Session):
    city = tiny_city(db)
    upload(client, positives(city))
    [case] = [c for c in client.get("/api/cases").json()
              if c["resident_id"] == city.residents["li_na"].id]
    tube = client.get("/api/testing/tubes/by-code/TS1").json()
    assert tube["cases"] == [{"kind": "case", "id": case["id"], "label": f"case {case['id']}",
                              "href": f"/cases/{case['id']}", "note": "asymptomatic, active"}]
    same = client.get(f"/api/testing/tubes/{tube['tube']['id']}").json()
    assert same["cases"] == tube["cases"]
    # The negative pool produced no case.
    assert client.get("/api/testing/tubes/by-code/P1").json()["cases"] == []


class OnlyPine:
    """A reader whose medical permission covers one community only."""

    def __init__(self, community_id: int) -> None:
        self.area = AreaFilter(community_ids=frozenset({community_id}))

    user_id = 1
    username = "pine-epi"

    def can(self, permission: str) -> bool:
        return permission == MEDICAL_READ

    def area_for(self, permission: str) -> AreaFilter:
        return self.area

    def may(self, permission: str, path: AreaPath) -> bool:
        return self.can(permission) and self.area.allows(path)


def test_a_case_outside_the_readers_area_is_named_without_its_id(client: TestClient,
                                                                 db: Session):
    city = tiny_city(db)
    upload(client, positives(city))
    tubes = {code: testing_service.tube_id_of(db, code=code) for code in ("TS1", "TS2")}
    # Li Na lives in Willow Court, Wang Fang in Pine Court.
    pine = OnlyPine(city.residents["wang_fang"].community_id)
    found = cases_deps.record_links(db, caller=pine, kind="tube", ids=list(tubes.values()))
    [li_na] = found[tubes["TS1"]]
    assert (li_na.label, li_na.id, li_na.href) == ("a case outside your area", None, None)
    [wang_fang] = found[tubes["TS2"]]
    assert wang_fang.href is not None and wang_fang.label == f"case {wang_fang.id}"
    assert cases_deps.record_links(db, caller=pine, kind="case", ids=[1]) == {}
