"""Sign-in pages: CSRF, cookie flags, wrong passwords, sign-out, redirects."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

PASSWORD = "correct horse battery staple"


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "form has no CSRF token"
    return match.group(1)


def sign_in(client: TestClient, username: str = "ann", password: str = PASSWORD):  # type: ignore[no-untyped-def]
    form = client.get("/signin")
    return client.post("/signin", data={"username": username, "password": password,
                                        "csrf_token": csrf_of(form.text), "next": "/account"})


def test_staff_pages_redirect_to_sign_in(anon_client: TestClient) -> None:
    r = anon_client.get("/account", headers={"accept": "text/html"})
    assert r.status_code == 303
    assert r.headers["location"] == "/signin?next=%2Faccount"


def test_sign_in_sets_a_hardened_cookie(anon_client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("ann", ["community_worker"])
    r = sign_in(anon_client)
    assert r.status_code == 303
    assert r.headers["location"] == "/account"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("epidesk_session="))
    assert "HttpOnly" in cookie
    assert "Secure" in cookie
    assert "SameSite=strict" in cookie
    account = anon_client.get("/account")
    assert account.status_code == 200
    assert "community worker" in account.text


def test_post_without_csrf_is_refused(anon_client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("ann")
    anon_client.get("/signin")
    r = anon_client.post("/signin", data={"username": "ann", "password": PASSWORD})
    assert r.status_code == 403
    assert "CSRF" in r.json()["detail"]
    r = anon_client.post("/signin", data={"username": "ann", "password": PASSWORD,
                                          "csrf_token": "forged"})
    assert r.status_code == 403


def test_wrong_password_shows_the_form_again(anon_client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("ann")
    r = sign_in(anon_client, password="not the password")
    assert r.status_code == 401
    assert "username, password or one-time code is wrong" in r.text
    assert "epidesk_session" not in anon_client.cookies


def test_open_redirects_are_refused(anon_client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("ann")
    form = anon_client.get("/signin?next=https://evil.example/")
    assert 'value="/overview"' in form.text
    r = anon_client.post("/signin", data={"username": "ann", "password": PASSWORD,
                                          "csrf_token": csrf_of(form.text),
                                          "next": "//evil.example/"})
    assert r.headers["location"] == "/overview"


def test_sign_out_needs_the_session_csrf_token(anon_client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("ann")
    sign_in(anon_client)
    account = anon_client.get("/account")
    assert anon_client.post("/signout", data={"csrf_token": "forged"}).status_code == 403
    assert anon_client.get("/account").status_code == 200
    r = anon_client.post("/signout", data={"csrf_token": csrf_of(account.text)})
    assert r.status_code == 303
    anon_client.cookies.clear()
    assert anon_client.get("/account", headers={"accept": "text/html"}).status_code == 303


def test_audit_page_for_auditors(anon_client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("dora", ["auditor"])
    sign_in(anon_client, "dora")
    r = anon_client.get("/audit", params={"username": "dora"})
    assert r.status_code == 200
    assert "Audit log" in r.text
    bad = anon_client.get("/audit", params={"since": "yesterday"},
                          headers={"accept": "text/html"})
    assert bad.status_code == 422
    assert "since" in bad.text and "YYYY-MM-DD" in bad.text


def test_changing_your_password_keeps_you_signed_in_and_ends_other_sessions(
        anon_client: TestClient, make_user, bearer) -> None:  # type: ignore[no-untyped-def]
    make_user("ann")
    sign_in(anon_client)
    form = anon_client.get("/account/password")
    assert form.status_code == 200
    token = csrf_of(form.text)
    new = "a brand new passphrase"
    wrong = anon_client.post("/account/password", data={
        "current": "not the password", "new": new, "repeat": new, "csrf_token": token})
    assert wrong.status_code == 422 and "current password is wrong" in wrong.text
    differ = anon_client.post("/account/password", data={
        "current": PASSWORD, "new": new, "repeat": new + "!", "csrf_token": token})
    assert differ.status_code == 422 and "differ" in differ.text
    forged = anon_client.post("/account/password", data={
        "current": PASSWORD, "new": new, "repeat": new, "csrf_token": "forged"})
    assert forged.status_code == 403
    done = anon_client.post("/account/password", data={
        "current": PASSWORD, "new": new, "repeat": new, "csrf_token": token})
    assert done.status_code == 200 and "was changed" in done.text
    assert anon_client.get("/account").status_code == 200
    anon_client.cookies.clear()
    assert sign_in(anon_client, password=PASSWORD).status_code == 401
    assert sign_in(anon_client, password=new).status_code == 303


@pytest.mark.parametrize(("zone", "shown"), [
    (None, ["Asia/Shanghai", "2026-03-02 07:30", "2026-04-01 07:30"]),
    ("America/New_York", ["America/New_York", "2026-03-01 18:30", "2026-03-31 19:30"]),
])
def test_account_page_shows_token_times_in_the_citys_zone(
    anon_client: TestClient, make_user, db, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
    zone: str | None, shown: list[str],
) -> None:
    from epidesk.auth import service
    from epidesk.config import get_settings

    if zone:
        monkeypatch.setenv("EPIDESK_TIMEZONE", zone)
    else:
        monkeypatch.delenv("EPIDESK_TIMEZONE", raising=False)
    get_settings.cache_clear()
    try:
        user = make_user("ann")
        token = service.create_token(db, user_id=user.id, name="for the zone").token
        token.created_at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
        token.expires_at = datetime(2026, 3, 31, 23, 30, tzinfo=UTC)  # after New York's DST
        db.flush()
        sign_in(anon_client)
        html = anon_client.get("/account").text
    finally:
        get_settings.cache_clear()
    row = html[html.index("for the zone"):]
    row = row[:row.index("</tr>")]
    assert shown[1] in row and shown[2] in row, row
    assert f"Created ({shown[0]})" in html
    assert f"Times are shown in the city's time zone, {shown[0]}." in html
