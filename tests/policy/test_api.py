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


def test_answers_name_preset_files_without_server_folders(
    anon_client: TestClient, write_preset, tmp_path, monkeypatch  # type: ignore[no-untyped-def]
) -> None:
    from epidesk.config import get_settings
    from epidesk.policy import service

    write_preset("local-rules")
    write_preset("broken", text="format = 1\ntitle = \n")
    monkeypatch.setenv("EPIDESK_PRESET_DIRS", f'["{tmp_path}"]')
    get_settings.cache_clear()
    folders = (str(tmp_path), str(service.SHIPPED_DIR))
    listed = anon_client.get("/api/policy/presets")
    files = {p["name"]: (p["file"], p["shipped"], p["error"]) for p in listed.json()}
    assert files["local-rules"] == ("local-rules.toml", False, None)
    assert files["cn-9th-2022"] == ("cn-9th-2022.toml", True, None)
    assert files["broken"][2].startswith("broken.toml: ")
    answers = [listed,
               anon_client.get("/api/policy/presets/local-rules"),
               anon_client.get("/api/policy/presets/broken"),
               anon_client.get("/policy"), anon_client.get("/policy/local-rules")]
    assert answers[1].json()["preset"]["file"] == "local-rules.toml"
    assert answers[2].status_code == 422 and answers[2].json()["file"] == "broken.toml"
    assert "local-rules.toml" in answers[4].text
    for answer in answers:
        assert not any(folder in answer.text for folder in folders), answer.url
