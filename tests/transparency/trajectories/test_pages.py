"""The public trajectory pages and API: search by name, day and place; two languages;
bad input refused by name; nothing that names a person."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.kit import clock
from epidesk.transparency.trajectories import service
from tests.transparency.trajectories.scene import DAY, Trajectories, at, trajectories


@pytest.fixture
def published(db: Session, monkeypatch: pytest.MonkeyPatch) -> Iterator[Trajectories]:
    """Three cases at Willow Market on two days and a home building, published for DAY;
    the pages are read on DAY."""
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 11, 22, 4, 0, tzinfo=UTC))
    scene = trajectories(db)
    home = scene.city.buildings[0]
    scene.zone("unit", building=home.id, community=home.community_id)
    scene.visit("wang_fang", at(20, 18), at(20, 19))
    scene.visit("zhao_lei", at(20, 18, 30), at(20, 19, 30))
    done = service.publish(db, day=DAY)
    assert not done.withheld and len(done.entries) == 3
    yield scene


@pytest.mark.usefixtures("published")
def test_search_by_name_finds_the_place_and_says_what_to_do(anon_client: TestClient) -> None:
    page = anon_client.get("/public/trajectories", params={"q": "market"})
    assert page.status_code == 200
    assert page.text.count('data-place="venue:') == 2
    assert "2026-11-19 10:00" in page.text and "2026-11-19 11:00" in page.text
    assert "If you were there at that time" in page.text
    assert "12345" in page.text
    nothing = anon_client.get("/public/trajectories", params={"q": "Nowhere Plaza"})
    assert "No published place matches your search" in nothing.text
    assert "If you were there at that time" not in nothing.text


@pytest.mark.usefixtures("published")
def test_search_by_day_and_by_place(anon_client: TestClient, published: Trajectories) -> None:
    on_20 = anon_client.get("/public/trajectories", params={"on": "2026-11-20"})
    # The market on the 20th, and the home building whose window spans the day.
    assert on_20.text.count("data-place=") == 2
    assert "2026-11-20 18:00" in on_20.text and "2026-11-19 10:00" not in on_20.text
    home = published.city.buildings[0].id
    picked = anon_client.get("/public/trajectories", params={"place": f"building:{home}"})
    assert picked.text.count("data-place=") == 1
    assert "Willow Court, building 1" in picked.text


@pytest.mark.usefixtures("published")
def test_no_person_shows_on_the_pages(anon_client: TestClient, published: Trajectories
                                      ) -> None:
    for path in ("/public/trajectories", "/public/trajectories/map",
                 "/api/public/trajectories"):
        body = anon_client.get(path).text
        for person in published.city.residents.values():
            assert person.name not in body and person.name_latin not in body
            assert person.id_number is None or person.id_number not in body
        for case in published.cases.values():
            assert f'"case_id": {case.id}' not in body


@pytest.mark.usefixtures("published")
def test_the_pages_in_chinese(anon_client: TestClient) -> None:
    page = anon_client.get("/public/trajectories", headers={"accept-language": "zh"})
    assert "柳园小区1号楼" in page.text
    assert '<html lang="zh-Hans"' in page.text or 'lang="zh' in page.text
    assert "如果您当时在那里" in page.text


@pytest.mark.usefixtures("published")
def test_the_map_page_alone_loads_the_map_library(anon_client: TestClient,
                                                  published: Trajectories) -> None:
    listing = anon_client.get("/public/trajectories")
    assert "leaflet" not in listing.text
    page = anon_client.get("/public/trajectories/map")
    assert page.status_code == 200
    assert "/assets/leaflet/dist/leaflet.js" in page.text
    assert f'value="venue:{published.market}"' in page.text
    # One box per place, however many windows it has.
    assert page.text.count(f'value="venue:{published.market}"') == 1


@pytest.mark.usefixtures("published")
def test_the_api_lists_places_and_windows(anon_client: TestClient) -> None:
    answer = anon_client.get("/api/public/trajectories", params={"q": "willow"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["published_on"] == "2026-11-22" and body["days_kept"] == 14
    assert [e["place_kind"] for e in body["entries"]] == ["building", "venue", "venue"]
    assert set(body["entries"][0]) == {
        "place_kind", "place_id", "district_id", "name", "name_local", "lat", "lon",
        "starts_at", "ends_at", "last_day", "expires_on"}


@pytest.mark.parametrize("params,field", [
    ({"place": "resident:3"}, "place"), ({"place": "venue:0"}, "place"),
    ({"on": "2026-13-01"}, "on"), ({"q": "x" * 101}, "q"),
])
@pytest.mark.usefixtures("published")
def test_bad_input_is_refused_naming_the_field(anon_client: TestClient,
                                               params: dict[str, str], field: str) -> None:
    answer = anon_client.get("/api/public/trajectories", params=params)
    assert answer.status_code == 422
    assert field in answer.text
    page = anon_client.get("/public/trajectories", params=params)
    assert page.status_code == 422


def test_before_any_publication_the_page_says_so(anon_client: TestClient) -> None:
    page = anon_client.get("/public/trajectories")
    assert page.status_code == 200 and "No places have been published yet" in page.text
    assert anon_client.get("/api/public/trajectories").json()["published_on"] is None


@pytest.mark.usefixtures("published")
def test_the_open_data_files_hold_what_is_shown(anon_client: TestClient,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    csv_file = anon_client.get("/public/trajectories.csv")
    assert csv_file.status_code == 200 and csv_file.headers["content-type"].startswith("text/csv")
    lines = csv_file.text.splitlines()
    assert lines[0] == ",".join(service.FILE_COLUMNS) and len(lines) == 4
    as_json = anon_client.get("/public/trajectories.json").json()
    assert len(as_json["rows"]) == 3
    # On 2026-12-03 the entry of 2026-11-19 has expired: gone from the files too.
    monkeypatch.setattr(clock, "now", lambda: datetime(2026, 12, 3, 4, 0, tzinfo=UTC))
    assert len(anon_client.get("/public/trajectories.json").json()["rows"]) == 2
    assert "2026-11-19" not in anon_client.get("/public/trajectories.csv").text
    assert anon_client.get("/public/trajectories.xml").status_code in (404, 422)
