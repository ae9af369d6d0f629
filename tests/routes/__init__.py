"""The route matrix: every route the application answers, classified.

A route is public, needs only a signed-in caller (its own account), is staff-only
without personal data, or shows personal data: then a probe reaches a record (or a
list) inside and outside a worker's community, and `tests/test_routes.py` proves the
worker cannot list or open the other's records, that every person shown is audited,
and that no answer names a record from outside the area.

The sets below hold the first domains' routes; every other domain adds its own in a
module of this package (`tests/routes/<domain>.py`), imported by `load()`.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tests.factories import TinyCity

PUBLIC = {
    ("GET", "/"), ("GET", "/signin"), ("POST", "/signin"), ("POST", "/signout"),
    ("GET", "/policy"), ("GET", "/policy/diff"), ("GET", "/policy/{name}"),
    ("GET", "/api/policy/presets"), ("GET", "/api/policy/presets/{name}"),
    ("GET", "/api/policy/diff"),
    # The browser libraries the platform serves itself (API documentation, charts, maps).
    ("GET", "/assets/{package}/{file}"), ("GET", "/language"),
    # Risk zones as the public sees them (no identities) and the address lookup.
    ("GET", "/zones"), ("GET", "/zones/lookup"), ("GET", "/api/public/zones"),
    ("GET", "/api/public/zones/lookup"),
}
# Need a signed-in caller; show only the caller's own account.
OWN_ACCOUNT = {
    ("GET", "/account"), ("POST", "/account/tokens/{token_id}/revoke"),
    ("GET", "/account/password"), ("POST", "/account/password"),
    ("GET", "/account/totp"), ("POST", "/account/totp"), ("POST", "/account/totp/disable"),
    ("GET", "/api/auth/me"), ("GET", "/api/auth/tokens"), ("POST", "/api/auth/tokens"),
    ("DELETE", "/api/auth/tokens/{token_id}"),
}
# Staff-only, no personal data: the geography above the community and the audit log
# (which has its own permission, tested in tests/auth).
STAFF = {
    ("GET", "/places"), ("GET", "/places/districts/{district_id}"),
    ("GET", "/places/subdistricts/{subdistrict_id}"), ("GET", "/api/places"),
    ("GET", "/api/places/districts"), ("GET", "/api/places/districts/{district_id}"),
    ("GET", "/api/places/subdistricts/{subdistrict_id}"),
    ("GET", "/audit"), ("GET", "/api/audit"), ("GET", "/api/audit.csv"),
    # Contact tracing: runs, visit logs (counts and reports) and the forms that write.
    ("GET", "/tracing"), ("GET", "/tracing/go"), ("POST", "/tracing/runs"),
    ("POST", "/tracing/visit-logs"), ("GET", "/tracing/visit-logs/{log_id}"),
    ("POST", "/tracing/exposures"), ("GET", "/api/tracing/runs"),
    ("POST", "/api/tracing/runs"), ("POST", "/api/tracing/visit-logs"),
    ("GET", "/api/tracing/visit-logs/{log_id}"), ("POST", "/api/tracing/exposures"),
    # Testing: lab batches with their reports (the tube lists are probed below), the
    # upload forms, and finders that redirect to a probed record.
    ("GET", "/testing"), ("POST", "/testing/batches"),
    ("GET", "/testing/tubes"), ("GET", "/testing/residents"),
    ("GET", "/api/testing/batches"), ("GET", "/api/testing/batches/{batch_id}"),
    ("POST", "/api/testing/batches"),
    # The command centre: aggregates of the reader's area, no person named.
    ("GET", "/overview"), ("GET", "/api/overview"),
    # The form to register a person (empty: the household is typed in).
    ("GET", "/people/new"),
    # The daily bulletin: counts by district.
    ("GET", "/cases/bulletin"), ("GET", "/cases/bulletin.csv"),
    ("GET", "/api/cases/bulletin"), ("GET", "/api/cases/bulletin.csv"),
    # Risk zones: areas, levels and counts of the reader's area (case ids only for readers
    # of medical details), the footprint, the daily job and the forms that change a zone.
    ("GET", "/zones/staff"), ("GET", "/zones/staff/{zone_id}"),
    ("POST", "/zones/staff/{zone_id}/area"), ("GET", "/api/zones"),
    ("GET", "/api/zones/footprint"), ("GET", "/api/zones/households"),
    ("POST", "/api/zones/step-down"), ("GET", "/api/zones/{zone_id}"),
    ("POST", "/api/zones/{zone_id}/area"),
}


@dataclass(frozen=True)
class Probe:
    """How to reach a record (or list) inside and outside the worker's community."""

    url: Callable[[TinyCity, bool], str]
    # For lists: the text that must appear in scope and must not appear out of scope.
    marker: Callable[[TinyCity, bool], str] | None = None
    # For posts: the JSON body, or the form fields (a CSRF token is added to forms); a
    # callable gets (city, inside) and makes the body for each side.
    json: dict[str, Any] | Callable[[TinyCity, bool], dict[str, Any]] | None = None
    form: dict[str, str] | Callable[[TinyCity, bool], dict[str, str]] | None = None
    # The answer inside the area, and outside it for a record named in the body rather
    # than the path (422 naming the field, as for one that does not exist).
    ok: int = 200
    refused: int = 404


def _resident(t: TinyCity, inside: bool) -> int:
    community = t.communities[0 if inside else 1]
    return next(r.id for r in t.residents.values() if r.community_id == community.id)


def _resident_name(t: TinyCity, inside: bool) -> str:
    community = t.communities[0 if inside else 1]
    return next(r.name_search for r in t.residents.values() if r.community_id == community.id)


def _household(t: TinyCity, inside: bool) -> int:
    community = t.communities[0 if inside else 1]
    return next(h.id for h in t.households.values() if h.community_id == community.id)


def _building(t: TinyCity, inside: bool) -> int:
    community = t.communities[0 if inside else 1]
    return next(b.id for b in t.buildings if b.community_id == community.id)


def _community(t: TinyCity, inside: bool) -> int:
    return t.communities[0 if inside else 1].id


PERSONAL: dict[tuple[str, str], Probe] = {}


def load() -> None:
    """Import every domain's module of the matrix (each adds its routes)."""
    for found in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{found.name}")
