"""Every route is classified, signed-out callers are refused, and personal data stays in scope.

A route added later must be classified in the matrix (`tests/routes/`): as public, as
needing only a signed-in caller, as staff-only without personal data, or as personal
data with a probe that proves a caller limited to one community cannot list or open
another's records.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.app import create_app
from epidesk.auth.deps import PRESESSION_COOKIE
from tests import routes as matrix
from tests.factories import TinyCity, tiny_city
from tests.routes import OWN_ACCOUNT, PERSONAL, PUBLIC, STAFF, _resident
from tests.routes.testing import _reported, _tested, _tube, _tube_code
from tests.routes.tracing import _contact, _traced

matrix.load()

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
        f"routes not classified in the route matrix, tests/routes/ (add a scope probe for "
        f"personal data): {unclassified}")
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
