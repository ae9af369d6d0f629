"""Who may see what, where: area paths, area filters, permissions and the caller.

The kit defines the interface; `auth` implements the caller (grants held over areas)
and `geography` says where a record lives. Domains import only this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from epidesk.kit.i18n import _, _l, label

# Permissions are "<domain>.<verb>". Medical details (test results, clinical data) are
# a separate permission so that, for instance, auditors see who read a record without
# seeing what it holds.
PEOPLE_READ = "people.read"
PEOPLE_WRITE = "people.write"
PLACES_READ = "places.read"
MEDICAL_READ = "medical.read"
TESTING_INGEST = "testing.ingest"
CASES_WRITE = "cases.write"
TRACING_RUN = "tracing.run"
ZONING_WRITE = "zoning.write"
ZONING_OVERRIDE = "zoning.override"
QUARANTINE_WRITE = "quarantine.write"
TRANSPORT_WRITE = "transport.write"
SUPPLIES_WRITE = "supplies.write"
HOTLINE_WRITE = "hotline.write"
VACCINATION_WRITE = "vaccination.write"
VACCINATION_READ = "vaccination.read"
VACCINATION_BOOK = "vaccination.book"
CERTIFICATES_MANAGE = "certificates.manage"
HOTLINE_SUPERVISE = "hotline.supervise"
DELIVERY_CONFIRM = "supplies.deliver"
MESSAGES_SEND = "messages.send"
PUBLICATION_RUN = "transparency.publish"
AUDIT_READ = "audit.read"
USERS_MANAGE = "users.manage"
RETENTION_RUN = "retention.run"

PERMISSIONS: dict[str, str] = {
    PEOPLE_READ: "see residents, households and their memberships",
    PEOPLE_WRITE: "correct residents' and households' records",
    PLACES_READ: "browse districts, communities, buildings and addresses",
    MEDICAL_READ: "see test results, cases and clinical details",
    TESTING_INGEST: "ingest laboratory batches",
    CASES_WRITE: "create, reclassify and withdraw cases",
    TRACING_RUN: "classify contacts and record exposures",
    ZONING_WRITE: "declare, step down and lift risk zones",
    ZONING_OVERRIDE: "draw a zone wider than the preset allows, with a reason",
    QUARANTINE_WRITE: "manage facilities, orders, placements and release",
    TRANSPORT_WRITE: "plan and track transfers",
    SUPPLIES_WRITE: "manage requests, depots and deliveries",
    HOTLINE_WRITE: "take and resolve hotline tickets",
    VACCINATION_WRITE: "record doses, manage sites, stock and campaigns",
    VACCINATION_READ: "see vaccination records (doses, deferrals, appointments)",
    VACCINATION_BOOK: "book a dose on a resident's behalf (shows only what may be booked now)",
    CERTIFICATES_MANAGE: "issue certificates and manage signer keys",
    HOTLINE_SUPERVISE: "take escalated tickets and decide appeals",
    DELIVERY_CONFIRM: "confirm or fail deliveries at the door",
    MESSAGES_SEND: "work the call list and printed notices of outbound messages",
    PUBLICATION_RUN: "run the public publication on demand",
    AUDIT_READ: "search and export the audit log",
    USERS_MANAGE: "create, disable and grant roles to users",
    RETENTION_RUN: "run the retention job",
}


@dataclass(frozen=True)
class AreaPath:
    """Where a record lives: its district, subdistrict and community."""

    district_id: int
    subdistrict_id: int
    community_id: int


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


class Caller(Protocol):
    """Who is calling, as every domain sees them (auth's Principal implements it)."""

    @property
    def user_id(self) -> int:
        """The user's id."""
        ...

    @property
    def username(self) -> str:
        """The user's name, as recorded on what they write."""
        ...

    def can(self, permission: str) -> bool:
        """Whether the caller holds the permission somewhere."""
        ...

    def area_for(self, permission: str) -> AreaFilter:
        """The areas where the permission holds."""
        ...

    def may(self, permission: str, path: AreaPath) -> bool:
        """Whether the permission holds for a record at path."""
        ...


@dataclass(frozen=True)
class LocalOperator:
    """The caller behind a command run on the server itself: every permission, everywhere
    (whoever can run commands there can read the database directly anyway)."""

    username: str = "cli"
    user_id: int = 0

    def can(self, permission: str) -> bool:
        """Every permission."""
        return True

    def area_for(self, permission: str) -> AreaFilter:
        """The whole city."""
        return AreaFilter(everywhere=True)

    def may(self, permission: str, path: AreaPath) -> bool:
        """Everywhere."""
        return True


def shows(caller: Caller, permission: str, path: AreaPath | None) -> bool:
    """Whether a record embedded in another (evidence, a list's line) may be named to the
    caller: only inside the caller's area. Else name it `outside(...)`, or leave it out."""
    return path is not None and caller.may(permission, path)


# How a record the caller may not see is named, by kind, in the reader's language.
OUTSIDE: dict[str, Any] = {
    "case": _l("a case outside your area"),
    "resident": _l("a resident outside your area"),
}


def outside(what: str) -> str:
    """How a record the caller may not see is named: "a case outside your area" (no id,
    no name)."""
    if what in OUTSIDE:
        return str(OUTSIDE[what])
    return _("a %(what)s outside your area", what=label(what))
