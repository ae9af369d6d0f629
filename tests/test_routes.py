"""Every route is classified, signed-out callers are refused, and personal data stays in scope.

A route added later must be listed here: as public, as needing only a signed-in
caller, as staff-only without personal data, or as personal data with a probe that
proves a caller limited to one community cannot list or open another's records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.app import create_app
from epidesk.auth.deps import PRESESSION_COOKIE
from tests.factories import TinyCity, tiny_city
from tests.people.probes import other as _other
from tests.people.probes import other_household as _other_household
from tests.people.probes import registration as _registration
from tests.people.probes import twins as _twins

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
    # Anonymised trajectories: places and time windows, never a case or a person.
    ("GET", "/public/trajectories"), ("GET", "/public/trajectories/map"),
    ("GET", "/api/public/trajectories"), ("GET", "/public/trajectories.{suffix}"),
    # The published public figures and open-data files (aggregates, no identities).
    ("GET", "/public"), ("GET", "/public/districts"), ("GET", "/public/changes"),
    ("GET", "/public/snapshots"), ("GET", "/public/snapshots/{day}"), ("GET", "/public/data"),
    ("GET", "/public/data/latest/{name}"), ("GET", "/public/data/{day}/v{version}/{name}"),
    ("GET", "/api/public/data"),
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
    # The publication of the public figures: the list of publications and the run.
    ("GET", "/transparency"), ("POST", "/transparency/publish"),
    ("POST", "/api/transparency/publications"),
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


_MERGE_REASON = "the same person, entered twice"

PERSONAL.update({
    ("POST", "/api/people"): Probe(lambda t, i: "/api/people", json=_registration, ok=201,
                                   refused=422),
    ("POST", "/people/new"): Probe(
        lambda t, i: "/people/new", refused=422,
        form=lambda t, i: {k: str(v) for k, v in _registration(t, i).items()}),
    ("GET", "/people/duplicates"): Probe(lambda t, i: (_twins(t), "/people/duplicates")[1],
                                         lambda t, i: f"/people/{_twins(t)[i]}\""),
    ("GET", "/api/people/duplicates"): Probe(
        lambda t, i: (_twins(t), "/api/people/duplicates")[1],
        lambda t, i: f'"id":{_twins(t)[i]},'),
    ("GET", "/people/{resident_id}/merge"): Probe(
        lambda t, i: f"/people/{_resident(t, i)}/merge?other={_other(t)}"),
    ("POST", "/people/{resident_id}/merge"): Probe(
        lambda t, i: f"/people/{_resident(t, i)}/merge",
        form=lambda t, i: {"other_id": str(_other(t)), "reason": _MERGE_REASON,
                           "confirm": "1"}),
    ("POST", "/api/people/{resident_id}/merge"): Probe(
        lambda t, i: f"/api/people/{_resident(t, i)}/merge",
        json=lambda t, i: {"other_id": _other(t), "reason": _MERGE_REASON}),
    ("POST", "/people/{resident_id}/moves"): Probe(
        lambda t, i: f"/people/{_resident(t, i)}/moves",
        form=lambda t, i: {"household_id": str(_other_household(t)), "moved_on": "2026-11-30"}),
    ("POST", "/api/people/{resident_id}/moves"): Probe(
        lambda t, i: f"/api/people/{_resident(t, i)}/moves",
        json=lambda t, i: {"household_id": _other_household(t), "moved_on": "2026-11-30"}),
})


def _medical_grant(t: TinyCity) -> None:
    """Give the worker the epidemiologist role over its community (once)."""
    if getattr(t, "medical", False):
        return
    from sqlalchemy.orm import object_session

    from epidesk.auth import service as auth

    session = object_session(t.city)
    assert session is not None
    auth.grant_role(session, username="worker", role="epidemiologist", scope_kind="community",
                    scope_id=t.communities[0].id, granted_by="test")
    t.medical = True  # type: ignore[attr-defined]


def _tested(t: TinyCity) -> dict[str, int]:
    """A lab batch with a positive single tube for a resident of each of the first two
    communities (so each has a case) and a positive pool of both (so both get retests)."""
    found: dict[str, int] | None = getattr(t, "tested", None)
    if found is not None:
        return found
    from sqlalchemy import select
    from sqlalchemy.orm import object_session

    from epidesk.cases import service as cases
    from epidesk.cases.models import CaseEpisode
    from epidesk.testing.models import Tube
    from tests.testing.batches import csv_bytes, pool, single

    session = object_session(t.city)
    assert session is not None
    _medical_grant(t)
    inside, outside = _resident(t, True), _resident(t, False)
    others = [r.id for r in t.residents.values() if r.id not in (inside, outside)]
    # Barcodes of digits only, so that an unknown one reads the same (see the probe).
    rows = [single("RS-IN", inside, tube="7001", outcome="positive", ct=(24.0, 25.0)),
            single("RS-OUT", outside, tube="7002", outcome="positive", ct=(24.0, 25.0)),
            *pool("RP-1", [inside, outside, *others[:3]], outcome="positive",
                  ct=(30.0, 31.0))]
    result = cases.ingest_results(session, content=csv_bytes(rows), filename="routes.csv",
                                  received_by="test")
    assert result.accepted, result.report
    tubes = {code: i for code, i in session.execute(select(Tube.code, Tube.id))}
    episodes = {r: i for r, i in session.execute(select(CaseEpisode.resident_id,
                                                         CaseEpisode.id))}
    found = {"tube_inside": tubes["7001"], "tube_outside": tubes["7002"],
             "case_inside": episodes[inside], "case_outside": episodes[outside],
             "batch": result.batch.id}
    t.tested = found  # type: ignore[attr-defined]
    return found


def _tube(t: TinyCity, inside: bool) -> int:
    return _tested(t)["tube_inside" if inside else "tube_outside"]


def _tube_code(t: TinyCity, inside: bool) -> str:
    return (_tested(t), "7001" if inside else "7002")[1]


def _reported(t: TinyCity, inside: bool) -> int:
    return _tested(t)["case_inside" if inside else "case_outside"]


def _tested_resident(t: TinyCity, inside: bool) -> int:
    return (_tested(t), _resident(t, inside))[1]


PERSONAL.update({
    # A tube with no sample inside the caller's area does not exist for the caller.
    ("GET", "/testing/tubes/{tube_id}"): Probe(lambda t, i: f"/testing/tubes/{_tube(t, i)}"),
    ("GET", "/api/testing/tubes/{tube_id}"): Probe(
        lambda t, i: f"/api/testing/tubes/{_tube(t, i)}"),
    ("GET", "/api/testing/tubes/by-code/{code}"): Probe(
        lambda t, i: f"/api/testing/tubes/by-code/{_tube_code(t, i)}"),
    # A batch lists only the tubes holding a sample of someone inside the caller's area.
    ("GET", "/testing/batches/{batch_id}"): Probe(
        lambda t, i: f"/testing/batches/{_tested(t)['batch']}",
        lambda t, i: f">{_tube_code(t, i)}</a>"),
    ("GET", "/api/testing/batches/{batch_id}/tubes"): Probe(
        lambda t, i: f"/api/testing/batches/{_tested(t)['batch']}/tubes",
        lambda t, i: f'"code":"{_tube_code(t, i)}"'),
    ("GET", "/testing/residents/{resident_id}"): Probe(
        lambda t, i: f"/testing/residents/{_tested_resident(t, i)}"),
    ("GET", "/api/testing/residents/{resident_id}"): Probe(
        lambda t, i: f"/api/testing/residents/{_tested_resident(t, i)}"),
    ("GET", "/testing/retests"): Probe(
        lambda t, i: (_tested(t), "/testing/retests")[1],
        lambda t, i: f"/testing/residents/{_resident(t, i)}\""),
    ("GET", "/api/testing/retests"): Probe(
        lambda t, i: (_tested(t), "/api/testing/retests")[1],
        lambda t, i: f'"resident_id":{_resident(t, i)},'),
    ("GET", "/cases"): Probe(lambda t, i: (_tested(t), "/cases")[1],
                             lambda t, i: f"/cases/{_reported(t, i)}\""),
    ("GET", "/api/cases"): Probe(lambda t, i: (_tested(t), "/api/cases")[1],
                                 lambda t, i: f'"resident_id":{_resident(t, i)},'),
    ("GET", "/cases/{case_id}"): Probe(lambda t, i: f"/cases/{_reported(t, i)}"),
    ("GET", "/api/cases/{case_id}"): Probe(lambda t, i: f"/api/cases/{_reported(t, i)}"),
    ("POST", "/api/cases/{case_id}/reclassify"): Probe(
        lambda t, i: f"/api/cases/{_reported(t, i)}/reclassify", json={}),
    ("POST", "/api/cases/{case_id}/withdraw"): Probe(
        lambda t, i: f"/api/cases/{_reported(t, i)}/withdraw",
        json={"reason": "false positive: lab contamination"}),
    ("POST", "/cases/{case_id}/reclassify"): Probe(
        lambda t, i: f"/cases/{_reported(t, i)}/reclassify", form={}),
    ("POST", "/cases/{case_id}/withdraw"): Probe(
        lambda t, i: f"/cases/{_reported(t, i)}/withdraw",
        form={"reason": "false positive: lab contamination"}),
})


def _traced(t: TinyCity) -> dict[str, int]:
    """A traced case in each of the first two communities, and the worker's medical grant.

    The worker (a community worker) is also given the epidemiologist role over its
    community, since contacts need the permission 'medical.read'.
    """
    found: dict[str, int] | None = getattr(t, "traced", None)
    if found is not None:
        return found
    from datetime import UTC, date, datetime, timedelta

    from sqlalchemy.orm import object_session

    from epidesk.cases.models import CaseEpisode
    from epidesk.people.models import Resident
    from epidesk.tracing.runs import service as tracing

    session = object_session(t.city)
    assert session is not None
    _medical_grant(t)
    pine = t.households["pine"]
    neighbour = Resident(household_id=pine.id, community_id=pine.community_id,
                         id_number="370811198001019999", name="王强", name_latin="Wang Qiang",
                         name_search="wang qiang", sex="M", birth_date=date(1980, 1, 1),
                         phone=None, has_smartphone=True, pregnant=False, disability=False,
                         chronic_medication=False)
    session.add(neighbour)
    session.flush()
    today = datetime.now(UTC).date()
    cases = {}
    for key, person in (("inside", t.residents["wang_xiulan"]), ("outside", neighbour)):
        community = next(c for c in t.communities if c.id == person.community_id)
        district = next(s.district_id for s in t.subdistricts
                        if s.id == community.subdistrict_id)
        case = CaseEpisode(
            resident_id=person.id, classification="asymptomatic", status="active",
            sampling_date=today - timedelta(days=6), onset_date=None,
            isolation_date=today - timedelta(days=5), reported_on=today - timedelta(days=5),
            diagnosed_at=datetime.now(UTC), recorded_at=datetime.now(UTC),
            asymptomatic_on=today - timedelta(days=5), confirmed_on=None,
            district_id=district, community_id=community.id, imported=False)
        session.add(case)
        session.flush()
        cases[key] = case.id
    tracing.run_tracing(session, actor="test")
    found = {"case_inside": cases["inside"], "case_outside": cases["outside"],
             "contact_inside": t.residents["wang_xiuying"].id,
             "contact_outside": t.residents["wang_fang"].id}
    t.traced = found  # type: ignore[attr-defined]
    return found


def _case(t: TinyCity, inside: bool) -> int:
    return _traced(t)["case_inside" if inside else "case_outside"]


def _contact(t: TinyCity, inside: bool) -> int:
    return _traced(t)["contact_inside" if inside else "contact_outside"]


PERSONAL.update({
    ("GET", "/tracing/cases/{case_id}"): Probe(lambda t, i: f"/tracing/cases/{_case(t, i)}"),
    ("GET", "/api/tracing/cases/{case_id}/contacts"): Probe(
        lambda t, i: f"/api/tracing/cases/{_case(t, i)}/contacts"),
    ("GET", "/tracing/contacts/{resident_id}"): Probe(
        lambda t, i: f"/tracing/contacts/{_contact(t, i)}"),
    ("GET", "/api/tracing/contacts/{resident_id}"): Probe(
        lambda t, i: f"/api/tracing/contacts/{_contact(t, i)}"),
    ("GET", "/tracing/contacts/{resident_id}/letter"): Probe(
        lambda t, i: f"/tracing/contacts/{_contact(t, i)}/letter"),
    ("GET", "/api/tracing/contacts/{resident_id}/letter"): Probe(
        lambda t, i: f"/api/tracing/contacts/{_contact(t, i)}/letter"),
    ("GET", "/tracing/follow-up"): Probe(
        lambda t, i: (_traced(t), "/tracing/follow-up")[1],
        lambda t, i: f"/tracing/contacts/{_contact(t, i)}\""),
    ("GET", "/api/tracing/follow-up/missed"): Probe(
        lambda t, i: (_traced(t), "/api/tracing/follow-up/missed")[1],
        lambda t, i: f'"resident_id":{_contact(t, i)},'),
})

def _zone(t: TinyCity, inside: bool) -> int:
    """The compound zone the ingest of `_tested` drew around each community's case."""
    from sqlalchemy import select
    from sqlalchemy.orm import object_session

    from epidesk.zoning.models import Zone

    _tested(t)
    session = object_session(t.city)
    assert session is not None
    community = t.communities[0 if inside else 1].id
    found = session.scalar(select(Zone.id).where(Zone.area_key == f"compound:{community}"))
    assert found is not None
    return int(found)


PERSONAL.update({
    # A zone's testing round names its residents: only inside the reader's area.
    ("GET", "/api/zones/{zone_id}/round"): Probe(lambda t, i: f"/api/zones/{_zone(t, i)}/round"),
    ("GET", "/zones/staff/{zone_id}/round"): Probe(
        lambda t, i: f"/zones/staff/{_zone(t, i)}/round"),
})

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

    def sent(inside: bool) -> dict[str, Any]:
        found: dict[str, Any] = {}
        if probe.json is not None:
            found["json"] = probe.json(city, inside) if callable(probe.json) else probe.json
        if probe.form is not None:
            client.get("/signin")  # the pre-session cookie a signed-out form carries
            form = probe.form(city, inside) if callable(probe.form) else probe.form
            found["data"] = {**form, "csrf_token": client.cookies.get(PRESESSION_COOKIE)}
            found["follow_redirects"] = True
        return found

    inside = client.request(method, probe.url(city, True), **sent(True))
    outside = client.request(method, probe.url(city, False), **sent(False))
    assert inside.status_code == probe.ok, (path, inside.text[:300])
    if probe.refused != 404:
        assert outside.status_code == probe.refused, (path, outside.status_code)
    elif probe.marker is None:
        assert outside.status_code == 404, (path, outside.status_code)
        # Out of scope reads exactly like a record that does not exist.
        missing = client.request(method, _concrete(path).replace("/1", "/2147483000"),
                                 **sent(True))
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


# ---------------------------------------------------------------- embedded records


def _crossed(t: TinyCity) -> int:
    """An exposure of a resident inside the worker's community with the case outside it,
    traced: the inside resident's evidence embeds the outside case. Returns that resident."""
    found: int | None = getattr(t, "crossed", None)
    if found is not None:
        return found
    from datetime import UTC, datetime, timedelta

    from sqlalchemy.orm import object_session

    from epidesk.cases.models import CaseEpisode
    from epidesk.tracing.exposures import service as exposures
    from epidesk.tracing.runs import service as tracing

    session = object_session(t.city)
    assert session is not None
    _tested(t)
    traced = _traced(t)
    case = session.get(CaseEpisode, traced["case_outside"])
    assert case is not None
    inside = t.residents["zhao_lei"].id
    assert t.residents["zhao_lei"].community_id == t.communities[0].id
    exposures.record_exposure(session, resident_a=case.resident_id, resident_b=inside,
                              at=datetime.now(UTC) - timedelta(days=5, hours=12),
                              setting="carer", recorded_by="test")
    tracing.run_tracing(session, actor="test")
    t.crossed = inside  # type: ignore[attr-defined]
    return inside


def _outsiders(t: TinyCity) -> list[str]:
    """What names or points to a record outside the worker's community, in any answer."""
    from sqlalchemy import select
    from sqlalchemy.orm import object_session

    from epidesk.cases.models import CaseEpisode
    from epidesk.people.models import Resident

    session = object_session(t.city)
    assert session is not None
    home = t.communities[0].id
    people = session.scalars(select(Resident).where(Resident.community_id != home)).all()
    ids = {p.id for p in people}
    cases = session.scalars(select(CaseEpisode.id).where(CaseEpisode.resident_id.in_(ids)))
    # The outside resident's tube, as a JSON value, a cell or link text, or a title (not as
    # digits inside a time's fraction of a second).
    found = ['"7002"', ">7002<", "Tube 7002", "tube 7002"]
    for p in people:
        found += [p.name, p.name_latin, f"resident {p.id}", f"/people/{p.id}\"",
                  f"/tracing/contacts/{p.id}\"", f'"resident_id":{p.id},',
                  f'"via_resident_id":{p.id},']
    for c in cases:
        found += [f"/cases/{c}\"", f"/tracing/cases/{c}\"", f"case {c}", f'"case_id":{c},']
    return found


def _inside_urls(t: TinyCity) -> list[tuple[str, str, str]]:
    """(method, path, url) of every GET route of personal data, inside the worker's area."""
    return [(m, p, PERSONAL[(m, p)].url(t, True)) for m, p in sorted(PERSONAL) if m == "GET"]


GETS = [r for r in sorted(PERSONAL) if r[0] == "GET"]


@pytest.mark.parametrize(("method", "path"), GETS)
def test_no_answer_names_a_record_outside_the_callers_area(
    worker: tuple[TinyCity, TestClient], method: str, path: str
) -> None:
    """Embedded records (evidence, lists inside a parent) follow the reader's scope too."""
    city, client = worker
    crossed = _crossed(city)
    urls = [PERSONAL[(method, path)].url(city, True)]
    if "{resident_id}" in path:  # also the resident whose evidence embeds the outside case
        urls.append(urls[0].replace(f"/{_resident(city, True)}", f"/{crossed}")
                    .replace(f"/{_contact(city, True)}", f"/{crossed}"))
    outsiders = _outsiders(city)
    for url in urls:
        for accept in ("application/json", "text/html"):
            answer = client.get(url, headers={"accept": accept})
            assert answer.status_code in (200, 404), (url, answer.status_code)
            leaked = [o for o in outsiders if o in answer.text]
            assert not leaked, (url, accept, leaked)


def test_a_contact_of_a_case_outside_the_area_reads_it_unnamed(
    worker: tuple[TinyCity, TestClient]
) -> None:
    city, client = worker
    crossed = _crossed(city)
    body = client.get(f"/api/tracing/contacts/{crossed}").json()
    assert body["evidence"], body
    assert {e["case"] for e in body["evidence"]} == {"a case outside your area"}
    assert {e["case_id"] for e in body["evidence"]} == {None}
    page = client.get(f"/tracing/contacts/{crossed}", headers={"accept": "text/html"})
    assert "a case outside your area" in page.text


def test_a_tube_code_outside_the_area_reads_as_an_unknown_one(
    worker: tuple[TinyCity, TestClient]
) -> None:
    city, client = worker
    outside = client.get(f"/api/testing/tubes/by-code/{_tube_code(city, False)}")
    missing = client.get("/api/testing/tubes/by-code/7999")
    assert outside.status_code == missing.status_code == 404
    assert outside.json()["title"] == missing.json()["title"]
    assert outside.json()["detail"].replace("7002", "N") == missing.json()["detail"].replace(
        "7999", "N")


def test_a_tube_links_to_its_case_inside_the_area_and_names_no_other(
    worker: tuple[TinyCity, TestClient]
) -> None:
    city, client = worker
    inside, outside = _reported(city, True), _reported(city, False)
    body = client.get(f"/api/testing/tubes/{_tube(city, True)}").json()
    assert [(c["id"], c["href"]) for c in body["cases"]] == [(inside, f"/cases/{inside}")]
    by_code = client.get(f"/api/testing/tubes/by-code/{_tube_code(city, True)}").json()
    assert by_code["cases"] == body["cases"]
    page = client.get(f"/testing/tubes/{_tube(city, True)}", headers={"accept": "text/html"})
    assert f'<a href="/cases/{inside}">case {inside}</a>' in page.text
    assert f"/cases/{outside}" not in page.text and f"case {outside}<" not in page.text


# ---------------------------------------------------------------- who saw this person?


def _shown(t: TinyCity, text: str) -> set[int]:
    """The residents an answer shows: by name, or by id where it names a resident."""
    from sqlalchemy import select
    from sqlalchemy.orm import object_session

    from epidesk.people.models import Resident

    session = object_session(t.city)
    assert session is not None
    found = set()
    for r in session.scalars(select(Resident)):
        marks = [r.name, r.name_latin, f"resident {r.id}", f"/people/{r.id}\"",
                 f"/tracing/contacts/{r.id}\"", f"/testing/residents/{r.id}\"",
                 f'"resident_id":{r.id},']
        if any(m in text for m in marks):
            found.add(r.id)
    return found


@pytest.mark.parametrize(("method", "path"), GETS)
def test_every_resident_a_read_returns_is_found_by_the_audit_search(
    worker: tuple[TinyCity, TestClient], db: Session, method: str, path: str
) -> None:
    from epidesk.auth import service as auth

    city, client = worker
    _crossed(city)
    url = PERSONAL[(method, path)].url(city, True)
    for accept in ("application/json", "text/html"):
        answer = client.get(url, headers={"accept": accept})
        assert answer.status_code == 200, (url, answer.status_code)
        for resident in _shown(city, answer.text):
            entries = auth.search_audit(db, person_id=resident, username="worker", limit=1000)
            assert any(e.route == f"{method} {path}" and e.action == "read"
                       for e in entries), (url, accept, resident)


@pytest.mark.parametrize(("method", "path"), GETS)
def test_refused_reads_of_personal_data_are_recorded(
    worker: tuple[TinyCity, TestClient], db: Session, method: str, path: str
) -> None:
    from epidesk.auth import service as auth

    city, client = worker
    probe = PERSONAL[(method, path)]
    if probe.marker is not None:
        return  # a list: nothing is refused, what is outside is left out
    answer = client.get(probe.url(city, False))
    assert answer.status_code == 404
    entries = auth.search_audit(db, username="worker", limit=1000)
    assert any(e.action == "refused" and e.route == f"{method} {path}" for e in entries), (
        [(e.action, e.route) for e in entries])
