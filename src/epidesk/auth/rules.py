"""Roles, permissions, area scopes and sign-in limits: pure rules, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

# Permissions are "<domain>.<verb>". Medical details (test results, clinical data) are
# a separate permission so that, for instance, auditors see who read a record without
# seeing what it holds.
PERMISSIONS: dict[str, str] = {
    "people.read": "see residents, households and their memberships",
    "people.write": "correct residents' and households' records",
    "places.read": "browse districts, communities, buildings and addresses",
    "medical.read": "see test results, cases and clinical details",
    "testing.ingest": "ingest laboratory batches",
    "cases.write": "create, reclassify and withdraw cases",
    "tracing.run": "classify contacts and record exposures",
    "zoning.write": "declare, step down and lift risk zones",
    "quarantine.write": "manage facilities, orders, placements and release",
    "transport.write": "plan and track transfers",
    "supplies.write": "manage requests, depots and deliveries",
    "hotline.write": "take and resolve hotline tickets",
    "vaccination.write": "book appointments and record doses",
    "audit.read": "search and export the audit log",
    "users.manage": "create, disable and grant roles to users",
    "retention.run": "run the retention job",
}

READ_PEOPLE = ("people.read", "places.read")

ROLES: dict[str, tuple[str, ...]] = {
    "administrator": tuple(PERMISSIONS),
    "epidemiologist": (*READ_PEOPLE, "medical.read", "testing.ingest", "cases.write",
                       "tracing.run"),
    "zoning_officer": (*READ_PEOPLE, "zoning.write"),
    "facility_manager": (*READ_PEOPLE, "quarantine.write"),
    "transport_coordinator": (*READ_PEOPLE, "transport.write"),
    "community_worker": (*READ_PEOPLE, "supplies.write"),
    "hotline_operator": (*READ_PEOPLE, "hotline.write"),
    "vaccinator": (*READ_PEOPLE, "medical.read", "vaccination.write"),
    "auditor": ("places.read", "audit.read"),
}

SCOPE_KINDS = ("city", "district", "subdistrict", "community")


@dataclass(frozen=True)
class AreaPath:
    """Where a record lives: its district, subdistrict and community."""

    district_id: int
    subdistrict_id: int
    community_id: int


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
class AreaFilter:
    """The areas a caller may see for one permission; `everywhere` means no limit."""

    everywhere: bool = False
    district_ids: frozenset[int] = frozenset()
    subdistrict_ids: frozenset[int] = frozenset()
    community_ids: frozenset[int] = frozenset()

    @property
    def nowhere(self) -> bool:
        """True when the caller may see no area at all."""
        return not (self.everywhere or self.district_ids or self.subdistrict_ids
                    or self.community_ids)

    def allows(self, path: AreaPath) -> bool:
        """Whether a record at path lies inside the filter."""
        return (self.everywhere or path.district_id in self.district_ids
                or path.subdistrict_id in self.subdistrict_ids
                or path.community_id in self.community_ids)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a signed-in user (or token holder) with their grants."""

    user_id: int
    username: str
    grants: tuple[Grant, ...] = field(default_factory=tuple)

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
    """How many failed sign-ins are tolerated in a window, per account and per address."""

    window: timedelta = timedelta(minutes=15)
    per_account: int = 5
    per_address: int = 20


def sign_in_blocked(failures_for_account: int, failures_from_address: int,
                    limits: SignInLimits) -> str | None:
    """None when a sign-in may be tried, else why it is refused for now."""
    if failures_for_account >= limits.per_account:
        return "too many failed sign-ins for this account; try again later"
    if failures_from_address >= limits.per_address:
        return "too many failed sign-ins from this address; try again later"
    return None


@dataclass(frozen=True)
class SessionLifetimes:
    """How long a page session lives: absolutely, and without activity."""

    absolute: timedelta = timedelta(hours=12)
    idle: timedelta = timedelta(minutes=30)


def session_expired(now: datetime, expires_at: datetime, idle_expires_at: datetime) -> bool:
    """Whether a session is past either of its deadlines."""
    return now >= expires_at or now >= idle_expires_at
