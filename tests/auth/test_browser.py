"""One-time codes in headless Chromium: an administrator held to the enrolment page sets
up codes with a code computed like an authenticator app's, then signs in with one."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest

from epidesk import db as dbmod
from epidesk.db import make_engine
from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def new_admin(live_database: str) -> str:
    """An administrator of the live city without one-time codes."""
    from epidesk.auth import service as auth

    name = f"root-{datetime.now(UTC):%H%M%S%f}"
    engine = make_engine(live_database)
    with dbmod.session_scope(dbmod.sessionmaker(bind=engine)) as session:
        auth.create_user(session, username=name, display_name="Root", password=TEST_PASSWORD)
        auth.grant_role(session, username=name, role="administrator", granted_by="test")
    engine.dispose()
    return name


def sign_in(page: Any, base: str, username: str, code: str = "") -> None:
    page.goto(f"{base}/signin")
    page.fill("#username", username)
    page.fill("#password", TEST_PASSWORD)
    if code:
        page.fill("#code", code)
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.mark.usefixtures("totp_required")
def test_an_administrator_sets_up_codes_and_signs_in_with_one(
    anon_page: Any, live_server: str, new_admin: str
) -> None:
    page = anon_page
    sign_in(page, live_server, new_admin)
    page.wait_for_url(f"{live_server}/account/totp")
    assert page.get_by_role("alert").first.inner_text().startswith("administrators need")
    assert page.locator("figure.totp-qr svg").is_visible()
    page.goto(f"{live_server}/people")
    page.wait_for_url(f"{live_server}/account/totp")

    app = pyotp.TOTP(page.locator("#totp-secret").inner_text().replace(" ", ""))
    page.fill("#code", "000000")
    page.get_by_role("button", name="Confirm and turn on").click()
    assert "code does not match" in page.get_by_role("alert").last.inner_text()
    page.fill("#code", app.now())
    page.get_by_role("button", name="Confirm and turn on").click()
    page.wait_for_url(re.compile(r"/account/totp\?done=on$"))
    assert "One-time codes are on" in page.get_by_role("status").inner_text()
    page.goto(f"{live_server}/people")
    assert page.url == f"{live_server}/people"

    page.goto(f"{live_server}/account/totp")
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/signin"))
    sign_in(page, live_server, new_admin)
    assert "one-time code is wrong" in page.get_by_role("alert").inner_text()
    sign_in(page, live_server, new_admin, code=app.at(datetime.now(UTC) + timedelta(seconds=30)))
    page.wait_for_url(f"{live_server}/overview")
