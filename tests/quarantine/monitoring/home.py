"""People released from a facility and checked in at home, for home monitoring tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.kit import clock
from epidesk.quarantine.models import QuarantineOrder, Room, TransferManifest
from epidesk.quarantine.orders import service as orders
from epidesk.quarantine.release import service as release
from epidesk.quarantine.transfers import service as transfers
from tests.quarantine.helpers import NOW, inspect, load_facilities
from tests.quarantine.scene import add_result, noon, traced
from tests.tracing.helpers import Scene


@dataclass
class Home:
    """The scene; the order of the person home (wang_xiuying) and of the one released but
    not yet home (wang_wei), the day they came home and their return manifest."""

    scene: Scene
    order: QuarantineOrder
    away: QuarantineOrder
    home_on: date
    arrived: datetime
    manifest: TransferManifest


def active(db: Session, resident_id: int) -> QuarantineOrder:
    return next(o for o in orders.orders_of_resident(db, resident_id=resident_id)
                if o.state == "active")


def at(day: date, hour: int = 10) -> datetime:
    """An hour of a city day, as a moment."""
    return clock.day_start(day) + timedelta(hours=hour)


def home_scene(db: Session) -> Home:
    """Two people of one household released together from a room; the first checked in
    at home by the community worker, the second still on the way."""
    s, _ = traced(db)
    ids = load_facilities(db, s.city)
    inspect(db, ids["H1"], on=date(2026, 11, 21))
    room = db.scalar(select(Room.id).where(Room.facility_id == ids["H1"], Room.number == "103"))
    assert room is not None
    family = [active(db, s.id(k)) for k in ("wang_xiuying", "wang_wei")]
    for o in family:
        assert o.monitoring_until is not None
        orders.assign_room(db, order_id=o.id, room_id=room, actor="t", now=NOW)
        for day in (1, 2, 3, 5):
            add_result(db, o.resident_id, o.counted_from + timedelta(days=day))
        add_result(db, o.resident_id, o.end_on)
    moment = noon(max(o.end_on for o in family))
    for o in family:
        release.release(db, order_id=o.id, actor="officer", now=moment)
    m = db.scalars(select(TransferManifest)).one()
    arrived = clock.aware(m.expected_at)
    transfers.check_in_home(db, manifest_id=m.id, resident_id=family[0].resident_id,
                            actor="worker", now=arrived)
    return Home(scene=s, order=family[0], away=family[1], home_on=clock.local_day(arrived),
                arrived=arrived, manifest=m)
