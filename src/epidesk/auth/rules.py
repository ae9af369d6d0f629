"""Roles, permissions, area scopes and sign-in limits: pure rules, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from epidesk.kit import i18n
from epidesk.kit.access import (
    AUDIT_READ,
    CASES_WRITE,
    CERTIFICATES_MANAGE,
    DELIVERY_CONFIRM,
    HOTLINE_SUPERVISE,
    HOTLINE_WRITE,
    MEDICAL_READ,
    MESSAGES_SEND,
    PEOPLE_READ,
    PEOPLE_WRITE,
    PERMISSIONS,
    PLACES_READ,
    QUARANTINE_WRITE,
    SUPPLIES_WRITE,
    TESTING_INGEST,
    TRACING_RUN,
    TRANSPORT_WRITE,
    VACCINATION_BOOK,
    VACCINATION_READ,
    VACCINATION_WRITE,
    ZONING_WRITE,
    AreaFilter,
    AreaPath,
)
from epidesk.kit.i18n import _, _l

READ_PEOPLE = (PEOPLE_READ, PLACES_READ)

ROLES: dict[str, tuple[str, ...]] = {
    "administrator": tuple(PERMISSIONS),
    "epidemiologist": (*READ_PEOPLE, MEDICAL_READ, TESTING_INGEST, CASES_WRITE, TRACING_RUN),
    "zoning_officer": (*READ_PEOPLE, ZONING_WRITE),
    "facility_manager": (*READ_PEOPLE, QUARANTINE_WRITE),
    "transport_coordinator": (*READ_PEOPLE, TRANSPORT_WRITE),
    "community_worker": (*READ_PEOPLE, PEOPLE_WRITE, SUPPLIES_WRITE, DELIVERY_CONFIRM,
                         MESSAGES_SEND, VACCINATION_BOOK),
    "hotline_operator": (*READ_PEOPLE, HOTLINE_WRITE, MESSAGES_SEND, VACCINATION_BOOK),
    "hotline_supervisor": (*READ_PEOPLE, HOTLINE_WRITE, HOTLINE_SUPERVISE, MESSAGES_SEND),
    "volunteer": (DELIVERY_CONFIRM,),
    "vaccinator": (*READ_PEOPLE, MEDICAL_READ, VACCINATION_WRITE, VACCINATION_READ,
                   CERTIFICATES_MANAGE),
    "auditor": (PLACES_READ, AUDIT_READ),
}
ROLE_LABELS = i18n.register_labels("role", {
    "administrator": _l("administrator"),
    "epidemiologist": _l("epidemiologist"),
    "zoning_officer": _l("zoning officer"),
    "facility_manager": _l("facility manager"),
    "transport_coordinator": _l("transport coordinator"),
    "community_worker": _l("community worker"),
    "hotline_operator": _l("hotline operator"),
    "hotline_supervisor": _l("hotline supervisor"),
    "volunteer": _l("delivery volunteer"),
    "vaccinator": _l("vaccinator"),
    "auditor": _l("auditor"),
})
SCOPE_LABELS = i18n.register_labels("scope", {
    "city": _l("whole city"), "district": _l("district"), "subdistrict": _l("subdistrict"),
    "community": _l("community"),
})

SCOPE_KINDS = ("city", "district", "subdistrict", "community")


@dataclass(frozen=True)
class Grant:
    """A role held over an area; scope_id is None for the whole city."""

    role: str
    scope_kind: str
    scope_id: int | None

    def covers(self, path: AreaPath) -> bool:
        """Whether this grant's area contains the record's area."""
        if self.scope_kind == "city":
            return True
        if self.scope_kind == "district":
            return path.district_id == self.scope_id
        if self.scope_kind == "subdistrict":
            return path.subdistrict_id == self.scope_id
        return path.community_id == self.scope_id


@dataclass(frozen=True)
class Principal:
    """Who is calling: a signed-in user (or token holder) with their grants."""

    user_id: int
    username: str
    grants: tuple[Grant, ...] = field(default_factory=tuple)
    # Why this caller may only set up one-time codes (None: signed in fully).
    limited: str | None = None

    @property
    def roles(self) -> frozenset[str]:
        """The roles held, whatever their areas."""
        return frozenset(g.role for g in self.grants)

    def can(self, permission: str) -> bool:
        """Whether any grant gives the permission (somewhere)."""
        return any(permission in ROLES.get(g.role, ()) for g in self.grants)

    def area_for(self, permission: str) -> AreaFilter:
        """The areas where the permission holds."""
        grants = [g for g in self.grants if permission in ROLES.get(g.role, ())]
        if any(g.scope_kind == "city" for g in grants):
            return AreaFilter(everywhere=True)

        def ids(kind: str) -> frozenset[int]:
            return frozenset(g.scope_id for g in grants
                             if g.scope_kind == kind and g.scope_id is not None)

        return AreaFilter(district_ids=ids("district"), subdistrict_ids=ids("subdistrict"),
                          community_ids=ids("community"))

    def may(self, permission: str, path: AreaPath) -> bool:
        """Whether the permission holds for a record at path."""
        return self.area_for(permission).allows(path)


def permissions_of(roles: list[str] | tuple[str, ...] | frozenset[str]) -> frozenset[str]:
    """The union of the permissions of the given roles."""
    return frozenset(p for r in roles for p in ROLES.get(r, ()))


def validate_role(role: str) -> str | None:
    """None when role exists, else the reason it is refused."""
    if role not in ROLES:
        return f"unknown role {role!r}; roles: {', '.join(ROLES)}"
    return None


def validate_scope(scope_kind: str, scope_id: int | None) -> str | None:
    """None when the scope is well-formed, else the reason it is refused."""
    if scope_kind not in SCOPE_KINDS:
        return f"unknown scope {scope_kind!r}; scopes: {', '.join(SCOPE_KINDS)}"
    if scope_kind == "city" and scope_id is not None:
        return "a city-wide grant names no area id"
    if scope_kind != "city" and scope_id is None:
        return f"a {scope_kind} grant needs the {scope_kind}'s id"
    return None


MIN_PASSWORD_LENGTH = 12


def password_problem(password: str, username: str) -> str | None:
    """None when the password is acceptable, else what is wrong with it."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"a password needs at least {MIN_PASSWORD_LENGTH} characters"
    if username.lower() in password.lower():
        return "a password must not contain the username"
    if len(set(password)) < 5:
        return "a password needs at least 5 different characters"
    return None


@dataclass(frozen=True)
class SignInLimits:
    """How failed sign-ins slow down guessing without locking the owner out.

    An address that keeps failing on one account (or on many) is refused for the window;
    an account failing from many addresses makes every further try wait a little longer
    (doubling, at most `max_wait`) after its last failure, so the owner always gets in.
    """

    window: timedelta = timedelta(minutes=15)
    per_account: int = 5  # failures on one account from one address
    per_address: int = 20  # failures from one address, whatever the accounts
    wait_after: int = 5  # failures on one account, from anywhere, before tries must wait
    max_wait: timedelta = timedelta(seconds=30)


@dataclass(frozen=True)
class Failures:
    """Failed sign-ins in the window that concern one attempt."""

    account_from_address: int
    from_address: int
    account: int
    last_on_account: datetime | None


def account_wait(failures: int, limits: SignInLimits) -> timedelta:
    """How long after its last failure an account can be tried again."""
    if failures < limits.wait_after:
        return timedelta(0)
    doubled = timedelta(seconds=2 ** min(failures - limits.wait_after, 16))
    return min(doubled, limits.max_wait)


def sign_in_blocked(failures: Failures, limits: SignInLimits, now: datetime) -> str | None:
    """None when a sign-in may be tried now, else why it is refused for the moment."""
    if failures.account_from_address >= limits.per_account:
        return "too many failed sign-ins for this account from this address; try again later"
    if failures.from_address >= limits.per_address:
        return "too many failed sign-ins from this address; try again later"
    if failures.last_on_account is not None:
        ready = failures.last_on_account + account_wait(failures.account, limits)
        if now < ready:
            seconds = max(1, int((ready - now).total_seconds() + 0.999))
            return _("this account had several failed sign-ins; wait %(seconds)d s before "
                     "trying again", seconds=seconds)
    return None


@dataclass(frozen=True)
class SessionLifetimes:
    """How long a page session lives: absolutely, and without activity."""

    absolute: timedelta = timedelta(hours=12)
    idle: timedelta = timedelta(minutes=30)


def session_expired(now: datetime, expires_at: datetime, idle_expires_at: datetime) -> bool:
    """Whether a session is past either of its deadlines."""
    return now >= expires_at or now >= idle_expires_at
