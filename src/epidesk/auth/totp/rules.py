"""One-time codes: secrets, the authenticator's address and QR code, which step a code
matches, and when a caller lacks the second factor. Pure: no session, no I/O."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
import segno

ISSUER = "Epidesk"
STEP_SECONDS = 30
DIGITS = 6
# Codes of the previous and the next time step are accepted too (clock drift).
DRIFT_STEPS = 1
REQUIRE_SETTING = "EPIDESK_REQUIRE_TOTP_FOR_ADMINISTRATORS"
ENROL_PAGE = "/account/totp"
# What a session still missing its second factor may reach (static files need no caller).
LIMITED_PATHS = ("/account/totp", "/account/password", "/signout")


def new_secret() -> str:
    """A new random secret: 32 base32 characters (160 bits)."""
    return pyotp.random_base32()


def _totp(secret: str) -> pyotp.TOTP:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return _totp(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    """The QR code of an address as inline SVG markup (no script, no style element)."""
    return str(segno.make_qr(uri, error="m").svg_inline(
        scale=5, dark="#000", light="#fff", title="QR code for your authenticator app"))


def grouped(secret: str) -> str:
    """The secret in groups of four characters, easier to type into an app."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def clean_code(code: str) -> str:
    """The code as typed, without spaces."""
    return "".join(code.split())


def code_at(secret: str, moment: datetime) -> str:
    """The code an authenticator shows at a moment (for tests and the command line)."""
    return _totp(secret).at(moment)


def matching_step(secret: str, code: str, at: datetime, last_step: int | None) -> int | None:
    """The time step (within one step of `at`) whose code this is, or None when it matches
    none or belongs to a step already accepted (a code is never accepted twice)."""
    code = clean_code(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    totp = _totp(secret)
    now = totp.timecode(at)
    for step in (now, now - DRIFT_STEPS, now + DRIFT_STEPS):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def second_factor_missing(*, administrator: bool, enrolled: bool, passed: bool,
                          required: bool, bearer: bool) -> str | None:
    """None when the caller may go everywhere their roles allow, else why they may only
    set up their one-time codes (administrators while the setting requires them)."""
    if not required or not administrator:
        return None
    if bearer:
        if enrolled:
            return None
        return (f"administrators need one-time codes ({REQUIRE_SETTING} is on): the "
                f"token's owner must set them up at {ENROL_PAGE} before using the API")
    if enrolled and passed:
        return None
    if enrolled:
        return ("this session was opened without a one-time code; sign out and sign in "
                "again with the code from your authenticator app")
    return (f"administrators need one-time codes ({REQUIRE_SETTING} is on): set them up "
            f"at {ENROL_PAGE} before using anything else")


def reachable_while_limited(path: str) -> bool:
    """Whether a session missing its second factor may reach this path."""
    return any(path == p or path.startswith(p + "/") for p in LIMITED_PATHS)
