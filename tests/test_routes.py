"""Every route is classified, signed-out callers are refused, and personal data stays in scope.

A route added later must be listed here: as public, as needing only a signed-in
caller, as staff-only without personal data, or as personal data with a probe that
proves a caller limited to one community cannot list or open another's records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.app import create_app
from tests.factories import TinyCity, tiny_city

PUBLIC = {
    ("GET", "/"), ("GET", "/signin"), ("POST", "/signin"), ("POST", "/signout"),
    ("GET", "/policy"), ("GET", "/policy/diff"), ("GET", "/policy/{name}"),
    ("GET", "/api/policy/presets"), ("GET", "/api/policy/presets/{name}"),
    ("GET", "/api/policy/diff"),
}
# Need a signed-in caller; show only the caller's own account.
OWN_ACCOUNT = {
    ("GET", "/account"), ("POST", "/account/tokens/{token_id}/revoke"),
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
}


@dataclass(frozen=True)
class Probe:
    """How to reach a record (or list) inside and outside the worker's community."""

    url: Callable[[TinyCity, bool], str]
    # For lists: the text that must appear in scope and must not appear out of scope.
    marker: Callable[[TinyCity, bool], str] | None = None


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


PERSONAL: dict[tuple[str, str], Probe] = {
    ("GET", "/people"): Probe(lambda t, i: f"/people?q={_resident_name(t, i)}",
                              lambda t, i: f"/people/{_resident(t, i)}"),
    ("GET", "/api/people"): Probe(lambda t, i: f"/api/people?q={_resident_name(t, i)}",
                                  lambda t, i: f'"id":{_resident(t, i)},'),
    ("GET", "/people/{resident_id}"): Probe(lambda t, i: f"/people/{_resident(t, i)}"),
    ("GET", "/api/people/{resident_id}"): Probe(lambda t, i: f"/api/people/{_resident(t, i)}"),
    ("GET", "/households/{household_id}"): Probe(
        lambda t, i: f"/households/{_household(t, i)}"),
    ("GET", "/api/households/{household_id}"): Probe(
        lambda t, i: f"/api/households/{_household(t, i)}"),
    ("GET", "/places/buildings/{building_id}"): Probe(
        lambda t, i: f"/places/buildings/{_building(t, i)}"),
    ("GET", "/api/places/buildings/{building_id}"): Probe(
        lambda t, i: f"/api/places/buildings/{_building(t, i)}"),
    ("GET", "/places/communities/{community_id}"): Probe(
        lambda t, i: f"/places/communities/{_community(t, i)}"),
    ("GET", "/api/places/communities/{community_id}"): Probe(
        lambda t, i: f"/api/places/communities/{_community(t, i)}"),
}

INFRASTRUCTURE = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/static"}


def routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """Every (method, path) the application answers, through included routers too."""
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        found = list(contexts()) if contexts else [route]
        for r in found:
            path = getattr(r, "path_format", None) or getattr(r, "path", "")
            if path in INFRASTRUCTURE:
                continue
            for method in sorted(getattr(r, "methods", None) or ()):
                if method != "HEAD":
                    yield method, path


ALL_ROUTES = sorted(set(routes(create_app())))


def test_every_route_is_classified() -> None:
    classified = PUBLIC | OWN_ACCOUNT | STAFF | set(PERSONAL)
    unclassified = [r for r in ALL_ROUTES if r not in classified]
    assert not unclassified, (
        f"routes not classified in tests/test_routes.py (add a scope probe for personal "
        f"data): {unclassified}")
    stale = sorted(classified - set(ALL_ROUTES))
    assert not stale, f"classified routes that no longer exist: {stale}"


def _concrete(path: str) -> str:
    import re

    return re.sub(r"\{[^}]+\}", "1", path)


@pytest.mark.parametrize(("method", "path"),
                         [r for r in ALL_ROUTES if r not in PUBLIC])
def test_signed_out_callers_are_refused(anon_client: TestClient, method: str, path: str) -> None:
    api = anon_client.request(method, _concrete(path))
    assert api.status_code == 401, (method, path, api.status_code)
    assert api.headers["content-type"] == "application/problem+json"
    if not path.startswith("/api") and method == "GET":
        page = anon_client.request(method, _concrete(path), headers={"accept": "text/html"})
        assert page.status_code == 303 and page.headers["location"].startswith("/signin")


@pytest.fixture
def worker(db: Session, anon_client: TestClient, bearer) -> tuple[TinyCity, TestClient]:  # type: ignore[no-untyped-def]
    """The tiny city and a client for a community worker limited to its first community."""
    city = tiny_city(db)
    anon_client.headers.update(
        bearer("worker", ["community_worker"], "community", city.communities[0].id))
    return city, anon_client


@pytest.mark.parametrize(("method", "path"), sorted(PERSONAL))
def test_personal_data_stays_inside_the_callers_area(
    worker: tuple[TinyCity, TestClient], method: str, path: str
) -> None:
    city, client = worker
    probe = PERSONAL[(method, path)]
    inside = client.request(method, probe.url(city, True))
    outside = client.request(method, probe.url(city, False))
    assert inside.status_code == 200, (path, inside.text[:300])
    if probe.marker is None:
        assert outside.status_code == 404, (path, outside.status_code)
        # Out of scope reads exactly like a record that does not exist.
        missing = client.request(method, _concrete(path).replace("/1", "/2147483000"))
        assert missing.status_code == 404
        if path.startswith("/api"):
            import re

            def shape(r):  # type: ignore[no-untyped-def]
                body = r.json()
                return body["title"], re.sub(r"\d+", "N", body["detail"])

            assert shape(outside) == shape(missing)
    else:
        assert outside.status_code == 200
        assert probe.marker(city, True) in inside.text
        assert probe.marker(city, False) not in outside.text
