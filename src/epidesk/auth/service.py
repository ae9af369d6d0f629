"""Use cases of the auth domain: accounts, grants, sign-in, sessions, tokens, audit."""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy.orm import Session

from epidesk.auth import repository as repo
from epidesk.auth.models import ApiToken, AuditEntry, RoleGrant, SignInAttempt, User, WebSession
from epidesk.auth.rules import (
    Grant,
    Principal,
    SessionLifetimes,
    SignInLimits,
    password_problem,
    session_expired,
    sign_in_blocked,
    validate_role,
    validate_scope,
)
from epidesk.auth.totp import service as totp
from epidesk.auth.totp.rules import second_factor_missing
from epidesk.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    TooManyRequestsError,
    ValidationFailedError,
)
from epidesk.kit.access import Caller
from epidesk.kit.clock import aware
from epidesk.kit.i18n import _
from epidesk.kit.paging import COUNT_CAP, PageCount, page_count

_hasher = PasswordHasher()
TOKEN_PREFIX = "epd"


@cache
def _dummy_hash() -> str:
    """Verified against when the account does not exist, so timing does not reveal it
    (made on first use, not at import: hashing takes a good part of a second)."""
    return _hasher.hash("not-a-real-password-0")


def now_utc() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def principal_of(user: User, *, limited: str | None = None) -> Principal:
    """The principal (identity and grants) of a user."""
    return Principal(
        user_id=user.id,
        username=user.username,
        grants=tuple(Grant(g.role, g.scope_kind, g.scope_id) for g in user.grants),
        limited=limited,
    )


def _limited(user: User, *, required: bool, passed: bool, bearer: bool) -> str | None:
    return second_factor_missing(
        administrator=any(g.role == "administrator" for g in user.grants),
        enrolled=totp.enrolled(user), passed=passed, required=required, bearer=bearer)


def create_user(session: Session, *, username: str, display_name: str, password: str,
                at: datetime | None = None) -> User:
    """Create an account after checking the username and password."""
    username = username.strip().lower()
    if not username or not username.replace("-", "").replace("_", "").replace(".", "").isalnum():
        raise ValidationFailedError(
            f"username {username!r} may hold only letters, digits, '.', '-' and '_'")
    if repo.user_by_name(session, username) is not None:
        raise ConflictError(f"a user named {username!r} exists already")
    problem = password_problem(password, username)
    if problem:
        raise ValidationFailedError(problem)
    moment = at or now_utc()
    user = User(username=username, display_name=display_name or username,
                password_hash=_hasher.hash(password), disabled=False, created_at=moment,
                password_changed_at=moment)
    session.add(user)
    session.flush()
    return user


def get_user(session: Session, username: str) -> User:
    """The user by name, or NotFoundError."""
    user = repo.user_by_name(session, username.strip().lower())
    if user is None:
        raise NotFoundError(f"no user named {username!r}")
    return user


def list_users(session: Session, *, limit: int | None = None, offset: int = 0
               ) -> Sequence[User]:
    """Every account (or a page of them), by username."""
    return repo.all_users(session, limit=limit, offset=offset)


def count_users(session: Session, *, offset: int = 0, shown: int = 0) -> PageCount:
    """Where a page of `list_users` lies among all accounts."""
    return page_count(offset=offset, shown=shown, cap=COUNT_CAP,
                      counted=repo.count_users(session, cap=COUNT_CAP))


def grant_role(session: Session, *, username: str, role: str, scope_kind: str = "city",
               scope_id: int | None = None, granted_by: str) -> RoleGrant:
    """Give a user a role over an area (the whole city by default)."""
    problem = validate_role(role) or validate_scope(scope_kind, scope_id)
    if problem:
        raise ValidationFailedError(problem)
    if scope_id is not None and not repo.area_exists(session, scope_kind, scope_id):
        raise NotFoundError(f"no {scope_kind} with id {scope_id}")
    user = get_user(session, username)
    for g in user.grants:
        if (g.role, g.scope_kind, g.scope_id) == (role, scope_kind, scope_id):
            return g
    grant = RoleGrant(role=role, scope_kind=scope_kind, scope_id=scope_id,
                      granted_at=now_utc(), granted_by=granted_by)
    user.grants.append(grant)
    session.flush()
    return grant


def revoke_role(session: Session, *, username: str, role: str) -> int:
    """Remove every grant of a role from a user; returns how many were removed."""
    user = get_user(session, username)
    doomed = [g for g in user.grants if g.role == role]
    for g in doomed:
        user.grants.remove(g)
    session.flush()
    return len(doomed)


def set_disabled(session: Session, *, username: str, disabled: bool) -> User:
    """Disable (or re-enable) an account; disabling ends its sessions and tokens."""
    user = get_user(session, username)
    user.disabled = disabled
    if disabled:
        _end_sessions(session, user, now_utc())
    session.flush()
    return user


def set_password(session: Session, *, username: str, password: str,
                 keep: WebSession | None = None) -> User:
    """Replace a user's password, ending their sessions and API tokens (all but `keep`,
    the page session of a user changing their own password)."""
    user = get_user(session, username)
    problem = password_problem(password, user.username)
    if problem:
        raise ValidationFailedError(problem)
    moment = now_utc()
    user.password_hash = _hasher.hash(password)
    user.password_changed_at = moment
    _end_sessions(session, user, moment, keep=keep)
    session.flush()
    return user


def change_password(session: Session, *, user_id: int, current: str, new: str,
                    keep: WebSession | None = None) -> User:
    """A user's own change: the current password is checked first."""
    user = repo.user_by_id(session, user_id)
    if user is None or not _verify(user.password_hash, current):
        raise AuthenticationError(_("the current password is wrong"))
    if new == current:
        raise ValidationFailedError(_("the new password must differ from the current one"))
    return set_password(session, username=user.username, password=new, keep=keep)


def _end_sessions(session: Session, user: User, moment: datetime,
                  keep: WebSession | None = None, tokens: bool = True) -> None:
    for ws in repo.live_sessions(session, user.id):
        if keep is None or ws.id != keep.id:
            ws.revoked_at = moment
    if tokens:
        for tok in repo.live_tokens(session, user.id):
            tok.revoked_at = moment


def confirm_totp(session: Session, *, user_id: int, code: str,
                 keep: WebSession | None = None, at: datetime | None = None) -> User:
    """Turn a user's one-time codes on with a first code; the page session `keep` counts
    as passed, the user's other page sessions (opened without a code) end."""
    moment = at or now_utc()
    user = totp.confirm_enrolment(session, user_id=user_id, code=code, at=moment)
    _end_sessions(session, user, moment, keep=keep, tokens=False)
    if keep is not None:
        keep.second_factor = True
    session.flush()
    return user


def disable_totp(session: Session, *, user_id: int, password: str, code: str,
                 at: datetime | None = None) -> User:
    """A user's own turning off of one-time codes: their password and a current code."""
    user = repo.user_by_id(session, user_id)
    if user is None or not _verify(user.password_hash, password):
        raise AuthenticationError(_("the current password is wrong"))
    if not totp.enrolled(user):
        raise ValidationFailedError(_("one-time codes are off already"))
    if not totp.accept_code(session, user, code, at or now_utc()):
        raise ValidationFailedError(str(totp.WRONG_CODE))
    totp.clear(user)
    session.flush()
    return user


def totp_enrolled(session: Session, *, user_id: int) -> bool:
    """Whether the user turned one-time codes on."""
    user = repo.user_by_id(session, user_id)
    return user is not None and totp.enrolled(user)


def reset_totp(session: Session, *, username: str) -> User:
    """An administrator's clearing of a lost authenticator: the user's one-time codes are
    off and their sessions and API tokens end (they set up a new one after signing in)."""
    user = get_user(session, username)
    totp.clear(user)
    _end_sessions(session, user, now_utc())
    session.flush()
    return user


def generate_password() -> str:
    """A random password that meets the password rules."""
    return secrets.token_urlsafe(15)


@dataclass(frozen=True)
class SignIn:
    """A new page session: the row and the secret that goes into the cookie."""

    web_session: WebSession
    secret: str
    principal: Principal


def sign_in(session: Session, *, username: str, password: str, address: str,
            code: str = "", limits: SignInLimits | None = None,
            lifetimes: SessionLifetimes | None = None, at: datetime | None = None,
            require_totp_for_administrators: bool = False) -> SignIn:
    """Check a password, and the one-time code of a user who set codes up (rate-limited
    per account and address; a wrong code is a failed sign-in), and open a page session."""
    limits = limits or SignInLimits()
    lifetimes = lifetimes or SessionLifetimes()
    moment = at or now_utc()
    username = username.strip().lower()[:64]
    failures = repo.recent_failures(session, username=username, address=address,
                                    since=moment - limits.window)
    blocked = sign_in_blocked(failures, limits, moment)
    if blocked:
        raise TooManyRequestsError(blocked)
    user = repo.user_by_name(session, username)
    ok = _verify(user.password_hash if user else _dummy_hash(), password)
    ok = ok and user is not None and not user.disabled
    passed = False
    if ok and user is not None and totp.enrolled(user):
        passed = ok = totp.accept_code(session, user, code, moment)
    session.add(SignInAttempt(username=username, address=address, at=moment, succeeded=ok))
    session.flush()
    if not ok or user is None:
        raise AuthenticationError(_("the username, password or one-time code is wrong, or "
                                    "the account is disabled"))
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    secret = secrets.token_urlsafe(32)
    ws = WebSession(user_id=user.id, secret_hash=_digest(secret),
                    csrf_token=secrets.token_urlsafe(32), created_at=moment,
                    expires_at=moment + lifetimes.absolute,
                    idle_expires_at=moment + lifetimes.idle, revoked_at=None, address=address,
                    second_factor=passed)
    session.add(ws)
    session.flush()
    limited = _limited(user, required=require_totp_for_administrators, passed=passed,
                       bearer=False)
    return SignIn(web_session=ws, secret=secret, principal=principal_of(user, limited=limited))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def resolve_session(session: Session, secret: str, *, lifetimes: SessionLifetimes | None = None,
                    at: datetime | None = None, require_totp_for_administrators: bool = False
                    ) -> tuple[WebSession, Principal] | None:
    """The live session and principal behind a cookie secret, sliding its idle deadline
    (the principal is limited when a required one-time code is missing)."""
    lifetimes = lifetimes or SessionLifetimes()
    moment = at or now_utc()
    ws = repo.session_by_secret_hash(session, _digest(secret))
    if ws is None or ws.revoked_at is not None:
        return None
    if session_expired(moment, aware(ws.expires_at), aware(ws.idle_expires_at)):
        return None
    user = repo.user_by_id(session, ws.user_id)
    if user is None or user.disabled:
        return None
    ws.idle_expires_at = min(aware(ws.expires_at), moment + lifetimes.idle)
    limited = _limited(user, required=require_totp_for_administrators,
                       passed=ws.second_factor, bearer=False)
    return ws, principal_of(user, limited=limited)


def sign_out(session: Session, web_session: WebSession) -> None:
    """End a page session."""
    web_session.revoked_at = now_utc()
    session.flush()


@dataclass(frozen=True)
class NewToken:
    """A new API token: the row and the secret, shown once."""

    token: ApiToken
    secret: str


def create_token(session: Session, *, user_id: int, name: str, days: int = 30) -> NewToken:
    """Create a bearer token for the API, valid for a number of days."""
    if not 1 <= days <= 365:
        raise ValidationFailedError(f"a token lives 1 to 365 days, not {days}")
    if not name.strip():
        raise ValidationFailedError("a token needs a name saying what it is for")
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    moment = now_utc()
    token = ApiToken(user_id=user_id, name=name.strip()[:100], prefix=prefix,
                     secret_hash=_digest(secret), created_at=moment,
                     expires_at=moment + timedelta(days=days), revoked_at=None,
                     last_used_at=None)
    session.add(token)
    session.flush()
    return NewToken(token=token, secret=secret)


def list_tokens(session: Session, *, user_id: int) -> Sequence[ApiToken]:
    """A user's tokens (never their secrets)."""
    return repo.tokens_of(session, user_id)


def revoke_token(session: Session, *, user_id: int, token_id: int) -> ApiToken:
    """Revoke one of the user's own tokens."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user_id:
        raise NotFoundError(f"no token {token_id} of yours")
    if token.revoked_at is None:
        token.revoked_at = now_utc()
    session.flush()
    return token


def resolve_token(session: Session, secret: str, *, at: datetime | None = None,
                  require_totp_for_administrators: bool = False) -> Principal | None:
    """The principal behind a live bearer token (limited when the token's administrator
    has no one-time codes while they are required)."""
    moment = at or now_utc()
    token = repo.token_by_secret_hash(session, _digest(secret))
    if token is None or token.revoked_at is not None or moment >= aware(token.expires_at):
        return None
    user = repo.user_by_id(session, token.user_id)
    if user is None or user.disabled:
        return None
    token.last_used_at = moment
    return principal_of(user, limited=_limited(user, required=require_totp_for_administrators,
                                               passed=False, bearer=True))


def record_access(session: Session, *, principal: Caller | None, action: str,
                  record_type: str, record_id: str | int, person_id: int | None, route: str,
                  address: str, purpose: str | None = None,
                  people: Iterable[int] = ()) -> AuditEntry:
    """Append one entry to the audit log, with every resident it returned (`people`)."""
    entry = AuditEntry(at=now_utc(), user_id=principal.user_id if principal else None,
                       username=principal.username if principal else "(public)",
                       action=action, record_type=record_type, record_id=str(record_id),
                       person_id=person_id, route=route[:200], purpose=purpose,
                       address=address[:64])
    session.add(entry)
    session.flush()
    repo.add_audit_people(session, entry.id, {int(p) for p in people} - {person_id})
    return entry


def search_audit(session: Session, *, person_id: int | None = None, username: str | None = None,
                 since: datetime | None = None, until: datetime | None = None,
                 limit: int = 100, offset: int = 0) -> Sequence[AuditEntry]:
    """Audit entries by person, user and time, newest first."""
    return repo.search_audit(session, person_id=person_id, username=username, since=since,
                             until=until, limit=limit, offset=offset)


def audit_people(session: Session, entries: Sequence[AuditEntry]) -> dict[int, list[int]]:
    """The residents each entry listed besides its `person_id`, by entry id."""
    return repo.audit_people(session, [e.id for e in entries])


AUDIT_CSV_COLUMNS = ("id", "at", "username", "action", "record_type", "record_id",
                     "person_id", "route", "purpose", "address", "people")


# Characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def audit_csv(entries: Iterable[AuditEntry],
              people: Mapping[int, Sequence[int]] | None = None) -> str:
    """Audit entries as CSV text with a header row; `people`: the residents each listed."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_CSV_COLUMNS)
    for e in entries:
        writer.writerow([e.id, aware(e.at).isoformat(), *map(spreadsheet_safe, (
            e.username, e.action, e.record_type, e.record_id)),
            "" if e.person_id is None else e.person_id,
            *map(spreadsheet_safe, (e.route, e.purpose or "", e.address)),
            " ".join(map(str, (people or {}).get(e.id, ())))])
    return out.getvalue()


def spreadsheet_safe(value: str) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP CSV injection advice)."""
    return "'" + value if value[:1] in FORMULA_STARTS else value
