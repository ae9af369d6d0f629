"""Home monitoring through the API and the pages: the list in the worker's area with
today's state, recording a check (refusals name the field and record nothing), clearing
a flag, scope and audit, the person's record, the order page and the command centre."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.auth.models import AuditEntry, AuditPerson
from epidesk.geography.models import Community
from epidesk.kit import clock
from epidesk.people import repository as people
from epidesk.quarantine.models import HomeCheck
from tests.conftest import TEST_PASSWORD
from tests.quarantine.monitoring.home import Home, at, home_scene
from tests.tracing.test_pages import HTML, csrf_of


def _frozen(monkeypatch: pytest.MonkeyPatch, day: date, hour: int = 10) -> datetime:
    moment = at(day, hour)
    monkeypatch.setattr(clock, "now", lambda: moment)
    return moment


def _count(db: Session) -> int:
    return int(db.scalar(select(func.count(HomeCheck.id))) or 0)


def _communities(db: Session, h: Home) -> tuple[int, int]:
    path = people.resident_area(db, h.order.resident_id)
    assert path is not None
    other = db.scalar(select(Community.id).where(Community.id != path.community_id))
    assert other is not None
    return path.community_id, other


def test_the_worker_lists_records_and_clears_in_their_area_only(
        db: Session, anon_client: TestClient, bearer,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch) -> None:
    h = home_scene(db)
    rid = h.order.resident_id
    near, far = _communities(db, h)
    worker = bearer("near", ["community_worker"], "community", near)
    stranger = bearer("far", ["community_worker"], "community", far)
    _frozen(monkeypatch, h.home_on + timedelta(days=1))
    listed = anon_client.get("/api/quarantine/monitoring", headers=worker)
    assert listed.status_code == 200, listed.text
    (row,) = listed.json()
    assert (row["resident_id"], row["state"], row["needs_test"]) == (rid, "missed", False)
    audited = db.scalar(select(func.count()).select_from(AuditPerson).join(
        AuditEntry, AuditEntry.id == AuditPerson.entry_id).where(
        AuditPerson.person_id == rid, AuditEntry.record_type == "home_monitoring"))
    assert audited == 1
    assert anon_client.get("/api/quarantine/monitoring", headers=stranger).json() == []
    assert anon_client.get("/api/quarantine/monitoring?state=done",
                           headers=worker).json() == []
    bad_state = anon_client.get("/api/quarantine/monitoring?state=late", headers=worker)
    assert bad_state.status_code == 422 and "state" in bad_state.text
    body = {"method": "visit", "temperature": 37.8, "symptoms": ["cough"]}
    outside = anon_client.post(f"/api/quarantine/monitoring/{rid}/checks", json=body,
                               headers=stranger)
    assert outside.status_code == 404
    assert anon_client.get(f"/api/quarantine/monitoring/{rid}/checks",
                           headers=stranger).status_code == 404
    for wrong, field in (({**body, "temperature": 52}, "temperature"),
                         ({**body, "symptoms": ["sneezing"]}, "symptoms"),
                         ({**body, "method": "fax"}, "method"),
                         ({"method": "phone", "reached": False}, "reason"),
                         ({**body, "mood": "fine"}, "mood")):
        refused = anon_client.post(f"/api/quarantine/monitoring/{rid}/checks", json=wrong,
                                   headers=worker)
        assert refused.status_code == 422, wrong
        assert refused.headers["content-type"] == "application/problem+json"
        assert field in refused.text
    away = anon_client.post(f"/api/quarantine/monitoring/{h.away.resident_id}/checks",
                            json=body, headers=worker)
    assert away.status_code == 422 and "not home yet" in away.text
    assert _count(db) == 0
    made = anon_client.post(f"/api/quarantine/monitoring/{rid}/checks", json=body,
                            headers=worker)
    assert made.status_code == 201, made.text
    assert (made.json()["flagged"], made.json()["by"]) == (True, "near")
    (row,) = anon_client.get("/api/quarantine/monitoring", headers=worker).json()
    assert (row["state"], row["needs_test"], row["last_temperature"]) == ("done", True, 37.8)
    flagged = anon_client.get("/api/quarantine/monitoring?state=needs_test", headers=worker)
    assert [r["resident_id"] for r in flagged.json()] == [rid]
    cleared = anon_client.post(f"/api/quarantine/monitoring/{rid}/clear",
                               json={"reason": "known asthma, seen by the GP"}, headers=worker)
    assert cleared.json() == {"resident_id": rid, "cleared": 1}
    checks = anon_client.get(f"/api/quarantine/monitoring/{rid}/checks", headers=worker).json()
    assert checks[0]["cleared_reason"] == "known asthma, seen by the GP"
    assert anon_client.post(f"/api/quarantine/monitoring/{rid}/clear", json={"reason": "x"},
                            headers=stranger).status_code == 404


def test_the_record_the_order_page_and_the_tiles_show_the_monitoring(
        db: Session, client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    h = home_scene(db)
    rid = h.order.resident_id
    _frozen(monkeypatch, h.home_on + timedelta(days=1))
    tiles = client.get("/api/overview").json()["tiles"]
    tile = next(t for t in tiles if t["key"] == "quarantine.monitoring")
    assert tile["data"] | {"day": ""} == {"day": "", "monitored": 1, "done": 0, "missed": 1,
                                          "needs_test": 0}
    made = client.post(f"/api/quarantine/monitoring/{rid}/checks",
                       json={"method": "phone", "temperature": 38.1})
    assert made.status_code == 201
    tile = next(t for t in client.get("/api/overview").json()["tiles"]
                if t["key"] == "quarantine.monitoring")
    assert (tile["data"]["done"], tile["data"]["missed"], tile["data"]["needs_test"]) == (
        1, 0, 1)
    overview = client.get("/overview", headers=HTML).text
    assert 'href="/quarantine/monitoring?state=needs_test"' in overview
    assert 'href="/quarantine/monitoring?state=missed"' in overview
    record = client.get(f"/api/people/{rid}").json()
    panel = next(p for p in record["panels"] if p["key"] == "quarantine")
    assert panel["data"]["monitoring"]["needs_test"] is True
    assert panel["data"]["home_checks"][0]["temperature"] == 38.1
    assert panel["data"]["orders"]  # the orders are still there
    page = client.get(f"/people/{rid}", headers=HTML).text
    assert "38.1 °C" in page and "Needs a test." in page
    order = client.get(f"/quarantine/orders/{h.order.id}", headers=HTML).text
    assert 'id="home-checks"' in order and "38.1 °C" in order
    # Past the last day of monitoring the person leaves the list and the tile.
    assert h.order.monitoring_until is not None
    _frozen(monkeypatch, h.order.monitoring_until + timedelta(days=1))
    assert client.get("/api/quarantine/monitoring").json() == []
    tile = next(t for t in client.get("/api/overview").json()["tiles"]
                if t["key"] == "quarantine.monitoring")
    assert tile["data"]["monitored"] == 0


@pytest.fixture
def worker_page(anon_client: TestClient, make_user, db: Session):  # type: ignore[no-untyped-def]
    """A community worker of the home's community signed in through the form."""
    def sign_in(community_id: int) -> TestClient:
        make_user("cw", ["community_worker"], "community", community_id)
        form = anon_client.get("/signin")
        r = anon_client.post("/signin", data={"username": "cw", "password": TEST_PASSWORD,
                                              "csrf_token": csrf_of(form.text), "next": "/"})
        assert r.status_code == 303
        anon_client.headers.update(HTML)
        return anon_client
    return sign_in


def test_the_phone_form_records_a_check_and_names_a_bad_field(
        db: Session, worker_page, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    h = home_scene(db)
    rid = h.order.resident_id
    client = worker_page(_communities(db, h)[0])
    _frozen(monkeypatch, h.home_on)
    listed = client.get("/quarantine/monitoring")
    assert listed.status_code == 200
    assert f'href="/quarantine/monitoring/{rid}"' in listed.text
    assert 'data-state="due"' in listed.text
    page = client.get(f"/quarantine/monitoring/{rid}")
    assert page.text.count('id="check-form"') == 1 and 'id="no-checks"' in page.text
    token = csrf_of(page.text)
    form = {"method": "visit", "reached": "yes", "temperature": "hot",
            "symptoms": ["fever", "breath"], "csrf_token": token}
    bad = client.post(f"/quarantine/monitoring/{rid}/checks", data=form)
    assert bad.status_code == 422 and "36.8" in bad.text
    assert 'value="breath" checked' in bad.text
    assert _count(db) == 0
    done = client.post(f"/quarantine/monitoring/{rid}/checks",
                       data={**form, "temperature": "37,9"}, follow_redirects=True)
    assert done.status_code == 200 and "flagged for a test" in done.text
    assert 'id="needs-test"' in done.text and 'id="clear-form"' in done.text
    check = db.scalars(select(HomeCheck)).one()
    assert (check.temperature, check.symptoms, check.by) == (37.9, "fever breath", "cw")
    cleared = client.post(f"/quarantine/monitoring/{rid}/clear",
                          data={"reason": "thermometer fault", "csrf_token": token},
                          follow_redirects=True)
    assert "Flag cleared." in cleared.text and 'id="needs-test"' not in cleared.text
    not_reached = client.post(f"/quarantine/monitoring/{rid}/checks", data={
        "method": "phone", "reached": "no", "reason": "", "csrf_token": token})
    assert not_reached.status_code == 422 and "could not be reached" in not_reached.text
    assert _count(db) == 1
    chinese = client.get(f"/quarantine/monitoring/{rid}?lang=zh",
                         headers={**HTML, "accept-language": "zh"})
    assert "居家健康监测" in chinese.text


def test_a_hotline_operator_records_by_phone_and_a_reader_without_the_grant_cannot(
        db: Session, anon_client: TestClient, bearer,  # type: ignore[no-untyped-def]
        monkeypatch: pytest.MonkeyPatch) -> None:
    h = home_scene(db)
    rid = h.order.resident_id
    _frozen(monkeypatch, h.home_on)
    operator = bearer("hotline", ["hotline_operator"])
    made = anon_client.post(f"/api/quarantine/monitoring/{rid}/checks", headers=operator,
                            json={"method": "phone", "temperature": 36.7})
    assert made.status_code == 201 and made.json()["by"] == "hotline"
    planner = bearer("zoning", ["zoning_officer"])
    assert anon_client.get("/api/quarantine/monitoring", headers=planner).status_code == 403
    refused = anon_client.post(f"/api/quarantine/monitoring/{rid}/checks", headers=planner,
                               json={"method": "phone", "temperature": 36.7})
    assert refused.status_code == 403
    epidemiologist = bearer("epi", ["epidemiologist"])
    assert [r["state"] for r in anon_client.get("/api/quarantine/monitoring",
                                                headers=epidemiologist).json()] == ["done"]
    assert anon_client.post(f"/api/quarantine/monitoring/{rid}/checks", headers=epidemiologist,
                            json={"method": "visit", "temperature": 36.7}).status_code == 403
    assert _count(db) == 1
