"""The verification page in headless Chromium: a certificate's QR code read from a PNG
and verified in the browser, then again with no connection after one visit."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.certificates import service
from epidesk.certificates.engine import qr_png
from epidesk.db import make_engine
from epidesk.people.models import Resident

pytestmark = pytest.mark.browser


def issue(url: str) -> tuple[str, str, str]:
    """A vaccination certificate of the live city's first resident: its text, the
    resident's transliterated family name and date of birth."""
    engine = make_engine(url)
    try:
        with Session(engine) as session:
            resident = session.scalars(select(Resident).order_by(Resident.id)).first()
            assert resident is not None
            if not service.list_keys(session):
                service.generate_key(session, actor="test")
            issued = service.issue_vaccination(
                session, resident_id=resident.id, dose_number=1, total_doses=2,
                product="BBIBP-CorV", manufacturer="ORG-100020693", vaccine_type="inactivated",
                day=date(2026, 11, 20), actor="test")
            text = issued.text
            family = resident.name_latin.split()[0].upper()
            born = resident.birth_date.isoformat()
            session.commit()
    finally:
        engine.dispose()
    return text, family, born


def _until(page: Any, check: str, seconds: float = 10) -> None:
    """Poll a function in the page (evaluated through the debugging protocol, which the
    page's CSP allows, unlike wait_for_function's evaluation of a string)."""
    import time

    deadline = time.monotonic() + seconds
    while not page.evaluate(check):
        assert time.monotonic() < deadline, check
        page.wait_for_timeout(100)


def test_a_qr_picture_verifies_in_the_browser_online_then_offline(
        anon_page: Any, live_server: str, live_database: str, tmp_path: Path):
    text, family, born = issue(live_database)
    picture = tmp_path / "certificate.png"
    picture.write_bytes(qr_png(text))
    page = anon_page
    page.goto(f"{live_server}/certificates/verify")
    page.locator("#dcc-verify[data-offline='ready']").wait_for(state="attached")
    page.get_by_label("Picture of the QR code").set_input_files(str(picture))
    result = page.locator("#dcc-result")
    result.wait_for(state="visible")
    assert page.locator("#dcc-status").inner_text() == "Valid"
    shown = page.locator("#dcc-fields").inner_text()
    assert family in shown and born in shown and "BBIBP-CorV" in shown
    # A tampered text is refused, naming the step.
    page.fill("#dcc-text", text[:-12] + "000000000000")
    page.get_by_role("button", name="Verify", exact=True).click()
    page.locator("#dcc-status", has_text="Not valid").wait_for(state="visible")
    assert page.locator("#dcc-reason").inner_text().split(":")[0] in {
        "base45", "zlib", "cose", "signature"}
    # Offline, after that one visit: the page, its scripts and the trust list are kept.
    page.reload()
    _until(page, "() => navigator.serviceWorker.controller !== null")
    page.context.set_offline(True)
    try:
        page.reload()
        page.get_by_label("Picture of the QR code").set_input_files(str(picture))
        page.locator("#dcc-result").wait_for(state="visible")
        page.wait_for_function("document.getElementById('dcc-status').textContent !== ''")
        assert page.locator("#dcc-status").inner_text() == "Valid"
        assert family in page.locator("#dcc-fields").inner_text()
    finally:
        page.context.set_offline(False)
