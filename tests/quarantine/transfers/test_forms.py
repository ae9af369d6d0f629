"""Transfer forms: people added to a manifest before it leaves, the departure, people
named by resident; bad input (unknown person, over the seats, after departure) gets a
clear error and changes nothing; the same through the API, the pages and the CLI."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.errors import ConflictError, ValidationFailedError
from epidesk.kit import clock
from epidesk.quarantine.models import QuarantineOrder, TransferLine, TransferManifest
from epidesk.quarantine.transfers import service
from tests.conftest import TEST_PASSWORD
from tests.quarantine.helpers import NOW, load_facilities
from tests.quarantine.scene import traced
from tests.tracing.test_pages import HTML, csrf_of


def _setup(db: Session) -> tuple[list[QuarantineOrder], int]:
    s, _ = traced(db)
    ids = load_facilities(db, s.city)
    found = list(db.scalars(select(QuarantineOrder).where(
        QuarantineOrder.state == "active", QuarantineOrder.form == "centralized",
        QuarantineOrder.kind == "quarantine").order_by(QuarantineOrder.id)))
    assert len(found) >= 3
    return found, ids["H1"]


def _manifest(db: Session, orders: list[QuarantineOrder], facility: int, seats: int = 2
              ) -> TransferManifest:
    return service.create_manifest(db, actor="c", now=NOW, manifest=service.ManifestIn(
        vehicle="Bus 3", seats=seats, route="-", facility_id=facility, departs_at=NOW,
        expected_at=NOW + timedelta(hours=1), driver_name="Wu", driver_phone="1",
        order_ids=[o.id for o in orders]))


def _lines(db: Session) -> int:
    return len(db.scalars(select(TransferLine)).all())


def test_people_join_a_manifest_until_it_leaves_and_bad_input_changes_nothing(
        db: Session) -> None:
    orders, facility = _setup(db)
    m = _manifest(db, orders[:1], facility)
    added = service.add_people(db, manifest_id=m.id, order_ids=[orders[1].id], actor="c")
    assert [(line.line_no, line.resident_id) for line in added] == [
        (2, orders[1].resident_id)]
    with pytest.raises(ValidationFailedError, match="do not fit in 2 seats") as full:
        service.add_people(db, manifest_id=m.id, order_ids=[orders[2].id], actor="c")
    assert full.value.extra["field"] == "order_ids"
    with pytest.raises(ValidationFailedError, match="already on manifest"):
        service.add_people(db, manifest_id=m.id, order_ids=[orders[0].id], actor="c")
    assert _lines(db) == 2
    with pytest.raises(ConflictError, match="nobody on manifest"):
        service.depart(db, manifest_id=m.id, actor="c", now=NOW)
    service.check_out(db, manifest_id=m.id, line_no=1, actor="c", now=NOW)
    left, changed = service.depart(db, manifest_id=m.id, actor="c", now=NOW)
    assert changed and left.departed_at is not None
    assert service.depart(db, manifest_id=m.id, actor="other", now=NOW)[1] is False
    assert left.departed_by == "c"
    bigger = _manifest(db, orders[:1], facility, seats=5)
    service.check_out(db, manifest_id=bigger.id, line_no=1, actor="c", now=NOW)
    service.depart(db, manifest_id=bigger.id, actor="c", now=NOW)
    with pytest.raises(ConflictError, match="has left"):
        service.add_people(db, manifest_id=bigger.id, order_ids=[orders[2].id], actor="c")
    assert len(bigger.lines) == 1


def test_people_are_named_by_resident_and_an_unknown_one_is_refused(db: Session) -> None:
    orders, _ = _setup(db)
    assert service.orders_of_residents(
        db, resident_ids=[orders[1].resident_id, orders[0].resident_id]) == [
        orders[1].id, orders[0].id]
    with pytest.raises(ValidationFailedError, match="no resident 2147483000") as unknown:
        service.orders_of_residents(db, resident_ids=[2147483000])
    assert unknown.value.extra["field"] == "resident_ids"
    home = db.scalars(select(QuarantineOrder).where(QuarantineOrder.form == "home")).first()
    assert home is not None
    with pytest.raises(ValidationFailedError, match="no centralized order"):
        service.orders_of_residents(db, resident_ids=[home.resident_id])
    with pytest.raises(ValidationFailedError, match="listed twice"):
        service.orders_of_residents(db, resident_ids=[orders[0].resident_id] * 2)


def test_the_api_adds_people_and_records_the_departure(db: Session,
                                                       client: TestClient) -> None:
    orders, facility = _setup(db)
    m = _manifest(db, orders[:1], facility)
    over = client.post(f"/api/quarantine/transfers/{m.id}/people",
                       json={"order_ids": [orders[1].id, orders[2].id]})
    assert over.status_code == 422 and "order_ids" in over.text
    assert over.headers["content-type"] == "application/problem+json"
    assert _lines(db) == 1
    ok = client.post(f"/api/quarantine/transfers/{m.id}/people",
                     json={"order_ids": [orders[1].id]})
    assert ok.status_code == 200 and ok.json()["people"] == 2
    early = client.post(f"/api/quarantine/transfers/{m.id}/depart")
    assert early.status_code == 409
    client.post(f"/api/quarantine/transfers/{m.id}/check-out", json={"line_no": 1})
    left = client.post(f"/api/quarantine/transfers/{m.id}/depart")
    assert left.status_code == 200 and left.json()["departed_at"]
    late = client.post(f"/api/quarantine/transfers/{m.id}/people",
                       json={"order_ids": [orders[2].id]})
    assert late.status_code == 409


@pytest.fixture
def coordinator(anon_client: TestClient, make_user) -> TestClient:  # type: ignore[no-untyped-def]
    """A client signed in through the form as a city-wide transport coordinator."""
    make_user("tc", ["transport_coordinator"])
    form = anon_client.get("/signin")
    r = anon_client.post("/signin", data={"username": "tc", "password": TEST_PASSWORD,
                                          "csrf_token": csrf_of(form.text), "next": "/"})
    assert r.status_code == 303
    anon_client.headers.update(HTML)
    return anon_client


def test_the_staff_page_makes_a_manifest_and_names_a_bad_field(
        db: Session, coordinator: TestClient) -> None:
    client = coordinator
    orders, _ = _setup(db)
    page = client.get("/quarantine/transfers", headers=HTML)
    assert page.text.count('id="manifest-form"') == 1
    token = csrf_of(page.text)
    form = {"vehicle": "Bus 9", "seats": "2", "facility": "H1",
            "departs_at": "2026-11-22T14:00", "expected_at": "2026-11-22T15:00",
            "driver_name": "Wu", "driver_phone": "139", "route": "-",
            "people": f"{orders[0].resident_id}, 2147483000", "csrf_token": token}
    unknown = client.post("/quarantine/transfers", data=form, headers=HTML)
    assert unknown.status_code == 422
    assert "no resident 2147483000" in unknown.text and 'value="Bus 9"' in unknown.text
    over = client.post("/quarantine/transfers", headers=HTML, data={
        **form, "people": " ".join(str(o.resident_id) for o in orders[:3])})
    assert over.status_code == 422 and "do not fit in 2 seats" in over.text
    nowhere = client.post("/quarantine/transfers", headers=HTML,
                          data={**form, "facility": "XX", "people": str(orders[0].resident_id)})
    assert nowhere.status_code == 422 and "XX" in nowhere.text
    assert db.scalars(select(TransferManifest)).all() == []
    made = client.post("/quarantine/transfers", headers=HTML, data={
        **form, "people": str(orders[0].resident_id)}, follow_redirects=False)
    assert made.status_code == 303
    m = db.scalars(select(TransferManifest)).one()
    assert (m.vehicle, m.seats, [line.resident_id for line in m.lines]) == (
        "Bus 9", 2, [orders[0].resident_id])
    # 14:00 city time is 06:00 UTC.
    assert clock.aware(m.departs_at).astimezone(UTC).hour == 6
    check_in = client.get(made.headers["location"], headers=HTML)
    assert check_in.text.count('id="add-people"') == 1
    more = client.post(f"/quarantine/transfers/{m.id}/people", headers=HTML, data={
        "people": f"{orders[1].resident_id} {orders[2].resident_id}", "csrf_token": token})
    assert more.status_code == 422 and "do not fit" in more.text
    assert len(m.lines) == 1
    added = client.post(f"/quarantine/transfers/{m.id}/people", headers=HTML, data={
        "people": str(orders[1].resident_id), "csrf_token": token}, follow_redirects=True)
    assert added.status_code == 200 and "Added to the manifest." in added.text
    refused = client.post(f"/quarantine/transfers/{m.id}/depart", headers=HTML,
                          data={"csrf_token": token})
    assert refused.status_code == 409 and "nobody on manifest" in refused.text
