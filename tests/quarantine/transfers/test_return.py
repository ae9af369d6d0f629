"""The trip home at release: a return manifest from the facility to the home building
(household members released together share it, the carer who went along travels too),
checked in at home by the community worker, missing alerts, then home monitoring."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.errors import ValidationFailedError
from epidesk.people import repository as people
from epidesk.quarantine.models import (
    OrderEvent,
    QuarantineOrder,
    Room,
    RoomAssignment,
    TransferManifest,
)
from epidesk.quarantine.orders import service as orders
from epidesk.quarantine.release import service as release
from epidesk.quarantine.transfers import repository, rules, service
from tests.quarantine.helpers import NOW, inspect, load_facilities
from tests.quarantine.scene import add_result, noon, traced
from tests.tracing.helpers import Scene


def _active(db: Session, resident_id: int) -> QuarantineOrder:
    return next(o for o in orders.orders_of_resident(db, resident_id=resident_id)
                if o.state == "active")


def _room(db: Session, facility_id: int, number: str) -> int:
    found = db.scalar(select(Room.id).where(Room.facility_id == facility_id,
                                            Room.number == number))
    assert found is not None
    return found


def _results(db: Session, o: QuarantineOrder) -> None:
    for day in (1, 2, 3, 5):
        add_result(db, o.resident_id, o.counted_from + timedelta(days=day))
    add_result(db, o.resident_id, o.end_on)


def _placed(db: Session) -> tuple[Scene, dict[str, int]]:
    s, _ = traced(db)
    ids = load_facilities(db, s.city)
    inspect(db, ids["H1"], on=date(2026, 11, 21))
    return s, ids


def _building(db: Session, resident_id: int) -> int:
    address = people.address_of_residents(db, [resident_id])[resident_id]
    building = repository.building_of_address(db, address)
    assert building is not None
    return building.id


def _manifests(db: Session) -> list[TransferManifest]:
    return list(db.scalars(select(TransferManifest).order_by(TransferManifest.id)))


def test_a_release_from_a_room_plans_the_trip_home_with_the_carer(db: Session) -> None:
    s, ids = _placed(db)
    chen = _active(db, s.id("chen_jing"))
    room = _room(db, ids["H1"], "103")
    orders.assign_room(db, order_id=chen.id, room_id=room, actor="t", now=NOW)
    db.add(RoomAssignment(order_id=None, resident_id=s.id("chen_jie"), room_id=room,
                          role="carer", from_at=NOW, assigned_by="t"))
    db.flush()
    _results(db, chen)
    moment = noon(chen.end_on)
    release.release(db, order_id=chen.id, actor="officer", now=moment)
    (m,) = _manifests(db)
    assert (m.purpose, m.facility_id, m.building_id) == (
        rules.RETURN_HOME, ids["H1"], _building(db, s.id("chen_jing")))
    assert [(line.line_no, line.resident_id, line.order_id) for line in m.lines] == [
        (1, s.id("chen_jing"), chen.id), (2, s.id("chen_jie"), None)]
    assert m.departs_at.replace(tzinfo=moment.tzinfo) == moment + timedelta(minutes=60)
    assert m.expected_at > m.departs_at
    still_there = db.scalar(select(func.count(RoomAssignment.id)).where(
        RoomAssignment.room_id == room, RoomAssignment.to_at.is_(None)))
    assert still_there == 0
    assert service.return_counts(db, now=moment) == {"returning": 2, "home": 0, "missing": 0}


def test_household_members_released_together_share_one_return(db: Session) -> None:
    s, ids = _placed(db)
    room = _room(db, ids["H1"], "103")
    family = [_active(db, s.id(k)) for k in ("wang_xiuying", "wang_wei")]
    assert all(o.form == "centralized" for o in family)
    for o in family:
        orders.assign_room(db, order_id=o.id, room_id=room, actor="t", now=NOW)
        _results(db, o)
    moment = noon(max(o.end_on for o in family))
    for o in family:
        release.release(db, order_id=o.id, actor="officer", now=moment)
    (m,) = _manifests(db)
    assert sorted(line.resident_id for line in m.lines) == sorted(o.resident_id for o in family)
    assert [line.line_no for line in m.lines] == [1, 2]


def test_check_in_at_home_starts_monitoring_and_the_missing_raise_alerts(db: Session) -> None:
    s, ids = _placed(db)
    room = _room(db, ids["H1"], "103")
    family = [_active(db, s.id(k)) for k in ("wang_xiuying", "wang_wei")]
    for o in family:
        orders.assign_room(db, order_id=o.id, room_id=room, actor="t", now=NOW)
        _results(db, o)
    moment = noon(max(o.end_on for o in family))
    for o in family:
        release.release(db, order_id=o.id, actor="officer", now=moment)
    (m,) = _manifests(db)
    service.check_out(db, manifest_id=m.id, line_no=1, actor="facility", now=moment)
    arrival = m.expected_at.replace(tzinfo=moment.tzinfo)
    line, changed = service.check_in_home(db, manifest_id=m.id,
                                          resident_id=family[0].resident_id,
                                          actor="worker", now=arrival)
    assert changed and service.state_of(line, arrival) == rules.ARRIVED
    monitoring = db.scalars(select(OrderEvent).where(OrderEvent.order_id == family[0].id,
                                                     OrderEvent.kind == "monitoring")).all()
    assert len(monitoring) == 1
    _, again = service.check_in_home(db, manifest_id=m.id, resident_id=family[0].resident_id,
                                     actor="worker", now=arrival)
    assert not again
    late = arrival + timedelta(minutes=service.grace_minutes() + 1)
    assert [a.resident_id for a in service.alerts(db, now=late)] == [family[1].resident_id]
    assert service.return_counts(db, now=late) == {"returning": 0, "home": 1, "missing": 1}
    with pytest.raises(ValidationFailedError) as stranger:
        service.check_in_home(db, manifest_id=m.id, resident_id=s.id("li_na"), actor="worker",
                              now=late)
    assert stranger.value.extra["field"] == "resident_id"


def test_a_home_check_in_on_a_manifest_to_a_facility_is_refused(db: Session) -> None:
    s, ids = _placed(db)
    chen = _active(db, s.id("chen_jing"))
    m = service.create_manifest(db, actor="c", now=NOW, manifest=service.ManifestIn(
        vehicle="Bus 1", seats=4, route="-", facility_id=ids["H1"], departs_at=NOW,
        expected_at=NOW + timedelta(hours=1), driver_name="Wu", driver_phone="1",
        order_ids=[chen.id]))
    with pytest.raises(ValidationFailedError) as refused:
        service.check_in_home(db, manifest_id=m.id, resident_id=chen.resident_id,
                              actor="worker", now=NOW)
    assert refused.value.extra["field"] == "manifest_id"
    assert m.lines[0].checked_in_at is None


def test_a_refused_release_plans_no_trip(db: Session) -> None:
    s, ids = _placed(db)
    chen = _active(db, s.id("chen_jing"))
    orders.assign_room(db, order_id=chen.id, room_id=_room(db, ids["H1"], "101"), actor="t",
                       now=NOW)
    with pytest.raises(ValidationFailedError):
        release.release(db, order_id=chen.id, actor="officer", now=noon(chen.end_on))
    assert _manifests(db) == []
    assert orders.where_now(db, resident_ids=[chen.resident_id])


def test_a_release_from_home_plans_no_trip(db: Session) -> None:
    s, _ = _placed(db)
    home = _active(db, s.id("chen_jie"))
    assert home.form == "home"
    for resident in (home.resident_id, s.id("chen_jing")):
        for day in range(0, 12):
            add_result(db, resident, home.counted_from + timedelta(days=day))
    done = release.release(db, order_id=home.id, actor="officer", now=noon(home.end_on))
    assert done.state == "released"
    assert _manifests(db) == []
