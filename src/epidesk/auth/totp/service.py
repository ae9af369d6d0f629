"""Use cases of one-time codes: set up, confirm, check a code, turn off.

The secret is stored sealed under the secret key (`epidesk.kit.sealing`), never in clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from epidesk.auth import repository as repo
from epidesk.auth.models import User
from epidesk.auth.totp.rules import (
    grouped,
    matching_step,
    new_secret,
    provisioning_uri,
    qr_svg,
)
from epidesk.errors import ConflictError, NotFoundError, ValidationFailedError
from epidesk.kit.i18n import _, _l
from epidesk.kit.sealing import open_sealed, seal

WRONG_CODE = _l("the code does not match: type the 6 digits your authenticator app shows "
                "now (a code is accepted once, and only while it is shown)")


@dataclass(frozen=True)
class Enrolment:
    """A secret waiting for its first code: as text, as an address and as a QR code."""

    secret: str
    uri: str
    qr_svg: str

    @property
    def grouped(self) -> str:
        """The secret in groups of four characters."""
        return grouped(self.secret)


def enrolled(user: User) -> bool:
    """Whether the user confirmed one-time codes."""
    return user.totp_secret is not None and user.totp_confirmed_at is not None


def _user(session: Session, user_id: int) -> User:
    user = repo.user_by_id(session, user_id)
    if user is None:
        raise NotFoundError(f"no user with id {user_id}")
    return user


def start_enrolment(session: Session, *, user_id: int) -> Enrolment:
    """The pending secret to show (a new one when none is pending); refused once confirmed."""
    user = _user(session, user_id)
    if enrolled(user):
        raise ConflictError(_("one-time codes are on already; turn them off first to set "
                              "up another authenticator"))
    if user.totp_secret is None:
        user.totp_secret = seal(new_secret())
        user.totp_last_step = None
        session.flush()
    secret = open_sealed(user.totp_secret)
    uri = provisioning_uri(secret, user.username)
    return Enrolment(secret=secret, uri=uri, qr_svg=qr_svg(uri))


def accept_code(session: Session, user: User, code: str, at: datetime) -> bool:
    """Whether the code is the user's for now (±1 step) and not used before; an accepted
    code's step is recorded so that it is refused next time."""
    if user.totp_secret is None:
        return False
    step = matching_step(open_sealed(user.totp_secret), code, at, user.totp_last_step)
    return step is not None and repo.claim_totp_step(session, user.id, step)


def confirm_enrolment(session: Session, *, user_id: int, code: str, at: datetime) -> User:
    """Turn one-time codes on with a first code from the authenticator app."""
    user = _user(session, user_id)
    if enrolled(user):
        raise ConflictError(_("one-time codes are on already"))
    if user.totp_secret is None:
        raise ValidationFailedError(_("no one-time code set-up is in progress; open "
                                      "/account/totp again"))
    if not accept_code(session, user, code, at):
        raise ValidationFailedError(str(WRONG_CODE))
    user.totp_confirmed_at = at
    session.flush()
    return user


def clear(user: User) -> None:
    """Forget the user's secret: one-time codes are off until set up again."""
    user.totp_secret = None
    user.totp_confirmed_at = None
    user.totp_last_step = None
