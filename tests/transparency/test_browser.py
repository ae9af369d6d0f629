"""The public pages in headless Chromium as a resident uses them: the charts drawn with
the platform's own Chart.js, tables that scroll inside their box on a 390 px phone, and a
day's open data downloaded and read."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def _publish(url: str) -> str:
    """Publish today in the live database (once; again is a no-op); the day published."""
    from epidesk import db as dbmod
    from epidesk.transparency.deps import publish

    engine = dbmod.make_engine(url)
    try:
        with dbmod.session_scope(dbmod.sessionmaker(bind=engine)) as session:
            return publish(session, actor="test").publication.day.isoformat()
    finally:
        engine.dispose()


def test_a_resident_downloads_a_days_open_data_and_reads_it(
        anon_page: Any, live_server: str, live_database: str, tmp_path: Path) -> None:
    day = _publish(live_database)
    anon_page.goto(f"{live_server}/public/data")
    assert anon_page.locator("h1").inner_text() in ("Open data", "开放数据")
    link = anon_page.locator(f"a[href$='/zones_city_daily_{day}.csv']")
    with anon_page.expect_download() as download:
        link.click()
    saved = tmp_path / "zones.csv"
    download.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert rows and {r["day"] for r in rows} == {day}
    assert {"level", "zones", "residents", "households"} <= set(rows[0])
    assert all(r["zones"].isdigit() for r in rows)
    with anon_page.expect_download() as dictionary:
        anon_page.locator("a[href$='/dictionary.csv']").click()
    words = dictionary.value.path().read_text(encoding="utf-8")
    assert "zones_city_daily,residents,count" in words


def test_the_landing_page_draws_its_charts_without_errors(anon_page: Any, live_server: str,
                                                          live_database: str) -> None:
    _publish(live_database)
    problems: list[str] = []
    anon_page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    anon_page.on("pageerror", lambda e: problems.append(str(e)))
    anon_page.goto(f"{live_server}/language?to=en&next=/public")
    anon_page.wait_for_selector("canvas[data-drawn]")
    assert anon_page.locator("canvas[data-drawn]").count() >= 1
    assert anon_page.locator("table caption").count() >= 1
    anon_page.click("text=中文")
    assert "公开数字" in anon_page.inner_text("header")
    assert problems == []


@pytest.mark.parametrize("path", ["/public", "/public/districts", "/public/data",
                                  "/public/changes", "/public/snapshots"])
def test_no_table_is_clipped_on_a_phone(browser: Any, live_server: str, live_database: str,
                                        path: str) -> None:
    _publish(live_database)
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.goto(f"{live_server}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{path} is {width} px wide"
        clipped = page.evaluate("""() => [...document.querySelectorAll('table')].filter(t => {
            const box = t.closest('.table-wrap');
            if (!box) { return true; }
            const style = getComputedStyle(box);
            return t.scrollWidth > box.clientWidth && style.overflowX !== 'auto'
                && style.overflowX !== 'scroll';
        }).length""")
        assert clipped == 0
    finally:
        context.close()


def test_an_administrator_publishes_from_the_staff_page(page: Any, live_server: str,
                                                        live_database: str) -> None:
    day = _publish(live_database)
    page.goto(f"{live_server}/language?to=en&next=/transparency")
    page.fill("#publish-day", day)
    page.click("button:has-text('Publish now')")
    page.wait_for_selector("p.notice")
    assert f"{day} unchanged since version" in page.inner_text("p.notice")
    assert page.locator(f"table a[href='/public/snapshots/{day}']").count() >= 1
