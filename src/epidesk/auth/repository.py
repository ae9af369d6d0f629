"""Every query of the auth domain."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, insert, or_, select, update
from sqlalchemy.orm import Session, selectinload

from epidesk.auth.models import (
    ApiToken,
    AuditEntry,
    AuditPerson,
    SignInAttempt,
    User,
    WebSession,
)
from epidesk.auth.rules import Failures
from epidesk.db import count_at_most
from epidesk.geography.models import Community, District, Subdistrict
from epidesk.kit.clock import aware
from epidesk.kit.retention import REMOVED, RetentionPolicy


def user_by_name(session: Session, username: str) -> User | None:
    """The user with this username, grants loaded."""
    stmt = select(User).options(selectinload(User.grants)).where(User.username == username)
    return session.scalars(stmt).one_or_none()


def user_by_id(session: Session, user_id: int) -> User | None:
    """The user with this id, grants loaded."""
    stmt = select(User).options(selectinload(User.grants)).where(User.id == user_id)
    return session.scalars(stmt).one_or_none()


def all_users(session: Session, *, limit: int | None = None, offset: int = 0
              ) -> Sequence[User]:
    """Every user (or a page of them), by username, grants loaded."""
    return session.scalars(select(User).options(selectinload(User.grants))
                           .order_by(User.username).limit(limit).offset(offset)).all()


def count_users(session: Session, *, cap: int) -> int:
    """How many users exist, counted up to `cap + 1`."""
    return count_at_most(session, select(User.id), cap)


def area_exists(session: Session, scope_kind: str, scope_id: int) -> bool:
    """Whether the district, subdistrict or community with this id exists."""
    model = {"district": District, "subdistrict": Subdistrict, "community": Community}[scope_kind]
    return session.get(model, scope_id) is not None


def recent_failures(session: Session, *, username: str, address: str,
                    since: datetime) -> Failures:
    """Failed sign-ins since a time: for the account from the address, from the address,
    for the account from anywhere, and the account's last failure."""
    failed = [SignInAttempt.at >= since, SignInAttempt.succeeded.is_(False)]
    count = select(func.count()).select_from(SignInAttempt).where(*failed)
    pair = session.scalar(count.where(SignInAttempt.username == username,
                                      SignInAttempt.address == address)) or 0
    by_address = session.scalar(count.where(SignInAttempt.address == address)) or 0
    by_account, last = session.execute(
        select(func.count(), func.max(SignInAttempt.at)).where(
            *failed, SignInAttempt.username == username)).one()
    return Failures(account_from_address=pair, from_address=by_address,
                    account=by_account or 0,
                    last_on_account=None if last is None else aware(last))


def claim_totp_step(session: Session, user_id: int, step: int) -> bool:
    """Record a one-time code's time step as accepted, unless this step or a later one
    was accepted already (one statement, so two requests cannot both use one code)."""
    result = session.execute(
        update(User)
        .where(User.id == user_id,
               or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session="fetch"))
    return bool(getattr(result, "rowcount", 0) == 1)


def session_by_secret_hash(session: Session, secret_hash: str) -> WebSession | None:
    """The page session whose secret hashes to this value."""
    stmt = select(WebSession).where(WebSession.secret_hash == secret_hash)
    return session.scalars(stmt).one_or_none()


def token_by_secret_hash(session: Session, secret_hash: str) -> ApiToken | None:
    """The API token whose secret hashes to this value."""
    return session.scalars(select(ApiToken).where(ApiToken.secret_hash == secret_hash)
                           ).one_or_none()


def tokens_of(session: Session, user_id: int) -> Sequence[ApiToken]:
    """A user's API tokens, newest first."""
    return session.scalars(select(ApiToken).where(ApiToken.user_id == user_id)
                           .order_by(ApiToken.id.desc())).all()


def live_sessions(session: Session, user_id: int) -> Sequence[WebSession]:
    """A user's page sessions not yet revoked."""
    return session.scalars(select(WebSession).where(
        WebSession.user_id == user_id, WebSession.revoked_at.is_(None))).all()


def live_tokens(session: Session, user_id: int) -> Sequence[ApiToken]:
    """A user's API tokens not yet revoked."""
    return session.scalars(select(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))).all()


def search_audit(session: Session, *, person_id: int | None, username: str | None,
                 since: datetime | None, until: datetime | None, limit: int,
                 offset: int) -> Sequence[AuditEntry]:
    """Audit entries matching the filters, newest first."""
    stmt = select(AuditEntry)
    if person_id is not None:
        listed = select(AuditPerson.entry_id).where(AuditPerson.person_id == person_id)
        stmt = stmt.where(or_(AuditEntry.person_id == person_id, AuditEntry.id.in_(listed)))
    if username:
        stmt = stmt.where(AuditEntry.username == username)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.at < until)
    stmt = stmt.order_by(AuditEntry.at.desc(), AuditEntry.id.desc()).limit(limit).offset(offset)
    return session.scalars(stmt).all()


def add_audit_people(session: Session, entry_id: int, people: Iterable[int]) -> None:
    """Name the residents an audit entry returned (one row each, appended)."""
    rows = [{"entry_id": entry_id, "person_id": p} for p in sorted(set(people))]
    if rows:
        session.execute(insert(AuditPerson), rows)


def audit_people(session: Session, entry_ids: Sequence[int]) -> dict[int, list[int]]:
    """The residents listed by each audit entry, by entry id."""
    found: dict[int, list[int]] = {}
    for start in range(0, len(entry_ids), 10_000):
        chunk = list(entry_ids[start:start + 10_000])
        for entry_id, person_id in session.execute(
                select(AuditPerson.entry_id, AuditPerson.person_id)
                .where(AuditPerson.entry_id.in_(chunk))
                .order_by(AuditPerson.entry_id, AuditPerson.person_id)):
            found.setdefault(entry_id, []).append(person_id)
    return found


def _ended_sessions(cutoff: datetime) -> ColumnElement[bool]:
    return or_(WebSession.expires_at < cutoff, WebSession.revoked_at < cutoff)


def _ended_tokens(cutoff: datetime) -> ColumnElement[bool]:
    return or_(ApiToken.expires_at < cutoff, ApiToken.revoked_at < cutoff)


def _old_attempts(cutoff: datetime) -> ColumnElement[bool]:
    return and_(SignInAttempt.at < cutoff, SignInAttempt.address != REMOVED)


RETENTION_POLICIES = [
    RetentionPolicy("auth.sessions", "page sessions that ended", WebSession,
                    _ended_sessions, "delete"),
    RetentionPolicy("auth.tokens", "API tokens that expired or were revoked",
                    ApiToken, _ended_tokens, "delete"),
    RetentionPolicy("auth.sign_in_attempts", "sign-in attempts: who and from where",
                    SignInAttempt, _old_attempts, "pseudonymise",
                    {"username": REMOVED, "address": REMOVED}),
]
