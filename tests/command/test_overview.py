"""The command centre: every domain's tiles for the reader's area, API and page."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.kit import clock
from tests.tracing.helpers import Scene, add_case, scene

DAY = date(2026, 11, 20)


@pytest.fixture
def s(client: TestClient, db: Session) -> Scene:
    made = scene(db)
    add_case(db, made.city, "zhao_lei", sampling=date(2026, 11, 19), isolation=None,
             onset=date(2026, 11, 18))
    assert client.post("/api/tracing/runs", json={}).status_code == 201
    return made


def tiles(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["key"]: t for t in body["tiles"]}


def test_the_overview_counts_the_cases_of_the_day_and_the_contacts(
        client: TestClient, s: Scene) -> None:
    body = client.get("/api/overview", params={"day": DAY.isoformat()}).json()
    assert body["day"] == "2026-11-20"
    shown = tiles(body)
    curve = shown["cases.curve"]["data"]
    assert curve["days"][-1] == "2026-11-20" and len(curve["days"]) == 28
    # The scene's two cases: both reported on their sampling day (20 and 19 November).
    assert curve["reported"][-1] == 1 and curve["reported"][-2] == 1
    assert curve["sampled"][-1] == 1 and curve["sampled"][-2] == 1
    assert curve["confirmed"][-2] == 1 and curve["asymptomatic"][-1] == 1
    today = shown["cases.map"]["data"]["communities"]
    assert [c["cases"] for c in today] == [1]
    assert today[0]["id"] == s.city.residents["wang_xiulan"].community_id
    follow = shown["tracing.follow_up"]["data"]
    assert follow["close"] >= 5 and follow["sub_close"] >= 1
    assert shown["testing.rejected"]["data"] == {"rejected": 0}
    assert all(t["link"].startswith("/") for t in body["tiles"])


def test_a_reader_limited_to_another_community_sees_none_of_these_cases(
        anon_client: TestClient, bearer, s: Scene) -> None:  # type: ignore[no-untyped-def]
    homes = {s.city.residents[k].community_id for k in ("wang_xiulan", "zhao_lei")}
    elsewhere = next(c.id for c in s.city.communities if c.id not in homes)
    reader = bearer("epi", ["epidemiologist"], "community", elsewhere)
    body = anon_client.get("/api/overview", params={"day": DAY.isoformat()},
                           headers=reader).json()
    curve = tiles(body)["cases.curve"]["data"]
    assert sum(curve["reported"]) == 0 and curve["area"] == "your area"
    assert tiles(body)["cases.map"]["data"]["communities"] == []


def test_a_reader_without_medical_permission_sees_no_figures(
        anon_client: TestClient, bearer, s: Scene) -> None:  # type: ignore[no-untyped-def]
    # A community worker sees the supplies they deliver and the home checks they do,
    # and no medical figure.
    worker = bearer("worker", ["community_worker"])
    tiles = anon_client.get("/api/overview", headers=worker).json()["tiles"]
    assert {t["key"] for t in tiles if not t["key"].startswith("supplies.")} <= {
        "quarantine.monitoring"}
    auditor = bearer("auditor-1", ["auditor"])
    assert anon_client.get("/api/overview", headers=auditor).json()["tiles"] == []
    page = anon_client.get("/overview", headers={**auditor, "accept": "text/html"})
    assert page.status_code == 200 and "Nothing to show" in page.text


def test_the_page_has_each_chart_with_its_numbers_as_a_table(client: TestClient,
                                                             s: Scene) -> None:
    page = client.get("/overview", params={"day": DAY.isoformat()},
                      headers={"accept": "text/html"})
    assert page.status_code == 200
    for marker in ('id="chart-cases-curve"', 'id="chart-testing-days"', 'id="map-cases-today"',
                   'aria-label="New cases per day"', '/assets/chart.js/dist/chart.umd.min.js',
                   '/static/overview.js', 'type="application/json" id="overview-data"'):
        assert marker in page.text, marker
    assert '<a href="/cases/bulletin?day=2026-11-20">2026-11-20</a>' in page.text


def test_without_a_day_the_overview_opens_on_the_latest_day_with_data(
        client: TestClient, s: Scene) -> None:
    # The scene's cases were reported on 19 and 20 November; nothing since.
    today = clock.city_today()
    body = client.get("/api/overview").json()
    assert (body["day"], body["shown"], body["today"]) == (
        "2026-11-20", "latest_with_data", today.isoformat())
    assert body["label"] == (f"the latest day with data (today, {today.isoformat()}, "
                             "has none yet)")
    assert tiles(body)["cases.curve"]["data"]["days"][-1] == "2026-11-20"
    page = client.get("/overview", headers={"accept": "text/html"})
    assert 'id="shown-day" data-kind="latest_with_data"' in page.text
    assert "Showing 2026-11-20: the latest day with data" in page.text
    asked = client.get("/api/overview", params={"day": "2026-11-19"}).json()
    assert (asked["day"], asked["shown"]) == ("2026-11-19", "chosen")


def test_the_overview_shows_today_when_today_has_data(client: TestClient, db: Session,
                                                      s: Scene) -> None:
    today = clock.city_today()
    add_case(db, s.city, "zhang_min", sampling=today, isolation=None)
    body = client.get("/api/overview").json()
    assert (body["day"], body["shown"], body["label"]) == (today.isoformat(), "today", "today")
