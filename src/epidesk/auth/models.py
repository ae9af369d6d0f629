"""Users, role grants with area scopes, sessions, API tokens, sign-in attempts, audit log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epidesk.db import Base, UtcDateTime


class User(Base):
    """A staff account."""

    __tablename__ = "auth_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    password_changed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # One-time codes (TOTP): the secret shared with the authenticator app (pending until
    # confirmed with a code; never shown again after that), and the last time step
    # accepted, so that no code is accepted twice. The secret is stored sealed under the
    # secret key (epidesk.kit.sealing), never in clear.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(Integer)

    grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="RoleGrant.id"
    )


class RoleGrant(Base):
    """A role held by a user, limited to an area (city-wide when scope_kind is 'city')."""

    __tablename__ = "auth_role_grant"
    __table_args__ = (UniqueConstraint("user_id", "role", "scope_kind", "scope_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_user.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    # "city", "district", "subdistrict" or "community"; scope_id names the area row.
    scope_kind: Mapped[str] = mapped_column(String(16))
    scope_id: Mapped[int | None] = mapped_column(Integer)
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime())
    granted_by: Mapped[str] = mapped_column(String(64))

    user: Mapped[User] = relationship(back_populates="grants")


class WebSession(Base):
    """A signed-in browser session; the cookie holds a secret whose hash is stored here."""

    __tablename__ = "auth_session"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_user.id"), index=True)
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    idle_expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    address: Mapped[str] = mapped_column(String(64))
    # Whether the sign-in (or an enrolment in this session) passed a one-time code.
    second_factor: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship()


class ApiToken(Base):
    """A bearer token for the API; only its hash is stored."""

    __tablename__ = "auth_api_token"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("auth_user.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    user: Mapped[User] = relationship()


class SignInAttempt(Base):
    """One sign-in attempt, kept for rate limiting per account and per address."""

    __tablename__ = "auth_sign_in_attempt"
    __table_args__ = (
        Index("ix_auth_sign_in_attempt_username_at", "username", "at"),
        Index("ix_auth_sign_in_attempt_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    succeeded: Mapped[bool] = mapped_column(Boolean)


class AuditEntry(Base):
    """One read or change of personal data: who, when, what, where and why. Append-only."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_at", "at"),
        Index("ix_audit_entry_person_id_at", "person_id", "at"),
        Index("ix_audit_entry_user_id_at", "user_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))  # read, create, update, delete, export
    record_type: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[str] = mapped_column(String(64))
    # The resident whose data it is, when there is one.
    person_id: Mapped[int | None] = mapped_column(Integer)
    route: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str | None] = mapped_column(Text)
    address: Mapped[str] = mapped_column(String(64))


class AuditPerson(Base):
    """A resident a read or change returned: every person of a list, in its one entry.

    Append-only, like the entries it belongs to.
    """

    __tablename__ = "audit_person"
    __table_args__ = (
        Index("ix_audit_person_person_id", "person_id"),
    )

    entry_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
