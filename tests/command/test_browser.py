"""The command centre in headless Chromium: its charts and its map are drawn, from the
platform's own copies of the libraries, under the Content-Security-Policy."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_the_overview_draws_its_charts_and_map(page: Any, live_server: str) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(f"{live_server}/overview")
    page.wait_for_selector("#chart-cases-curve[data-drawn=true]")
    page.wait_for_selector("#chart-testing-days[data-drawn=true]")
    page.wait_for_selector("#map-cases-today.leaflet-container[data-drawn=true]")
    for chart in ("#chart-cases-curve", "#chart-testing-days"):
        box = page.locator(chart).bounding_box()
        assert box and box["width"] > 100 and box["height"] > 100, chart
        # Something was painted: the canvas is not blank.
        painted = page.evaluate(
            """(sel) => { const c = document.querySelector(sel);
                          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                          for (let i = 3; i < d.length; i += 4) { if (d[i] > 0) return true; }
                          return false; }""", chart)
        assert painted, chart
    # Each chart's numbers are there as a table for screen readers.
    assert page.locator("table[aria-label='New cases per day'] tbody tr").count() == 28
    assert problems == []
