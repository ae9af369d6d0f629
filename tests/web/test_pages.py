"""The public landing page, the base layout, the API description and errors."""

from __future__ import annotations

from fastapi.testclient import TestClient

HTML = {"Accept": "text/html"}


def test_landing_page_is_public_light_and_accessible(anon_client: TestClient):
    r = anon_client.get("/", headers=HTML)
    assert r.status_code == 200
    html = r.text
    assert '<html lang="en">' in html
    assert '<a class="skip" href="#main">Skip to content</a>' in html
    assert '<main id="main"' in html
    assert '<nav class="main" aria-label="Main">' in html
    assert 'name="viewport"' in html
    assert "<h1" in html and html.count("<h1") == 1
    assert 'href="/docs"' in html
    assert "social-credit" not in html  # explained in plain words instead
    assert "no rewards for reporting neighbours" in html
    # nothing loaded from elsewhere: no CDN, no scripts at all
    assert "<script" not in html
    assert "http://" not in html and "https://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert len(html.encode()) < 20_000


def test_stylesheet_is_served_and_self_contained(anon_client: TestClient):
    r = anon_client.get("/static/epidesk.css")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/css")
    css = r.text
    assert "@import" not in css and "url(" not in css
    assert ".skip:focus" in css
    assert "@media" in css


def test_openapi_describes_the_browse_api(anon_client: TestClient):
    r = anon_client.get("/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for path in ["/api/people", "/api/people/{resident_id}", "/api/households/{household_id}",
                 "/api/places", "/api/places/districts", "/api/places/districts/{district_id}",
                 "/api/places/subdistricts/{subdistrict_id}",
                 "/api/places/communities/{community_id}", "/api/places/buildings/{building_id}"]:
        assert path in paths, path
    not_found = paths["/api/people/{resident_id}"]["get"]["responses"]["404"]
    assert "application/problem+json" in not_found["content"]
    assert "/people" not in paths  # pages stay out of the API description


def test_docs_page(anon_client: TestClient):
    r = anon_client.get("/docs")
    assert r.status_code == 200
    assert "openapi.json" in r.text


def test_unknown_api_route_is_a_problem(anon_client: TestClient):
    r = anon_client.get("/api/no/such/thing")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    body = r.json()
    assert body["status"] == 404
    assert body["title"] == "Not found"
    assert body["instance"] == "/api/no/such/thing"


def test_unknown_page_is_an_error_page_in_the_layout(anon_client: TestClient):
    r = anon_client.get("/no/such/page", headers=HTML)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in r.text
    assert 'href="#main"' in r.text


def test_landing_page_shows_the_last_seven_days_city_wide(anon_client: TestClient, db):  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from epidesk.cases import service as cases
    from tests.factories import tiny_city
    from tests.testing.batches import csv_bytes, single

    city = tiny_city(db)
    yesterday = datetime.now(UTC) - timedelta(days=1)
    collected = yesterday.replace(hour=1, minute=0, second=0, microsecond=0)
    when = {"collected": collected.isoformat(),
            "result": (collected + timedelta(hours=8)).isoformat()}
    ids = [r.id for r in city.residents.values()][:3]
    rows = [single("L1", ids[0], outcome="positive", ct=(22, 23), **when),
            single("L2", ids[1], outcome="positive", ct=(22, 23), onset_date=(
                collected.date() - timedelta(days=1)).isoformat(), **when),
            single("L3", ids[2], outcome="positive", ct=(25, 26), imported="true", **when)]
    assert cases.ingest_results(db, content=csv_bytes(rows), filename="landing.csv",
                                received_by="test").accepted
    html = anon_client.get("/", headers=HTML).text
    section = html[html.index('id="figures"'):html.index('id="what"')]
    day = (collected + timedelta(hours=8)).date().isoformat()
    row = section[section.index(f'<th scope="row">{day}</th>'):]
    row = row[:row.index("</tr>")]
    cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
    # One confirmed (with symptoms), two asymptomatic, one of the three imported.
    assert cells[:3] == ["1", "2", "1"], cells
    assert section.count('<th scope="row">') == 7
    # Only city-wide figures: no district and no resident appears.
    assert all(r.name_latin not in section for r in city.residents.values())
    assert all(d.name not in section for d in city.districts)
