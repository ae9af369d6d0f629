"""Accounts, sign-in, sessions, tokens and the audit log against both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError
from sqlalchemy.orm import Session

from epidesk.auth import service
from epidesk.auth.rules import SessionLifetimes, SignInLimits
from epidesk.errors import (
    AuthenticationError,
    ConflictError,
    NotFoundError,
    TooManyRequestsError,
    ValidationFailedError,
)

PASSWORD = "a long enough passphrase"


def make(db: Session, name: str = "ann", role: str = "epidemiologist"):  # type: ignore[no-untyped-def]
    user = service.create_user(db, username=name, display_name=name, password=PASSWORD)
    service.grant_role(db, username=name, role=role, granted_by="test")
    return user


def test_passwords_are_hashed_with_argon2(db: Session) -> None:
    user = make(db)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_duplicate_and_weak_accounts_are_refused(db: Session) -> None:
    make(db)
    with pytest.raises(ConflictError, match="exists already"):
        service.create_user(db, username="ANN", display_name="", password=PASSWORD)
    with pytest.raises(ValidationFailedError, match="at least 12"):
        service.create_user(db, username="bob", display_name="", password="short")
    with pytest.raises(ValidationFailedError, match="may hold only"):
        service.create_user(db, username="bob smith", display_name="", password=PASSWORD)


def test_grants_check_role_and_area(db: Session) -> None:
    make(db)
    with pytest.raises(ValidationFailedError, match="unknown role"):
        service.grant_role(db, username="ann", role="mayor", granted_by="t")
    with pytest.raises(NotFoundError, match="no community with id 999999"):
        service.grant_role(db, username="ann", role="community_worker",
                           scope_kind="community", scope_id=999999, granted_by="t")
    with pytest.raises(NotFoundError, match="no user named"):
        service.grant_role(db, username="nobody", role="auditor", granted_by="t")


def test_sign_in_and_session_lifecycle(db: Session) -> None:
    make(db)
    t0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    life = SessionLifetimes(absolute=timedelta(hours=12), idle=timedelta(minutes=30))
    result = service.sign_in(db, username="Ann", password=PASSWORD, address="10.0.0.1",
                             lifetimes=life, at=t0)
    assert result.principal.username == "ann"
    assert "epidemiologist" in result.principal.roles
    # Activity slides the idle deadline.
    found = service.resolve_session(db, result.secret, lifetimes=life,
                                    at=t0 + timedelta(minutes=20))
    assert found is not None
    assert service.resolve_session(db, result.secret, lifetimes=life,
                                   at=t0 + timedelta(minutes=45)) is not None
    # Idle for longer than 30 minutes: gone.
    assert service.resolve_session(db, result.secret, lifetimes=life,
                                   at=t0 + timedelta(minutes=80)) is None
    assert service.resolve_session(db, "not-the-secret", at=t0) is None


def test_sessions_expire_absolutely(db: Session) -> None:
    make(db)
    t0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    life = SessionLifetimes(absolute=timedelta(hours=1), idle=timedelta(minutes=50))
    secret = service.sign_in(db, username="ann", password=PASSWORD, address="a",
                             lifetimes=life, at=t0).secret
    assert service.resolve_session(db, secret, lifetimes=life, at=t0 + timedelta(minutes=40))
    assert service.resolve_session(db, secret, lifetimes=life,
                                   at=t0 + timedelta(minutes=61)) is None


def test_wrong_unknown_and_disabled_all_look_the_same(db: Session) -> None:
    make(db)
    messages = set()
    for username, password in [("ann", "wrong password!!"), ("nobody", PASSWORD)]:
        with pytest.raises(AuthenticationError) as info:
            service.sign_in(db, username=username, password=password, address="a")
        messages.add(info.value.detail)
    service.set_disabled(db, username="ann", disabled=True)
    with pytest.raises(AuthenticationError) as info:
        service.sign_in(db, username="ann", password=PASSWORD, address="a")
    messages.add(info.value.detail)
    assert len(messages) == 1


def test_guessing_slows_the_guesser_without_locking_the_owner_out(db: Session) -> None:
    make(db)
    make(db, "bob")
    limits = SignInLimits(per_account=3, per_address=5, wait_after=3,
                          max_wait=timedelta(seconds=30))
    t0 = datetime(2026, 3, 1, tzinfo=UTC)
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            service.sign_in(db, username="ann", password="bad password!!", address="x",
                            limits=limits, at=t0)
    # The guessing address is refused for this account, even with the right password...
    with pytest.raises(TooManyRequestsError, match="account from this address"):
        service.sign_in(db, username="ann", password=PASSWORD, address="x", limits=limits,
                        at=t0 + timedelta(minutes=1))
    # ...while the owner, elsewhere, gets in once a short wait has passed.
    with pytest.raises(TooManyRequestsError, match="wait 1 s"):
        service.sign_in(db, username="ann", password=PASSWORD, address="y", limits=limits,
                        at=t0)
    assert service.sign_in(db, username="ann", password=PASSWORD, address="y", limits=limits,
                           at=t0 + timedelta(seconds=2))
    # The guessing address is free again once the window has passed.
    later = t0 + limits.window + timedelta(seconds=1)
    assert service.sign_in(db, username="ann", password=PASSWORD, address="x", limits=limits,
                           at=later)
    # One address guessing across accounts is stopped too.
    for name in ("bob", "carl", "dora", "emil", "fay"):
        with pytest.raises((AuthenticationError, TooManyRequestsError)):
            service.sign_in(db, username=name, password="bad password!!", address="z",
                            limits=limits, at=later)
    with pytest.raises(TooManyRequestsError, match="from this address"):
        service.sign_in(db, username="bob", password=PASSWORD, address="z", limits=limits,
                        at=later)


def test_a_new_password_ends_sessions_and_tokens_but_a_users_own_change_keeps_theirs(
        db: Session) -> None:
    user = make(db)
    kept = service.sign_in(db, username="ann", password=PASSWORD, address="a")
    other = service.sign_in(db, username="ann", password=PASSWORD, address="b")
    token = service.create_token(db, user_id=user.id, name="t")
    new = "another long passphrase 2"
    with pytest.raises(AuthenticationError, match="current password"):
        service.change_password(db, user_id=user.id, current="wrong one!!!!", new=new)
    service.change_password(db, user_id=user.id, current=PASSWORD, new=new,
                            keep=kept.web_session)
    assert kept.web_session.revoked_at is None
    assert other.web_session.revoked_at is not None
    assert token.token.revoked_at is not None
    assert service.resolve_token(db, token.secret) is None
    # An administrator's reset ends every session, the user's own included.
    service.set_password(db, username="ann", password="a third long passphrase")
    assert kept.web_session.revoked_at is not None
    with pytest.raises(AuthenticationError):
        service.sign_in(db, username="ann", password=new, address="a")


def test_disabling_ends_sessions_and_tokens(db: Session) -> None:
    user = make(db)
    secret = service.sign_in(db, username="ann", password=PASSWORD, address="a").secret
    token = service.create_token(db, user_id=user.id, name="etl")
    service.set_disabled(db, username="ann", disabled=True)
    assert service.resolve_session(db, secret) is None
    assert service.resolve_token(db, token.secret) is None


def test_tokens_expire_and_can_be_revoked(db: Session) -> None:
    user = make(db)
    new = service.create_token(db, user_id=user.id, name="etl", days=1)
    assert new.secret.startswith(f"epd_{new.token.prefix}_")
    assert new.token.secret_hash != new.secret
    assert service.resolve_token(db, new.secret) is not None
    assert service.resolve_token(db, new.secret, at=datetime.now(UTC) + timedelta(days=2)) is None
    service.revoke_token(db, user_id=user.id, token_id=new.token.id)
    assert service.resolve_token(db, new.secret) is None
    with pytest.raises(ValidationFailedError):
        service.create_token(db, user_id=user.id, name="x", days=0)
    other = make(db, "bob")
    with pytest.raises(NotFoundError):
        service.revoke_token(db, user_id=other.id, token_id=new.token.id)


def test_audit_log_is_append_only_in_the_database(db: Session) -> None:
    entry = service.record_access(db, principal=None, action="read", record_type="resident",
                                  record_id=1, person_id=1, route="GET /x", address="a")
    with pytest.raises(DatabaseError, match="append-only"), db.begin_nested():
        db.execute(text("UPDATE audit_entry SET username = 'someone' WHERE id = :id"),
                   {"id": entry.id})
    with pytest.raises(DatabaseError, match="append-only"), db.begin_nested():
        db.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": entry.id})
    assert db.execute(text("SELECT username FROM audit_entry WHERE id = :id"),
                      {"id": entry.id}).scalar() == "(public)"


def test_audit_search_and_csv(db: Session, backend: str) -> None:
    ann = service.principal_of(make(db))
    bob = service.principal_of(make(db, "bob"))
    for who, person in [(ann, 7), (bob, 7), (ann, 8)]:
        service.record_access(db, principal=who, action="read", record_type="resident",
                              record_id=person, person_id=person, route="GET /api/people/{id}",
                              address="10.1.1.1", purpose="case investigation")
    assert len(service.search_audit(db, person_id=7)) == 2
    assert [e.person_id for e in service.search_audit(db, username="ann")] == [8, 7]
    future = datetime.now(UTC) + timedelta(hours=1)
    assert service.search_audit(db, since=future) == []
    csv_text = service.audit_csv(service.search_audit(db, person_id=8))
    lines = csv_text.strip().splitlines()
    assert lines[0].startswith("id,at,username,action")
    assert "case investigation" in lines[1] and ",ann," in lines[1]


@pytest.mark.parametrize("purpose", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)",
                                     "\t=1", "\r=1"])
def test_audit_csv_cells_never_start_a_formula(db: Session, purpose: str) -> None:
    import csv
    import io

    ann = service.principal_of(make(db))
    service.record_access(db, principal=ann, action="read", record_type="resident",
                          record_id=5, person_id=5, route="GET /x", address="10.1.1.1",
                          purpose=purpose)
    rows = list(csv.reader(io.StringIO(service.audit_csv(service.search_audit(db, person_id=5)))))
    cells = rows[1]
    assert cells[8] == "'" + purpose
    assert not any(c[:1] in "=+-@" for c in cells if c)


def test_accounts_are_listed_by_page_with_their_count(db: Session, make_user) -> None:  # type: ignore[no-untyped-def]
    for name in ("cleo", "ann", "bob"):
        make_user(name, ["auditor"])
    page = service.list_users(db, limit=2, offset=1)
    assert [u.username for u in page] == ["bob", "cleo"]
    assert [g.role for g in page[0].grants] == ["auditor"]
    counted = service.count_users(db, offset=1, shown=2)
    assert (counted.total, counted.more) == (3, False)
    assert service.count_users(db, shown=1).note() == (
        "showing 1-1 of 3; use --limit/--offset (next: --offset 1)")
