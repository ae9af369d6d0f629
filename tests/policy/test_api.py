"""JSON routes of the policy domain (few: each runs on both database backends)."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_list_and_get_a_preset(client: TestClient) -> None:
    listed = client.get("/api/policy/presets")
    assert listed.status_code == 200
    names = [p["name"] for p in listed.json()]
    assert names == ["cn-9th-2022", "cn-20-measures-2022", "cn-10-measures-2022"]
    one = client.get("/api/policy/presets/cn-20-measures-2022")
    assert one.status_code == 200
    body = one.json()
    close = body["preset"]["quarantine"]["categories"]["close_contact"]
    assert [s["days"] for s in close["stages"]] == [5, 3]
    assert close["stages"][1]["test_days"] == [1, 3]
    assert "contacts.close_settings" in body["unconfirmed"]


def test_unknown_preset_is_a_problem(client: TestClient) -> None:
    response = client.get("/api/policy/presets/cn-11th")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["title"] == "Unknown protocol preset"
    assert "cn-11th" in problem["detail"]


def test_diff(client: TestClient) -> None:
    pair = {"a": "cn-9th-2022", "b": "cn-10-measures-2022"}
    response = client.get("/api/policy/diff", params=pair)
    assert response.status_code == 200
    rows = {d["path"]: d for d in response.json()["differences"]}
    assert rows["cases.isolation.place"] == {
        "path": "cases.isolation.place", "a": "centralized", "b": "home", "in_a": True, "in_b": True
    }
    assert rows["zoning.levels.medium.label"]["in_b"] is False
    missing = client.get("/api/policy/diff", params={"a": "cn-9th-2022"})
    assert missing.status_code == 422


def test_presets_are_public(anon_client: TestClient) -> None:
    r = anon_client.get("/api/policy/presets")
    assert r.status_code == 200
    assert "cn-9th-2022" in {p["name"] for p in r.json()}
