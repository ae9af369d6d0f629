"""Dispatch details of a manifest: vehicle, seats, driver, route and times set or changed
before departure (only the driver's phone and the note after), each change logged; bad
input refused naming the field, changing nothing; trips without a driver flagged on the
list and the command centre; the API, the page and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.errors import ValidationFailedError
from epidesk.quarantine.models import (
    QuarantineOrder,
    TransferManifest,
    TransferManifestChange,
)
from epidesk.quarantine.transfers import rules, service
from tests.quarantine.helpers import load_facilities
from tests.quarantine.scene import traced
from tests.quarantine.transfers.test_forms import coordinator  # noqa: F401
from tests.tracing.test_pages import HTML, csrf_of


def _setup(db: Session) -> tuple[list[QuarantineOrder], int]:
    s, _ = traced(db)
    ids = load_facilities(db, s.city)
    found = list(db.scalars(select(QuarantineOrder).where(
        QuarantineOrder.state == "active", QuarantineOrder.form == "centralized",
        QuarantineOrder.kind == "quarantine").order_by(QuarantineOrder.id)))
    return found, ids["H1"]


def _manifest(db: Session, orders: list[QuarantineOrder], facility: int, *,
              departs: datetime, driver: str = "Wu", phone: str = "13900000000",
              seats: int = 4) -> TransferManifest:
    return service.create_manifest(db, actor="c", now=departs, manifest=service.ManifestIn(
        vehicle="Bus 3", seats=seats, route="-", facility_id=facility, departs_at=departs,
        expected_at=departs + timedelta(hours=1), driver_name=driver, driver_phone=phone,
        order_ids=[o.id for o in orders]))


def _changes(db: Session, manifest_id: int) -> list[tuple[str, str, str, str]]:
    return [(c.field, c.old_value, c.new_value, c.actor) for c in db.scalars(
        select(TransferManifestChange).where(TransferManifestChange.manifest_id == manifest_id)
        .order_by(TransferManifestChange.id))]


def test_phone_numbers() -> None:
    assert rules.phone(" 139 0000 0000 ") == "139 0000 0000"
    assert rules.phone("+86-139-0000-0000") == "+86-139-0000-0000"
    assert rules.phone("(0537) 123 4567") == "(0537) 123 4567"
    for bad in ("", "call me", "1234", "1" * 16, "139x0000", "--"):
        assert rules.phone(bad) is None, bad


def test_dispatch_details_change_with_a_log_and_bad_input_changes_nothing(
        db: Session) -> None:
    orders, facility = _setup(db)
    now = datetime(2026, 11, 22, 4, tzinfo=UTC)
    m = _manifest(db, orders[:2], facility, departs=now + timedelta(hours=2))
    later = now + timedelta(hours=3)
    done = service.edit_manifest(db, manifest_id=m.id, actor="tc", now=now,
                                 edit=service.DispatchEdit(
        vehicle=" Lu Q-12345 ", driver_name="Zhang Wei", driver_phone="139 1111 2222",
        departs_at=later, expected_at=later + timedelta(minutes=50), seats=2))
    assert [c.field for c in done] == ["vehicle", "seats", "driver_name", "driver_phone",
                                       "departs_at", "expected_at"]
    assert (m.vehicle, m.seats, m.driver_name, m.driver_phone) == (
        "Lu Q-12345", 2, "Zhang Wei", "139 1111 2222")
    assert _changes(db, m.id)[0] == ("vehicle", "Bus 3", "Lu Q-12345", "tc")
    # The same values again change nothing and log nothing.
    assert service.edit_manifest(db, manifest_id=m.id, actor="tc", now=now,
                                 edit=service.DispatchEdit(vehicle="Lu Q-12345")) == []
    refusals = [
        (service.DispatchEdit(seats=1), "seats"),
        (service.DispatchEdit(driver_phone="ask the depot"), "driver_phone"),
        (service.DispatchEdit(expected_at=later - timedelta(minutes=1)), "expected_at"),
        (service.DispatchEdit(departs_at=later + timedelta(hours=2)), "departs_at"),
        (service.DispatchEdit(vehicle="  "), "vehicle"),
        (service.DispatchEdit(vehicle="Bus 5", seats=1), "seats"),
        (service.DispatchEdit(), "vehicle"),
    ]
    for edit, field in refusals:
        with pytest.raises(ValidationFailedError) as refused:
            service.edit_manifest(db, manifest_id=m.id, edit=edit, actor="tc", now=now)
        assert refused.value.extra["field"] == field, edit
    assert (m.vehicle, m.seats) == ("Lu Q-12345", 2)
    assert len(_changes(db, m.id)) == 6


def test_after_departure_only_the_phone_and_the_note_change(db: Session) -> None:
    orders, facility = _setup(db)
    now = datetime(2026, 11, 22, 4, tzinfo=UTC)
    m = _manifest(db, orders[:1], facility, departs=now)
    service.check_out(db, manifest_id=m.id, line_no=1, actor="c", now=now)
    service.depart(db, manifest_id=m.id, actor="c", now=now)
    for edit, field in ((service.DispatchEdit(vehicle="Bus 4"), "vehicle"),
                        (service.DispatchEdit(seats=9), "seats"),
                        (service.DispatchEdit(driver_name="Li"), "driver_name"),
                        (service.DispatchEdit(driver_phone="13800001111", route="x"), "route")):
        with pytest.raises(ValidationFailedError, match="has left") as refused:
            service.edit_manifest(db, manifest_id=m.id, edit=edit, actor="tc", now=now)
        assert refused.value.extra["field"] == field
    assert (m.vehicle, m.driver_phone) == ("Bus 3", "13900000000")
    # An unchanged vehicle sent with the phone (a whole form) is not an edit of it.
    service.edit_manifest(db, manifest_id=m.id, actor="tc", now=now, edit=service.DispatchEdit(
        vehicle="Bus 3", driver_phone="13800001111", note="driver changed at the depot"))
    assert (m.driver_phone, m.note) == ("13800001111", "driver changed at the depot")
    assert [c[0] for c in _changes(db, m.id)] == ["driver_phone", "note"]


def test_trips_without_a_driver_are_flagged(db: Session) -> None:
    orders, facility = _setup(db)
    now = datetime(2026, 11, 22, 4, tzinfo=UTC)
    soon = _manifest(db, orders[:1], facility, departs=now + timedelta(hours=5), driver="",
                     phone="")
    far = _manifest(db, orders[1:2], facility, departs=now + timedelta(hours=30), phone="")
    ready = _manifest(db, orders[2:3], facility, departs=now + timedelta(hours=1))
    assert [m.id for m in service.without_driver(db, now=now)] == [soon.id]
    assert service.count_without_driver(db, now=now) == 1
    # A return home lacks a driver however far away its departure.
    far.purpose = rules.RETURN_HOME
    db.flush()
    assert sorted(m.id for m in service.without_driver(db, now=now)) == [soon.id, far.id]
    service.edit_manifest(db, manifest_id=soon.id, actor="tc", now=now,
                          edit=service.DispatchEdit(driver_name="Wu", driver_phone="13900000001"))
    assert [m.id for m in service.without_driver(db, now=now)] == [far.id]
    # Everyone on it home (or resolved): nothing left to drive.
    service.check_in(db, manifest_id=far.id, resident_id=orders[1].resident_id, actor="w",
                     now=now)
    assert service.count_without_driver(db, now=now) == 0
    assert ready.id not in {m.id for m in service.without_driver(db, now=now)}


def test_the_api_edits_and_refuses_naming_the_field(db: Session, client: TestClient) -> None:
    orders, facility = _setup(db)
    now = datetime.now(UTC)
    m = _manifest(db, orders[:2], facility, departs=now + timedelta(hours=2), driver="",
                  phone="")
    listed = client.get(f"/api/quarantine/transfers/{m.id}").json()
    assert listed["needs_driver"] is True
    for body, field in (({"seats": 1}, "seats"), ({"driver_phone": "nobody"}, "driver_phone"),
                        ({"expected_at": (now - timedelta(hours=1)).isoformat()},
                         "expected_at"), ({"vehicle": "x" * 33}, "vehicle"),
                        ({"wheels": 4}, "wheels")):
        bad = client.patch(f"/api/quarantine/transfers/{m.id}", json=body)
        assert bad.status_code == 422, body
        assert bad.headers["content-type"] == "application/problem+json"
        assert field in bad.text
    assert _changes(db, m.id) == []
    ok = client.patch(f"/api/quarantine/transfers/{m.id}",
                      json={"driver_name": "Zhang Wei", "driver_phone": "13912345678",
                            "route": "Depot - H1 by the ring road"})
    assert ok.status_code == 200, ok.text
    assert (ok.json()["driver_phone"], ok.json()["needs_driver"]) == ("13912345678", False)
    detail = client.get(f"/api/quarantine/transfers/{m.id}").json()
    assert [c["field"] for c in detail["changes"]] == ["driver_name", "driver_phone", "route"]
    assert detail["changes"][0]["new_value"] == "Zhang Wei"
    assert client.patch("/api/quarantine/transfers/2147483000",
                        json={"seats": 3}).status_code == 404


def test_the_manifest_page_edits_and_the_list_filters_trips_without_a_driver(
        db: Session, coordinator: TestClient) -> None:  # noqa: F811
    client = coordinator
    orders, facility = _setup(db)
    now = datetime.now(UTC)
    bare = _manifest(db, orders[:1], facility, departs=now + timedelta(hours=2), driver="",
                     phone="")
    staffed = _manifest(db, orders[1:2], facility, departs=now + timedelta(hours=2))
    listed = client.get("/quarantine/transfers?no_driver=1", headers=HTML)
    assert listed.status_code == 200
    assert f"/quarantine/transfers/{bare.id}/check-in" in listed.text
    assert f"/quarantine/transfers/{staffed.id}/check-in" not in listed.text
    assert 'id="without-driver"' in listed.text
    page = client.get(f"/quarantine/transfers/{bare.id}/check-in", headers=HTML)
    assert page.text.count('id="dispatch"') == 1 and 'id="needs-driver"' in page.text
    token = csrf_of(page.text)
    form = {"vehicle": "Bus 3", "seats": "4", "driver_name": "Zhang Wei",
            "driver_phone": "no phone", "route": "-", "departs_at": "", "expected_at": "",
            "note": "", "csrf_token": token}
    bad = client.post(f"/quarantine/transfers/{bare.id}/dispatch", data=form, headers=HTML)
    assert bad.status_code == 422 and "not a phone number" in bad.text
    assert 'value="Zhang Wei"' in bad.text
    assert (bare.driver_name, _changes(db, bare.id)) == ("", [])
    ok = client.post(f"/quarantine/transfers/{bare.id}/dispatch", headers=HTML,
                     data={**form, "driver_phone": "13912345678"}, follow_redirects=True)
    assert ok.status_code == 200 and "Dispatch details saved." in ok.text
    assert 'id="dispatch-changes"' in ok.text and 'id="needs-driver"' not in ok.text
    assert (bare.driver_name, bare.driver_phone) == ("Zhang Wei", "13912345678")
    assert f"/quarantine/transfers/{bare.id}/check-in" not in client.get(
        "/quarantine/transfers?no_driver=1", headers=HTML).text


def test_the_tile_counts_trips_without_a_driver(db: Session, client: TestClient) -> None:
    orders, facility = _setup(db)
    _manifest(db, orders[:1], facility, departs=datetime.now(UTC) + timedelta(hours=1),
              driver="", phone="")
    tiles = client.get("/api/overview").json()
    tile = next(t for t in tiles["tiles"] if t["key"] == "quarantine.transfers")
    assert tile["data"]["without_driver"] == 1
    page = client.get("/overview", headers=HTML)
    assert 'href="/quarantine/transfers?no_driver=1"' in page.text



def test_after_departure_the_page_changes_only_the_phone(
        db: Session, coordinator: TestClient) -> None:  # noqa: F811
    client = coordinator
    orders, facility = _setup(db)
    now = datetime.now(UTC)
    m = _manifest(db, orders[:1], facility, departs=now)
    service.check_out(db, manifest_id=m.id, line_no=1, actor="c", now=now)
    service.depart(db, manifest_id=m.id, actor="c", now=now)
    page = client.get(f"/quarantine/transfers/{m.id}/check-in", headers=HTML)
    assert "only the driver's phone and the note may change" in page.text
    assert 'name="departs_at"' not in page.text.split('id="dispatch"')[1]
    token = csrf_of(page.text)
    form = {"vehicle": "Bus 3", "seats": "4", "driver_name": "Wu",
            "driver_phone": "13911112222", "route": "-", "note": "", "csrf_token": token}
    ok = client.post(f"/quarantine/transfers/{m.id}/dispatch", data=form, headers=HTML,
                     follow_redirects=True)
    assert ok.status_code == 200 and "Dispatch details saved." in ok.text
    assert m.driver_phone == "13911112222"
    moved = client.post(f"/quarantine/transfers/{m.id}/dispatch", headers=HTML,
                        data={**form, "vehicle": "Bus 8"})
    assert moved.status_code == 422 and "has left" in moved.text
    assert m.vehicle == "Bus 3"
    assert [c[0] for c in _changes(db, m.id)] == ["driver_phone"]
