"""The public pages in headless Chromium: a resident checks a place they visited, every
public page passes axe-core (no serious or critical violation) and fits a 390 px phone,
the landing page's first load is small, and only map pages load the map library."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[3] / "node_modules" / "axe-core" / "axe.min.js"
PUBLIC_PAGES = ("/public", "/public/districts", "/public/changes", "/public/snapshots",
                "/public/data", "/public/trajectories", "/public/trajectories/map",
                "/zones", "/zones/lookup")
MAP_PAGES = {"/public/trajectories/map", "/zones"}
LANDING_BUDGET = 300 * 1024


def _publish_in_live_city(url: str) -> dict[str, Any]:
    """Three cases in the live city, two days ago, each at a venue with a visitor nobody
    has traced; then the day's publication. Committed once."""
    from epidesk import db as dbmod
    from epidesk.cases.models import CaseEpisode
    from epidesk.geography.models import Community, Subdistrict
    from epidesk.kit import clock
    from epidesk.people.models import Resident, Venue
    from epidesk.tracing.models import VenueVisit
    from epidesk.transparency import deps
    from epidesk.transparency.trajectories import service

    today = clock.city_today()
    sampled = today - timedelta(days=2)
    engine = dbmod.make_engine(url)
    try:
        with dbmod.session_scope(dbmod.sessionmaker(bind=engine)) as session:
            venue = session.scalars(select(Venue).order_by(Venue.id)).first()
            assert venue is not None
            people = session.execute(
                select(Resident, Subdistrict.district_id)
                .join(Community, Community.id == Resident.community_id)
                .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
                .order_by(Resident.id.desc()).limit(6)).all()
            visited = datetime.combine(today - timedelta(days=3), time(10), clock.city_zone())
            # Another module may have published the live city's trajectories already:
            # what matters is whether this venue's entries are among them.
            _, entries = service.shown(session, today=today)
            if not any((e.place_kind, e.place_id) == ("venue", venue.id) for e in entries):
                now = datetime.now(UTC)
                for n, (person, district) in enumerate(people[:3]):
                    session.add(CaseEpisode(
                        resident_id=person.id, classification="asymptomatic",
                        status="active", sampling_date=sampled, isolation_date=sampled,
                        reported_on=sampled, diagnosed_at=now, recorded_at=now,
                        asymptomatic_on=sampled, district_id=district,
                        community_id=person.community_id, imported=False))
                    start = visited + timedelta(hours=3 * n)
                    for who in (person, people[3 + n][0]):
                        session.add(VenueVisit(resident_id=who.id, venue_id=venue.id,
                                               started_at=start,
                                               ended_at=start + timedelta(hours=1),
                                               log_id=None))
                session.flush()
                deps.publish(session, actor="test", day=today)
            return {"venue": venue.name, "venue_id": venue.id, "visited": visited.date(),
                    "today": today}
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def published(live_database: str, live_server: str) -> dict[str, Any]:
    """The live city with trajectories and a publication of today's figures."""
    return _publish_in_live_city(live_database)


def test_a_resident_finds_the_place_they_visited(anon_page: Any, live_server: str,
                                                  published: dict[str, Any]) -> None:
    page = anon_page
    page.goto(f"{live_server}/public/trajectories")
    page.fill("#q", published["venue"][:6])
    page.fill("#on", published["visited"].isoformat())
    page.click("form.search button[type=submit]")
    page.wait_for_load_state()
    answer = page.text_content("#answer") or ""
    assert "match" in answer
    rows = page.locator("tbody tr")
    assert rows.count() == 3
    assert published["venue"] in (rows.first.text_content() or "")
    assert page.locator("#if-you-were-there").is_visible()
    # Another day: nothing matches, and the page says what that means.
    page.fill("#on", (published["visited"] - timedelta(days=9)).isoformat())
    page.click("form.search button[type=submit]")
    page.wait_for_load_state()
    assert "No published place matches" in (page.text_content("#answer") or "")


def test_a_resident_picks_the_place_on_the_map(anon_page: Any, live_server: str,
                                               published: dict[str, Any]) -> None:
    page = anon_page
    page.goto(f"{live_server}/public/trajectories/map")
    # Other modules may have published more places in the shared live city: the map
    # draws them all, and this test picks its own venue.
    page.wait_for_selector("#trajectories-map[data-drawn]:not([data-drawn='0'])")
    venue = page.locator(f"#pick input[name=place][value='venue:{published['venue_id']}']")
    venue.wait_for(state="attached")
    venue.check()
    assert venue.is_checked()
    page.click("#pick button[type=submit]")
    page.wait_for_load_state()
    assert "/public/trajectories?place=venue" in page.url
    assert page.locator("tbody tr").count() == 3


def test_a_resident_downloads_the_trajectories_and_reads_them(anon_page: Any,
                                                              live_server: str,
                                                              published: dict[str, Any]
                                                              ) -> None:
    page = anon_page
    page.goto(f"{live_server}/public/trajectories")
    with page.expect_download() as download:
        page.click("a[href='/public/trajectories.json']")
    rows = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))["rows"]
    # Other modules may have published more of the live city's places beside the venue.
    assert published["venue"] in {r["name"] for r in rows}
    assert all(date.fromisoformat(r["expires_on"]) > published["today"] for r in rows)


def _axe(page: Any) -> list[dict[str, Any]]:
    # Evaluated by the browser's debugging protocol: the page's Content-Security-Policy
    # (no inline script) stays in force.
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    found = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact,
            nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [v for v in found if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
@pytest.mark.parametrize("language", ["en", "zh"])
def test_every_public_page_passes_axe_and_fits_a_phone(browser: Any, live_server: str,
                                                       published: dict[str, Any], path: str,
                                                       language: str) -> None:
    assert AXE.is_file(), "axe-core is missing: run make assets"
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844},
                                  locale="zh-CN" if language == "zh" else "en-GB")
    try:
        page = context.new_page()
        scripts: list[str] = []
        page.on("request", lambda r: scripts.append(r.url))
        answer = page.goto(f"{live_server}{path}")
        assert answer is not None and answer.status == 200, path
        page.wait_for_load_state("networkidle")
        assert _axe(page) == [], path
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide at 390"
        leaflet = any("/assets/leaflet/" in u for u in scripts)
        assert leaflet == (path in MAP_PAGES), path
    finally:
        context.close()


def test_the_landing_page_loads_under_300_kb_compressed(browser: Any, live_server: str,
                                                        published: dict[str, Any]) -> None:
    context = browser.new_context(base_url=live_server)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        sizes: dict[str, int] = {}
        encodings: dict[str, str] = {}
        urls: dict[str, str] = {}

        def received(event: dict[str, Any]) -> None:
            headers = {k.lower(): v for k, v in event["response"]["headers"].items()}
            encodings[event["requestId"]] = headers.get("content-encoding", "")
            urls[event["requestId"]] = event["response"]["url"]

        cdp.on("Network.responseReceived", received)
        cdp.on("Network.loadingFinished",
               lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])))
        page.goto(f"{live_server}/public", wait_until="networkidle")
        total = sum(sizes.values())
        print(f"landing first load: {total} bytes in {len(sizes)} responses")
        assert sizes and total < LANDING_BUDGET, (total, {urls.get(k): v for k, v in
                                                          sizes.items()})
        # The page itself and its scripts come compressed.
        assert any(urls.get(k, "").endswith("/public") and encodings[k] == "gzip"
                   for k in encodings), encodings
        assert not any("/assets/leaflet/" in u for u in urls.values())
    finally:
        context.close()
