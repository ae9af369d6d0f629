"""Placement runs in the database: proposed for review, committed at once, refused when
the orders or rooms changed, discarded."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.errors import ConflictError, NotFoundError
from epidesk.quarantine.models import QuarantineOrder, Room, RoomAssignment
from epidesk.quarantine.orders import service as orders
from epidesk.quarantine.placement import service
from tests.quarantine.helpers import NOW, inspect, load_facilities
from tests.quarantine.scene import traced


def _placed_scene(db: Session):
    s, _ = traced(db)
    ids = load_facilities(db, s.city)
    for code in ids:
        inspect(db, ids[code], on=date(2026, 11, 21))
    return s, ids


def _assignments(db: Session) -> int:
    return int(db.scalar(select(func.count(RoomAssignment.id))) or 0)


def _centralized(db: Session) -> list[QuarantineOrder]:
    return list(db.scalars(select(QuarantineOrder).where(
        QuarantineOrder.state == "active", QuarantineOrder.form == "centralized")))


def test_a_run_proposes_rooms_for_everyone_waiting_and_assigns_nothing(db: Session) -> None:
    _placed_scene(db)
    waiting = _centralized(db)
    assert waiting
    run = service.run_placement(db, actor="planner", now=NOW)
    assert run.state == "proposed"
    assert _assignments(db) == 0
    ordered = [line for line in run.lines if line.role == "ordered"]
    assert sorted(line.order_id for line in ordered) == sorted(o.id for o in waiting)
    for line in ordered:
        assert (line.room_id is None) == (line.reason is not None)
    assert run.placed_people + run.unplaced_people == run.people == len(waiting)
    assert json.loads(run.check) == dict.fromkeys(json.loads(run.check), 0)
    assert run.cost >= run.lower_bound - 1e-6
    # A household's members of one kind share one room.
    rooms: dict[tuple[int, str], set[int | None]] = {}
    kinds = {o.id: o.kind for o in waiting}
    for line in ordered:
        assert line.order_id is not None
        rooms.setdefault((line.household_id, kinds[line.order_id]), set()).add(line.room_id)
    assert all(len(r) == 1 for r in rooms.values())
    # Cases only in isolation sites, contacts only in quarantine sites.
    for line in ordered:
        if line.room_id is not None:
            room = db.get(Room, line.room_id)
            assert room is not None
            use = room.facility.use
            assert use == ("isolation" if kinds[line.order_id] == "isolation" else "quarantine")


def test_a_committed_run_writes_every_room_at_once_and_only_once(db: Session) -> None:
    _placed_scene(db)
    run = service.run_placement(db, actor="planner", now=NOW)
    with_room = [line for line in run.lines if line.room_id is not None]
    assert with_room
    service.commit_run(db, run_id=run.id, actor="reviewer", now=NOW)
    assert run.state == "committed" and run.decided_by == "reviewer"
    assert _assignments(db) == len(with_room)
    with pytest.raises(ConflictError, match="is committed"):
        service.commit_run(db, run_id=run.id, actor="reviewer", now=NOW)
    assert _assignments(db) == len(with_room)
    again = service.run_placement(db, actor="planner", now=NOW)
    assert not [line for line in again.lines if line.role == "ordered" and line.room_id
                in {w.room_id for w in with_room}]


def test_a_commit_is_refused_when_an_order_or_room_changed_since(db: Session) -> None:
    _placed_scene(db)
    run = service.run_placement(db, actor="planner", now=NOW)
    line = next(line for line in run.lines if line.room_id is not None and line.order_id)
    assert line.order_id is not None and line.room_id is not None
    orders.assign_room(db, order_id=line.order_id, room_id=line.room_id, actor="desk",
                       now=NOW)
    before = _assignments(db)
    with pytest.raises(ConflictError, match="changed since"):
        service.commit_run(db, run_id=run.id, actor="reviewer", now=NOW)
    assert _assignments(db) == before
    assert run.state == "proposed"


def test_a_room_taken_out_of_service_also_refuses_the_commit(db: Session) -> None:
    _placed_scene(db)
    run = service.run_placement(db, actor="planner", now=NOW)
    line = next(line for line in run.lines if line.room_id is not None)
    room = db.get(Room, line.room_id)
    assert room is not None
    room.in_service = False
    db.flush()
    with pytest.raises(ConflictError, match="changed since"):
        service.commit_run(db, run_id=run.id, actor="reviewer", now=NOW)
    assert _assignments(db) == 0


def test_a_discarded_run_assigns_nothing_and_cannot_be_committed(db: Session) -> None:
    _placed_scene(db)
    run = service.run_placement(db, actor="planner", now=NOW)
    service.discard_run(db, run_id=run.id, actor="reviewer", now=NOW)
    assert run.state == "discarded"
    with pytest.raises(ConflictError, match="is discarded"):
        service.commit_run(db, run_id=run.id, actor="reviewer", now=NOW)
    assert _assignments(db) == 0
    with pytest.raises(NotFoundError):
        service.get_run(db, run_id=run.id + 100)


def test_without_eligible_facilities_everyone_is_listed_with_a_reason(db: Session) -> None:
    traced(db)
    run = service.run_placement(db, actor="planner", now=NOW)
    ordered = [line for line in run.lines if line.role == "ordered"]
    assert ordered and all(line.room_id is None and line.reason for line in ordered)
    assert run.unplaced_people == len(ordered)
