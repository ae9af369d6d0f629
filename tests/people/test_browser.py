"""The people and places browser in headless Chromium against the live synthetic city."""

from __future__ import annotations

import re
import string
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def a_resident_findable_by_prefix(page: Any, base: str) -> tuple[dict[str, Any], str]:
    """A real resident of the live city and a name prefix that lists them on page one."""
    for letter in string.ascii_lowercase:
        found = page.request.get(f"{base}/api/people", params={"q": letter, "limit": 5}).json()
        for person in found["items"]:
            full = person["name_latin"].lower()
            prefix = full[: max(3, len(full) - 2)]
            check = page.request.get(f"{base}/api/people",
                                     params={"q": prefix, "limit": 25}).json()
            if any(p["id"] == person["id"] for p in check["items"]):
                return person, prefix
    raise AssertionError("the live city has no resident findable by name")


def test_find_a_resident_then_household_then_community_map(page: Any, live_server: str):
    person, prefix = a_resident_findable_by_prefix(page, live_server)
    page.goto(f"{live_server}/people")
    page.get_by_label("Name, id number, resident id or phone").fill(prefix)
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"/people\?q="))
    assert page.locator("h2#results").is_visible()

    page.locator(f'table a[href="/people/{person["id"]}"]').first.click()
    page.wait_for_url(f"{live_server}/people/{person['id']}")
    assert person["name"] in page.locator("h1").inner_text()
    assert page.get_by_role("heading", name="Personal data").is_visible()

    page.get_by_role("link", name="Open the household").click()
    page.wait_for_url(re.compile(rf"/households/{person['household_id']}$"))
    assert page.locator("h1").inner_text().startswith("Household at flat")
    assert page.locator(f'a[href="/people/{person["id"]}"]').count() == 1

    crumbs = page.get_by_role("navigation", name="Breadcrumb")
    crumbs.get_by_role("link", name=person["community"]["name"]).click()
    page.wait_for_url(f"{live_server}/places/communities/{person['community']['id']}")
    svg = page.locator("figure.map svg")
    assert svg.is_visible()
    buildings = svg.locator("a")
    assert buildings.count() >= 1
    box = svg.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 100

    buildings.first.click()
    page.wait_for_url(re.compile(r"/places/buildings/\d+$"))
    assert page.locator("h1").inner_text().startswith("Building")


def test_browse_places_down_the_tree(page: Any, live_server: str):
    page.goto(f"{live_server}/places")
    assert page.get_by_role("heading", name="Districts").is_visible()
    page.locator('table a[href^="/places/districts/"]').first.click()
    page.wait_for_url(re.compile(r"/places/districts/\d+$"))
    page.locator('table a[href^="/places/subdistricts/"]').first.click()
    page.wait_for_url(re.compile(r"/places/subdistricts/\d+$"))
    page.locator('table a[href^="/places/communities/"]').first.click()
    page.wait_for_url(re.compile(r"/places/communities/\d+$"))
    assert page.locator("figure.map svg polygon.outline").count() == 1
    page.locator('table a[href^="/places/buildings/"]').first.click()
    page.wait_for_url(re.compile(r"/places/buildings/\d+$"))
    page.locator('a[href^="/households/"]').first.click()
    page.wait_for_url(re.compile(r"/households/\d+$"))
    assert page.get_by_role("heading", name="Members").is_visible()
    # and back up: the breadcrumb leads to the city overview
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link").first.click()
    page.wait_for_url(f"{live_server}/places")


def test_skip_link_moves_focus_to_the_content(page: Any, live_server: str):
    page.goto(f"{live_server}/places")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("el => el === document.activeElement")
    assert skip.is_visible()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_landing_page_in_a_small_screen(anon_page: Any, live_server: str):
    anon_page.set_viewport_size({"width": 360, "height": 740})
    anon_page.goto(f"{live_server}/")
    assert anon_page.locator("h1").is_visible()
    width = anon_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360
    assert anon_page.get_by_role("link", name="Open API").is_visible()
