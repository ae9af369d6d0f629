"""People and places JSON API: status codes, problem+json, content."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import tiny_city

PROBLEM = "application/problem+json"


def test_search(client: TestClient, db: Session):
    tiny_city(db)
    r = client.get("/api/people", params={"q": "wang xiu"})
    assert r.status_code == 200
    body = r.json()
    assert body["mode"] == "name_latin"
    assert body["has_more"] is False
    assert [p["name"] for p in body["items"]] == ["王秀兰", "王秀英"]
    first = body["items"][0]
    assert set(first) == {"id", "name", "name_latin", "sex", "age", "community",
                          "household_id", "flags"}
    assert first["flags"] == ["pregnant"]
    assert first["community"]["name"] == "Willow Court"


def test_search_pages(client: TestClient, db: Session):
    tiny_city(db)
    first = client.get("/api/people", params={"q": "王", "limit": 2}).json()
    assert first["has_more"] is True
    rest = client.get("/api/people", params={"q": "王", "limit": 2, "offset": 2}).json()
    assert rest["has_more"] is False
    names = [p["name"] for p in first["items"] + rest["items"]]
    assert sorted(names) == sorted(["王芳", "王伟", "王秀兰", "王秀英"])
    assert len(set(names)) == 4


def test_search_by_phone_and_id_number(client: TestClient, db: Session):
    t = tiny_city(db)
    r = client.get("/api/people", params={"q": "13900000003"})
    assert [p["name"] for p in r.json()["items"]] == ["李娜"]
    zhao = t.residents["zhao_lei"]
    r = client.get("/api/people", params={"q": zhao.id_number})
    assert r.json()["mode"] == "id_number"
    assert [p["id"] for p in r.json()["items"]] == [zhao.id]


def test_search_parameters_are_validated(client: TestClient):
    for params in [{}, {"q": ""}, {"q": "w", "limit": 0}, {"q": "w", "limit": 101},
                   {"q": "w", "offset": -1}, {"q": "w", "offset": 1001},
                   {"q": "w", "limit": "many"}, {"q": "x" * 65}]:
        r = client.get("/api/people", params=params)
        assert r.status_code == 422, params
        assert r.headers["content-type"] == PROBLEM
        problem = r.json()
        assert problem["status"] == 422
        assert problem["title"] == "Invalid input"
        assert problem["errors"]


def test_person(client: TestClient, db: Session):
    t = tiny_city(db)
    xiulan = t.residents["wang_xiulan"]
    r = client.get(f"/api/people/{xiulan.id}")
    assert r.status_code == 200
    body = r.json()
    assert body["id_number"] == xiulan.id_number
    assert body["address"]["label_local"].endswith("1号楼1单元101室")
    assert [m["name"] for m in body["household_members"]] == ["王秀英", "王伟"]
    assert body["work_groups"][0]["workplace"] == "Tinyville Textile Mill"
    assert body["flags"] == ["pregnant"]
    assert body["households"] == [{
        "household_id": xiulan.household_id, "address": body["address"]["label"],
        "start_date": "1988-06-15", "end_date": None}]


def test_unknown_resident_is_a_problem(client: TestClient, db: Session):
    tiny_city(db)
    r = client.get("/api/people/999999")
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM
    problem = r.json()
    assert problem["title"] == "Not found"
    assert problem["detail"] == "resident 999999 not found"
    assert problem["kind"] == "resident"
    assert problem["id"] == 999999
    assert problem["instance"] == "/api/people/999999"


def test_bad_ids_are_invalid_input(client: TestClient):
    for url in ["/api/people/abc", "/api/people/0", "/api/households/-3",
                "/api/places/buildings/99999999999"]:
        r = client.get(url)
        assert r.status_code == 422, url
        assert r.headers["content-type"] == PROBLEM


def test_household(client: TestClient, db: Session):
    t = tiny_city(db)
    r = client.get(f"/api/households/{t.households['alone'].id}")
    assert r.status_code == 200
    body = r.json()
    assert body["home_suitable"] is False
    assert body["flags"] == ["lives_alone", "elderly", "chronic_medication", "no_smartphone"]
    assert [m["name"] for m in body["members"]] == ["赵磊"]
    assert client.get("/api/households/999999").json()["detail"] == "household 999999 not found"


def test_community(client: TestClient, db: Session):
    t = tiny_city(db)
    r = client.get(f"/api/places/communities/{t.communities[0].id}")
    assert r.status_code == 200
    body = r.json()
    assert body["community"]["name"] == "Willow Court"
    assert [b["number"] for b in body["community"]["buildings"]] == [1, 2]
    assert body["households_by_building"] == {str(t.buildings[0].id): 6}
    assert body["venues"][0]["name"] == "Willow Market"
    r = client.get("/api/places/communities/999999")
    assert r.status_code == 404
    assert r.json()["kind"] == "community"


def test_building(client: TestClient, db: Session):
    t = tiny_city(db)
    r = client.get(f"/api/places/buildings/{t.buildings[0].id}")
    assert r.status_code == 200
    body = r.json()
    assert body["building"]["name"] == "Building 1"
    assert len(body["building"]["units"]) == 2
    assert sorted(h["members"] for h in body["households"]) == [0, 1, 2, 2, 2, 3]
    r = client.get("/api/places/buildings/999999")
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM


def test_signing_in_is_required(anon_client: TestClient, db: Session):
    t = tiny_city(db)
    for url in ["/api/people?q=wang", f"/api/people/{t.residents['li_na'].id}",
                f"/api/households/{t.households['li'].id}",
                f"/api/places/communities/{t.communities[0].id}",
                f"/api/places/buildings/{t.buildings[0].id}"]:
        r = anon_client.get(url)
        assert r.status_code == 401, url
        assert r.headers["content-type"] == PROBLEM


def test_reading_people_needs_the_permission(anon_client: TestClient, db: Session, bearer):  # type: ignore[no-untyped-def]
    t = tiny_city(db)
    anon_client.headers.update(bearer("audrey", ["auditor"]))
    r = anon_client.get(f"/api/people/{t.residents['li_na'].id}")
    assert r.status_code == 403
    assert r.headers["content-type"] == PROBLEM


def test_a_community_worker_sees_only_their_community(anon_client: TestClient, db: Session,
                                                     bearer):  # type: ignore[no-untyped-def]
    t = tiny_city(db)
    pine = t.communities[1]
    anon_client.headers.update(bearer("wen", ["community_worker"], "community", pine.id))
    found = anon_client.get("/api/people", params={"q": "wang"}).json()
    assert [p["name"] for p in found["items"]] == ["王芳"]
    assert anon_client.get(f"/api/people/{t.residents['wang_fang'].id}").status_code == 200
    outside = anon_client.get(f"/api/people/{t.residents['wang_xiulan'].id}")
    assert outside.status_code == 404
    assert outside.json()["detail"] == f"resident {t.residents['wang_xiulan'].id} not found"
    assert anon_client.get(f"/api/households/{t.households['wang'].id}").status_code == 404
    assert anon_client.get(f"/api/places/buildings/{t.buildings[0].id}").status_code == 404
    assert anon_client.get(f"/api/places/communities/{pine.id}").status_code == 200


def test_reads_of_personal_data_are_audited(client: TestClient, db: Session):
    from epidesk.auth import service as auth

    t = tiny_city(db)
    li = t.residents["li_na"]
    assert client.get(f"/api/people/{li.id}").status_code == 200
    client.get("/api/people", params={"q": "li"})
    client.get(f"/api/households/{li.household_id}")
    entries = auth.search_audit(db, username="test-admin")
    seen = {(e.action, e.record_type, e.record_id, e.person_id) for e in entries}
    assert ("read", "resident", str(li.id), li.id) in seen
    assert ("read", "resident_search", "li", None) in seen
    assert ("read", "household", str(li.household_id), None) in seen
