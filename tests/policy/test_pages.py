"""Pages of the policy domain: server-rendered, readable without colour or JavaScript."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


def test_preset_pages(client: TestClient) -> None:
    listing = client.get("/policy")
    assert listing.status_code == 200
    assert '<a href="/policy/cn-10-measures-2022">cn-10-measures-2022</a>' in listing.text
    assert "<caption>3 presets</caption>" in listing.text

    page = client.get("/policy/cn-10-measures-2022")
    assert page.status_code == 200
    html = page.text
    assert "<h1>The 10 measures: further optimised COVID-19 prevention and control</h1>" in html
    assert "7 values are unconfirmed" in html
    assert '<span class="flag">Unconfirmed</span> check against the original text' in html
    assert '<h2 id="section-zoning">Risk zones</h2>' in html
    assert "<caption>Quarantine: " in html and '<th scope="col">Source</th>' in html
    assert "compound, community, subdistrict" in html
    assert "5 days home quarantine (centralized quarantine if the home is unsuitable)" in html


def test_diff_page(client: TestClient) -> None:
    form = client.get("/policy/diff")
    assert form.status_code == 200
    assert '<label for="diff-a">First preset</label>' in form.text
    page = client.get("/policy/diff", params={"a": "cn-9th-2022", "b": "cn-20-measures-2022"})
    assert page.status_code == 200
    assert "values differ between cn-9th-2022 and cn-20-measures-2022" in page.text
    assert "<code>quarantine.categories.close_contact.stages[0].days</code>" in page.text


def test_unknown_preset_page(client: TestClient) -> None:
    response = client.get("/policy/cn-11th", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert "unknown preset &#39;cn-11th&#39;" in response.text


@pytest.mark.browser
def test_browse_presets_in_chromium(page, live_server: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{live_server}/policy")
    page.get_by_role("link", name="cn-10-measures-2022").click()
    assert page.get_by_role("heading", level=1).inner_text().startswith("The 10 measures")
    row = page.locator("tr", has=page.locator("code", has_text="step_down.high_lifted"))
    assert "Unconfirmed" in row.inner_text()
    page.get_by_role("link", name="Protocol presets").first.click()
    page.get_by_role("link", name="Compare two presets").click()
    page.get_by_label("First preset").select_option("cn-9th-2022")
    page.get_by_label("Second preset").select_option("cn-10-measures-2022")
    page.get_by_role("button", name="Compare").click()
    table = page.get_by_role("table")
    assert "values differ between cn-9th-2022 and cn-10-measures-2022" in table.inner_text()
    assert "quarantine.categories.close_contact.stages[0].days" in table.inner_text()
