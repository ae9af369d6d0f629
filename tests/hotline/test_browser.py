"""A resident files a ticket on the public form and follows it by its reference, in
headless Chromium, without an account."""

from __future__ import annotations

import re
from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_a_resident_files_a_ticket_and_follows_it_by_reference(anon_page: Any,
                                                               live_server: str) -> None:
    anon_page.set_viewport_size({"width": 390, "height": 844})
    anon_page.goto(f"{live_server}/hotline")
    anon_page.select_option("select[name=category]", "supplies")
    anon_page.fill("textarea[name=description]", "没有奶粉了 / no infant formula left")
    anon_page.fill("input[name=contact_phone]", "13812345678")
    anon_page.click("button[type=submit]")
    anon_page.wait_for_load_state()
    reference = anon_page.inner_text("strong.reference").strip()
    assert re.fullmatch(r"[0-9A-Z]{5}-[0-9A-Z]{5}", reference)
    anon_page.click("a[href^='/hotline/follow?reference=']")
    anon_page.wait_for_load_state()
    assert reference in anon_page.inner_text("#ticket")
    # Following it later: typed in lower case without the dash, as a resident might.
    anon_page.goto(f"{live_server}/hotline/follow")
    anon_page.fill("input[name=reference]", reference.lower().replace("-", ""))
    anon_page.click("button[type=submit]")
    anon_page.wait_for_load_state()
    shown = anon_page.inner_text("#ticket")
    assert reference in shown and "13812345678" not in anon_page.content()
    anon_page.fill("input[name=reference]", "ZZZZZ-ZZZZZ")
    anon_page.click("button[type=submit]")
    anon_page.wait_for_load_state()
    assert anon_page.locator("[role=alert]").count() == 1
    assert anon_page.locator("#ticket").count() == 0
