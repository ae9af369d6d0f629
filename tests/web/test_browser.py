"""The API documentation pages render in headless Chromium with no other host reachable."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser


def offline(page: Any, base: str) -> list[str]:
    """Abort every request to another host; return the list of those attempted."""
    home = urlsplit(base).netloc
    elsewhere: list[str] = []

    def handle(route: Any) -> None:
        address = route.request.url
        if urlsplit(address).scheme in {"data", "blob"} or urlsplit(address).netloc == home:
            route.continue_()
        else:
            elsewhere.append(address)
            route.abort()

    page.route("**/*", handle)
    return elsewhere


def test_swagger_ui_renders_the_operations_offline(anon_page: Any, live_server: str):
    elsewhere = offline(anon_page, live_server)
    failed: list[str] = []
    errors: list[str] = []
    anon_page.on("requestfailed", lambda r: failed.append(r.url))
    anon_page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    anon_page.goto(f"{live_server}/docs")
    operations = anon_page.locator(".opblock")
    operations.first.wait_for(state="visible")
    assert operations.count() > 10
    assert elsewhere == [] and failed == [] and errors == []
    # Swagger UI renders only the tags near the viewport: scroll down to the people's.
    people = "() => [...document.querySelectorAll('.opblock-summary-path')].some(" \
             "e => e.textContent.replace(/\\u200b/g, '').startsWith('/api/people'))"
    found = anon_page.evaluate(people)
    for _ in range(60):
        if found:
            break
        anon_page.mouse.wheel(0, 600)
        anon_page.wait_for_timeout(100)
        found = anon_page.evaluate(people)
    assert found, "the people's operations never rendered"


def test_redoc_renders_the_operations_offline(anon_page: Any, live_server: str):
    elsewhere = offline(anon_page, live_server)
    errors: list[str] = []
    anon_page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    anon_page.goto(f"{live_server}/redoc")
    anon_page.locator("h1", has_text="Epidesk").first.wait_for(state="visible")
    operations = anon_page.locator("[data-section-id^='operation/']")
    operations.first.wait_for(state="attached")
    assert operations.count() > 10
    # Redoc's own logo is refused by the page's Content-Security-Policy, never fetched.
    assert elsewhere == [], elsewhere
    assert all("Content Security Policy" in e for e in errors), errors


def test_switching_language_on_the_public_page(anon_page: Any, live_server: str):
    anon_page.goto(f"{live_server}/")
    assert anon_page.locator("html").get_attribute("lang") == "en"
    anon_page.locator("#language-switch").get_by_role("link", name="中文").click()
    anon_page.wait_for_url(f"{live_server}/")
    assert anon_page.locator("html").get_attribute("lang") == "zh-Hans"
    assert anon_page.locator("h1").inner_text() == "本市疫情应对"
    # The choice is remembered on the next page, and switched back the same way.
    anon_page.goto(f"{live_server}/policy")
    assert anon_page.locator("h1").inner_text() == "防控方案预案"
    anon_page.locator("#language-switch").get_by_role("link", name="English").click()
    anon_page.wait_for_url(f"{live_server}/policy")
    assert anon_page.locator("h1").inner_text() == "Protocol presets"


def test_switching_language_on_a_staff_page(page: Any, live_server: str):
    page.goto(f"{live_server}/tracing?ran=1")
    menu = page.locator("nav.main")
    assert menu.get_by_role("link", name="Tracing").is_visible()
    page.locator("#language-switch").get_by_role("link", name="中文").click()
    page.wait_for_url(f"{live_server}/tracing?ran=1")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert menu.get_by_role("link", name="流调").is_visible()
    assert page.locator("h1").inner_text() == "流行病学调查"
    page.locator("#language-switch").get_by_role("link", name="English").click()
    page.wait_for_url(f"{live_server}/tracing?ran=1")
    assert menu.get_by_role("link", name="Tracing").is_visible()
