"""One-time codes (TOTP): accepting a code once, enrolment, sign-in with a code, and the
administrators' requirement (EPIDESK_REQUIRE_TOTP_FOR_ADMINISTRATORS) on pages and API."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.auth import service
from epidesk.auth.rules import SignInLimits
from epidesk.auth.totp import service as totp
from epidesk.auth.totp.rules import matching_step, second_factor_missing
from epidesk.errors import AuthenticationError, TooManyRequestsError, ValidationFailedError
from tests.auth.test_pages import csrf_of

PASSWORD = "correct horse battery staple"
PROBLEM = "application/problem+json"
T0 = datetime(2026, 12, 8, 9, 0, 10, tzinfo=UTC)
STEP = timedelta(seconds=30)


# ---------------------------------------------------------------- rules


def test_a_code_matches_its_step_and_the_neighbouring_ones_only() -> None:
    secret = pyotp.random_base32()
    app = pyotp.TOTP(secret)
    now = app.timecode(T0)
    assert matching_step(secret, app.at(T0), T0, None) == now
    assert matching_step(secret, app.at(T0 - STEP), T0, None) == now - 1
    assert matching_step(secret, app.at(T0 + STEP), T0, None) == now + 1
    assert matching_step(secret, app.at(T0 + 2 * STEP), T0, None) is None
    assert matching_step(secret, app.at(T0 - 2 * STEP), T0, None) is None
    assert matching_step(secret, " ".join(app.at(T0)), T0, None) == now  # spaces allowed
    for bad in ("", "12345", "abcdef", "1234567"):
        assert matching_step(secret, bad, T0, None) is None


def test_a_step_already_accepted_is_refused_and_so_is_every_earlier_one() -> None:
    secret = pyotp.random_base32()
    app = pyotp.TOTP(secret)
    now = app.timecode(T0)
    assert matching_step(secret, app.at(T0), T0, now) is None
    assert matching_step(secret, app.at(T0 - STEP), T0, now) is None
    assert matching_step(secret, app.at(T0 + STEP), T0, now) == now + 1


def test_who_lacks_the_second_factor() -> None:
    def missing(**kw: bool) -> str | None:
        base = {"administrator": True, "enrolled": False, "passed": False,
                "required": True, "bearer": False}
        return second_factor_missing(**{**base, **kw})  # type: ignore[arg-type]

    assert "set them up at /account/totp" in (missing() or "")
    assert "EPIDESK_REQUIRE_TOTP_FOR_ADMINISTRATORS" in (missing(bearer=True) or "")
    assert missing(required=False) is None
    assert missing(administrator=False) is None
    assert missing(enrolled=True, passed=True) is None
    assert missing(enrolled=True, bearer=True) is None
    assert "sign in" in (missing(enrolled=True) or "")


# ---------------------------------------------------------------- service


def enrol(db: Session, name: str = "ann", role: str = "administrator",
          at: datetime = T0) -> pyotp.TOTP:
    """A user with one-time codes on (confirmed with the code of step `at`)."""
    user = service.create_user(db, username=name, display_name=name, password=PASSWORD)
    service.grant_role(db, username=name, role=role, granted_by="test")
    enrolment = totp.start_enrolment(db, user_id=user.id)
    assert enrolment.uri.startswith("otpauth://totp/Epidesk:")
    assert f"secret={enrolment.secret}" in enrolment.uri
    assert enrolment.qr_svg.startswith("<svg") and "<script" not in enrolment.qr_svg
    app = pyotp.TOTP(enrolment.secret)
    service.confirm_totp(db, user_id=user.id, code=app.at(at), at=at)
    return app


def test_enrolment_needs_a_right_code_and_shows_the_secret_only_until_then(db: Session) -> None:
    user = service.create_user(db, username="ann", display_name="ann", password=PASSWORD)
    first = totp.start_enrolment(db, user_id=user.id)
    assert totp.start_enrolment(db, user_id=user.id).secret == first.secret  # a reload
    with pytest.raises(ValidationFailedError, match="code does not match"):
        service.confirm_totp(db, user_id=user.id, code="000000", at=T0)
    assert not service.totp_enrolled(db, user_id=user.id)
    service.confirm_totp(db, user_id=user.id, code=pyotp.TOTP(first.secret).at(T0), at=T0)
    assert service.totp_enrolled(db, user_id=user.id)
    with pytest.raises(Exception, match="on already"):
        totp.start_enrolment(db, user_id=user.id)


def test_sign_in_needs_the_code_once_set_up_and_never_accepts_it_twice(db: Session) -> None:
    app = enrol(db)
    later = T0 + 3 * STEP
    for code in ("", "123456", app.at(T0)):  # none, wrong, the enrolment's (too old, used)
        with pytest.raises(AuthenticationError, match="one-time code is wrong"):
            service.sign_in(db, username="ann", password=PASSWORD, code=code,
                            address="10.0.0.1", at=later)
    ok = service.sign_in(db, username="ann", password=PASSWORD, code=app.at(later),
                         address="10.0.0.1", at=later, require_totp_for_administrators=True)
    assert ok.web_session.second_factor and ok.principal.limited is None
    with pytest.raises(AuthenticationError):  # the same code again
        service.sign_in(db, username="ann", password=PASSWORD, code=app.at(later),
                        address="10.0.0.1", at=later + timedelta(seconds=5))


def test_wrong_codes_count_as_failed_sign_ins(db: Session) -> None:
    app = enrol(db)
    limits = SignInLimits(per_account=3)
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            service.sign_in(db, username="ann", password=PASSWORD, code="000000",
                            address="10.0.0.2", at=T0 + STEP, limits=limits)
    with pytest.raises(TooManyRequestsError):
        service.sign_in(db, username="ann", password=PASSWORD, code=app.at(T0 + STEP),
                        address="10.0.0.2", at=T0 + STEP, limits=limits)


def test_turning_off_needs_the_password_and_a_code(db: Session) -> None:
    app = enrol(db)
    user_id = service.get_user(db, "ann").id
    later = T0 + 4 * STEP
    with pytest.raises(AuthenticationError, match="current password is wrong"):
        service.disable_totp(db, user_id=user_id, password="wrong", code=app.at(later), at=later)
    with pytest.raises(ValidationFailedError, match="code does not match"):
        service.disable_totp(db, user_id=user_id, password=PASSWORD, code="111111", at=later)
    service.disable_totp(db, user_id=user_id, password=PASSWORD, code=app.at(later), at=later)
    assert not service.totp_enrolled(db, user_id=user_id)


def test_reset_clears_the_codes_and_ends_sessions_and_tokens(db: Session) -> None:
    app = enrol(db)
    signed = service.sign_in(db, username="ann", password=PASSWORD, code=app.at(T0 + STEP),
                             address="10.0.0.3", at=T0 + STEP)
    token = service.create_token(db, user_id=signed.principal.user_id, name="script")
    service.reset_totp(db, username="ann")
    assert not service.totp_enrolled(db, user_id=signed.principal.user_id)
    assert service.resolve_session(db, signed.secret) is None
    assert service.resolve_token(db, token.secret) is None


def test_an_administrators_token_is_limited_until_codes_are_on(db: Session) -> None:
    user = service.create_user(db, username="root", display_name="r", password=PASSWORD)
    service.grant_role(db, username="root", role="administrator", granted_by="test")
    token = service.create_token(db, user_id=user.id, name="script")
    limited = service.resolve_token(db, token.secret, require_totp_for_administrators=True)
    assert limited is not None and limited.limited
    free = service.resolve_token(db, token.secret, require_totp_for_administrators=False)
    assert free is not None and free.limited is None


# ---------------------------------------------------------------- pages and API


def sign_in(client: TestClient, username: str, code: str = "", next_url: str = "/people"):  # type: ignore[no-untyped-def]
    form = client.get("/signin")
    return client.post("/signin", data={"username": username, "password": PASSWORD,
                                        "code": code, "csrf_token": csrf_of(form.text),
                                        "next": next_url})


def secret_on(html: str) -> str:
    match = re.search(r'<code id="totp-secret">([A-Z2-7 ]+)</code>', html)
    assert match, "the page shows no secret"
    return match.group(1).replace(" ", "")


HTML = {"accept": "text/html"}


@pytest.mark.usefixtures("totp_required")
def test_an_administrator_without_codes_reaches_only_the_enrolment_page(
    anon_client: TestClient, make_user  # type: ignore[no-untyped-def]
) -> None:
    make_user("root")
    r = sign_in(anon_client, "root")
    assert r.status_code == 303 and r.headers["location"] == "/account/totp"
    for path in ("/people", "/account", "/audit"):
        page = anon_client.get(path, headers=HTML)
        assert page.status_code == 303 and page.headers["location"] == "/account/totp", path
    api = anon_client.get("/api/auth/me")
    assert api.status_code == 403 and api.headers["content-type"] == PROBLEM
    assert api.json()["title"] == "One-time code required"
    assert "EPIDESK_REQUIRE_TOTP_FOR_ADMINISTRATORS" in api.json()["detail"]
    csrf = anon_client.get("/account/totp").text
    token = anon_client.post("/api/auth/tokens", json={"name": "x"},
                             headers={"X-CSRF-Token": csrf_of(csrf)})
    assert token.status_code == 403
    page = anon_client.get("/account/totp", headers=HTML)
    assert page.status_code == 200
    assert "set them up at /account/totp" in page.text
    assert "<svg" in page.text and "<script" not in page.text
    assert anon_client.get("/account/password", headers=HTML).status_code == 200
    # Someone without the administrator role is not held back.
    other = TestClient(anon_client.app, base_url="https://testserver", follow_redirects=False,
                       headers={"Accept-Language": "en"})
    make_user("ann", ["community_worker"])
    assert sign_in(other, "ann").headers["location"] == "/people"


@pytest.mark.usefixtures("totp_required")
def test_enrolment_then_sign_in_with_a_code(anon_client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("root")
    sign_in(anon_client, "root")
    page = anon_client.get("/account/totp")
    secret = secret_on(page.text)
    wrong = anon_client.post("/account/totp", data={"code": "000000",
                                                     "csrf_token": csrf_of(page.text)})
    assert wrong.status_code == 422 and "code does not match" in wrong.text
    assert secret_on(wrong.text) == secret  # the same secret, to try again
    no_csrf = anon_client.post("/account/totp", data={"code": pyotp.TOTP(secret).now()})
    assert no_csrf.status_code == 403
    app = pyotp.TOTP(secret)
    ok = anon_client.post("/account/totp", data={"code": app.now(),
                                                  "csrf_token": csrf_of(page.text)})
    assert ok.status_code == 303 and ok.headers["location"] == "/account/totp?done=on"
    done = anon_client.get("/account/totp?done=on")
    assert "One-time codes are on" in done.text and secret not in done.text.replace(" ", "")
    assert anon_client.get("/people", headers=HTML).status_code == 200
    assert anon_client.get("/api/auth/me").status_code == 200

    fresh = TestClient(anon_client.app, base_url="https://testserver", follow_redirects=False,
                       headers={"Accept-Language": "en"})
    without = sign_in(fresh, "root")
    assert without.status_code == 401 and "one-time code is wrong" in without.text
    code = app.at(datetime.now(UTC) + STEP)
    signed = sign_in(fresh, "root", code=code)
    assert signed.status_code == 303 and signed.headers["location"] == "/people"
    assert fresh.get("/people", headers=HTML).status_code == 200
    again = TestClient(anon_client.app, base_url="https://testserver", follow_redirects=False,
                       headers={"Accept-Language": "en"})
    assert sign_in(again, "root", code=code).status_code == 401  # reused


@pytest.mark.usefixtures("totp_required")
def test_an_administrators_bearer_token_is_refused_until_codes_are_on(
    anon_client: TestClient, bearer, db: Session  # type: ignore[no-untyped-def]
) -> None:
    headers = bearer("root")
    r = anon_client.get("/api/auth/me", headers=headers)
    assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
    assert "/account/totp" in r.json()["detail"]
    user = service.get_user(db, "root")
    enrolment = totp.start_enrolment(db, user_id=user.id)
    service.confirm_totp(db, user_id=user.id, code=pyotp.TOTP(enrolment.secret).now())
    assert anon_client.get("/api/auth/me", headers=headers).status_code == 200
    # Other roles' tokens were never held back.
    assert anon_client.get("/api/auth/me",
                           headers=bearer("ann", ["auditor"])).status_code == 200


def test_without_the_requirement_administrators_sign_in_with_a_password(
    anon_client: TestClient, make_user  # type: ignore[no-untyped-def]
) -> None:
    make_user("root")
    assert sign_in(anon_client, "root").headers["location"] == "/people"
    assert anon_client.get("/people", headers=HTML).status_code == 200


def test_turning_codes_off_from_the_page(anon_client: TestClient, make_user) -> None:  # type: ignore[no-untyped-def]
    make_user("ann", ["auditor"])
    sign_in(anon_client, "ann")
    page = anon_client.get("/account/totp")
    app = pyotp.TOTP(secret_on(page.text))
    anon_client.post("/account/totp", data={"code": app.now(), "csrf_token": csrf_of(page.text)})
    on = anon_client.get("/account/totp")
    assert "Turn off" in on.text and 'id="totp-secret"' not in on.text
    code = app.at(datetime.now(UTC) + STEP)
    bad = anon_client.post("/account/totp/disable", data={
        "password": "not it", "code": code, "csrf_token": csrf_of(on.text)})
    assert bad.status_code == 422 and "current password is wrong" in bad.text
    off = anon_client.post("/account/totp/disable", data={
        "password": PASSWORD, "code": code, "csrf_token": csrf_of(on.text)})
    assert off.status_code == 303 and off.headers["location"] == "/account/totp?done=off"
    assert 'id="totp-secret"' in anon_client.get("/account/totp?done=off").text
