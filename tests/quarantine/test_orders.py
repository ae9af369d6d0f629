"""Orders follow tracing and the cases; they change only with a reason; release."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.errors import ConflictError, NotFoundError, ValidationFailedError
from epidesk.messages.models import OutboundMessage
from epidesk.quarantine.models import OrderEvent, QuarantineOrder
from epidesk.quarantine.orders import rules as order_rules
from epidesk.quarantine.orders import service as orders
from epidesk.quarantine.release import service as release
from epidesk.tracing.contacts import repository as contacts
from tests.quarantine.helpers import inspect, load_facilities
from tests.quarantine.scene import add_result, noon, traced
from tests.tracing.helpers import NOW, add_case, preset, withdraw


def _active(db: Session, resident_id: int) -> QuarantineOrder:
    found = [o for o in orders.orders_of_resident(db, resident_id=resident_id)
             if o.state == "active"]
    assert len(found) == 1, found
    return found[0]


def test_contacts_and_the_case_get_orders_that_explain_their_rule(db: Session) -> None:
    s, result = traced(db)
    assert result.made and not result.withdrawn
    grandmother = _active(db, s.id("wang_xiuying"))
    assert (grandmother.kind, grandmother.category, grandmother.form) == (
        "quarantine", "close_contact", "centralized")
    assert (grandmother.start_on, grandmother.end_on, grandmother.monitoring_until) == (
        date(2026, 11, 22), date(2026, 11, 28), date(2026, 12, 1))
    assert grandmother.rule == "quarantine.categories.close_contact"
    assert json.loads(grandmother.rule_values)["source"] == "9th"
    assert "cn-9th-2022" in orders.explanation(grandmother)
    sub = _active(db, s.id("li_qiang"))
    assert (sub.category, sub.form) == ("sub_close_contact", "home")
    case = _active(db, s.id("wang_xiulan"))
    assert (case.kind, case.category, case.basis, case.basis_id) == (
        "isolation", "case", "case", s.case.id)


def test_the_orders_tests_are_tracings_follow_up_plan(db: Session) -> None:
    s, _ = traced(db)
    for key in ("wang_xiuying", "li_qiang", "chen_jing"):
        order = _active(db, s.id(key))
        planned = [(t.day, t.due_on) for t in contacts.follow_up(db, s.id(key))]
        assert [(t.day, t.due_on) for t in order_rules.tests_of(order.test_days)] == planned


def test_a_second_sync_finds_nothing_new(db: Session) -> None:
    traced(db)
    again = orders.sync_orders(db, actor="officer", preset=preset(), now=NOW)
    assert again.as_dict() == {"residents": 0, "made": 0, "changed": 0, "withdrawn": 0,
                               "superseded": 0}


def test_a_withdrawn_case_withdraws_the_orders_resting_on_it(db: Session) -> None:
    from epidesk.tracing.runs import service as runs

    s, _ = traced(db)
    withdraw(db, s.case)
    runs.run_tracing(db, actor="investigator", preset=preset(), now=NOW)
    result = orders.sync_orders(db, actor="officer", preset=preset(), now=NOW)
    assert len(result.withdrawn) >= 6
    for key in ("wang_xiulan", "wang_xiuying", "li_qiang"):
        states = {o.state for o in orders.orders_of_resident(db, resident_id=s.id(key))}
        assert states == {"withdrawn"}


def test_a_contact_who_becomes_a_case_is_isolated_instead(db: Session) -> None:
    s, _ = traced(db)
    before = _active(db, s.id("li_na"))
    add_case(db, s.city, "li_na", sampling=date(2026, 11, 23), isolation=date(2026, 11, 23))
    result = orders.sync_orders(db, actor="officer", preset=preset(), now=NOW)
    assert before.id in result.superseded
    assert _active(db, s.id("li_na")).kind == "isolation"


def test_every_order_version_queues_one_notice_in_the_residents_language(db: Session) -> None:
    s, _ = traced(db)
    resident = s.city.residents["chen_jing"]
    order = _active(db, resident.id)
    notices = db.scalars(select(OutboundMessage).where(
        OutboundMessage.resident_id == resident.id)).all()
    assert [n.reference for n in notices] == [f"order:{order.id}:v1"]
    assert notices[0].language == "zh" and "集中隔离" in notices[0].body
    resident.language = "en"
    orders.change_end(db, order_id=order.id, end_on=order.end_on + timedelta(days=2),
                      reason="late test result", actor="officer")
    latest = db.scalars(select(OutboundMessage).where(
        OutboundMessage.reference == f"order:{order.id}:v2")).one()
    assert latest.language == "en" and "centralized quarantine" in latest.body


def test_an_end_changes_only_with_a_reason_and_the_earlier_end_stays(db: Session) -> None:
    s, _ = traced(db)
    order = _active(db, s.id("chen_jing"))
    first_end = order.end_on
    with pytest.raises(ValidationFailedError, match="needs a reason"):
        orders.change_end(db, order_id=order.id, end_on=first_end + timedelta(days=1),
                          reason="  ", actor="officer")
    with pytest.raises(ValidationFailedError, match="before the order's start"):
        orders.change_end(db, order_id=order.id, end_on=order.start_on - timedelta(days=1),
                          reason="typo", actor="officer")
    assert (order.end_on, order.version, order.changes) == (first_end, 1, [])
    orders.change_end(db, order_id=order.id, end_on=first_end + timedelta(days=3),
                      reason="positive flatmate", actor="officer")
    orders.change_end(db, order_id=order.id, end_on=first_end + timedelta(days=1),
                      reason="flatmate's result corrected", actor="officer")
    order = orders.get_order(db, order_id=order.id)
    assert [(c.kind, c.previous_end_on, c.end_on) for c in order.changes] == [
        ("extended", first_end, first_end + timedelta(days=3)),
        ("shortened", first_end + timedelta(days=3), first_end + timedelta(days=1))]
    assert order.version == 3
    kinds = db.scalars(select(OrderEvent.kind).where(OrderEvent.order_id == order.id)
                       .order_by(OrderEvent.id)).all()
    assert kinds == ["made", "extended", "shortened"]


def test_deliveries_record_how_and_on_whose_behalf(db: Session) -> None:
    s, _ = traced(db)
    order = _active(db, s.id("wang_wei"))
    with pytest.raises(ValidationFailedError, match="on someone's behalf"):
        orders.record_delivery(db, order_id=order.id, method="on_behalf", actor="officer")
    with pytest.raises(ValidationFailedError, match="unknown method"):
        orders.record_delivery(db, order_id=order.id, method="pigeon", actor="officer")
    orders.record_delivery(db, order_id=order.id, method="on_behalf", received_by="王秀兰",
                           relation="mother", actor="officer")
    orders.record_delivery(db, order_id=order.id, method="phone", actor="officer")
    order = orders.get_order(db, order_id=order.id)
    assert [(d.method, d.received_by) for d in order.deliveries] == [
        ("on_behalf", "王秀兰"), ("phone", None)]


def test_rooms_only_in_eligible_facilities_of_the_orders_use(db: Session) -> None:
    s, _ = traced(db)
    ids = load_facilities(db, s.city)
    contact = _active(db, s.id("chen_jing"))
    case = _active(db, s.id("wang_xiulan"))
    from epidesk.quarantine.models import Room

    def room(code: str) -> int:
        return db.scalars(select(Room.id).where(Room.facility_id == ids[code])).first() or 0

    with pytest.raises(ConflictError, match="no new placements"):
        orders.assign_room(db, order_id=contact.id, room_id=room("H1"), actor="t", now=NOW)
    inspect(db, ids["H1"], on=date(2026, 11, 21))
    inspect(db, ids["M1"], on=date(2026, 11, 21))
    with pytest.raises(ConflictError, match="is for isolation"):
        orders.assign_room(db, order_id=contact.id, room_id=room("M1"), actor="t", now=NOW)
    with pytest.raises(ConflictError, match="is for quarantine"):
        orders.assign_room(db, order_id=case.id, room_id=room("H1"), actor="t", now=NOW)
    orders.assign_room(db, order_id=contact.id, room_id=room("H1"), actor="t", now=NOW)
    other = _active(db, s.id("chen_jie"))
    assert other.form == "home"
    with pytest.raises(ConflictError, match="not a centralized order"):
        orders.assign_room(db, order_id=other.id, room_id=room("H1"), actor="t", now=NOW)
    grandmother = _active(db, s.id("wang_xiuying"))
    with pytest.raises(ConflictError, match="no free bed"):
        orders.assign_room(db, order_id=grandmother.id, room_id=room("H1"), actor="t", now=NOW)
    assert orders.where_now(db, resident_ids=[s.id("chen_jing")]) == {
        s.id("chen_jing"): ("H1", "Site H1", "101")}


def test_a_release_without_the_required_results_is_refused_and_changes_nothing(
        db: Session) -> None:
    s, _ = traced(db)
    order = _active(db, s.id("chen_jing"))
    for day in (1, 2, 3, 5):
        add_result(db, s.id("chen_jing"), order.counted_from + timedelta(days=day))
    with pytest.raises(ValidationFailedError) as refused:
        release.release(db, order_id=order.id, actor="officer", now=noon(order.end_on))
    assert "day-7 test" in refused.value.detail
    assert refused.value.extra["missing"]
    assert orders.get_order(db, order_id=order.id).state == "active"
    add_result(db, s.id("chen_jing"), order.end_on)
    done = release.release(db, order_id=order.id, actor="officer", now=noon(order.end_on))
    assert (done.state, done.released_on, done.release_rule) == (
        "released", order.end_on, "quarantine.categories.close_contact")
    assert done.monitoring_until == order.end_on + timedelta(days=3)
    with pytest.raises(ConflictError):
        release.release(db, order_id=order.id, actor="officer", now=noon(order.end_on))


def test_a_sub_close_contact_is_released_on_day_7_with_its_close_contacts_tests(
        db: Session) -> None:
    s, _ = traced(db)
    order = _active(db, s.id("li_qiang"))
    close = s.id("li_na")
    day7 = order.counted_from + timedelta(days=7)
    for day in (1, 4, 7):
        add_result(db, s.id("li_qiang"), order.counted_from + timedelta(days=day))
    add_result(db, close, date(2026, 11, 22))
    with pytest.raises(ValidationFailedError, match="1 of the 2 first tests"):
        release.release(db, order_id=order.id, actor="officer", now=noon(day7))
    add_result(db, close, date(2026, 11, 23))
    assert release.release(db, order_id=order.id, actor="officer",
                           now=noon(day7)).release_rule == "contacts.sub_close.release"


def test_a_case_is_released_after_two_tests_24_hours_apart(db: Session) -> None:
    s, _ = traced(db)
    order = _active(db, s.id("wang_xiulan"))
    later = date(2026, 11, 30)
    add_result(db, s.id("wang_xiulan"), later - timedelta(days=1), positive=True, ct=36.0)
    with pytest.raises(ValidationFailedError, match="consecutive tests"):
        release.release(db, order_id=order.id, actor="doctor", now=noon(later))
    add_result(db, s.id("wang_xiulan"), later, positive=True, ct=37.0)
    assert release.release(db, order_id=order.id, actor="doctor",
                           now=noon(later)).release_rule == "cases.release"


def test_orders_held_past_their_end_are_listed_as_overdue(db: Session) -> None:
    s, _ = traced(db)
    order = _active(db, s.id("chen_jing"))
    late = order.end_on + timedelta(days=2)
    found = {o.id: days for o, days in orders.overdue_orders(db, today=late)}
    assert found[order.id] == 2
    assert orders.count_overdue(db, today=late) >= 1
    assert order.id not in {o.id for o, _ in orders.overdue_orders(db, today=order.end_on)}
    assert orders.count_overdue(db, today=date(2026, 11, 22)) == 0


def test_unknown_orders_are_not_found(db: Session) -> None:
    with pytest.raises(NotFoundError):
        orders.get_order(db, order_id=999_999)


def test_a_sub_close_contact_promoted_to_close_gets_the_close_contacts_order(
        db: Session) -> None:
    from epidesk.tracing import service as tracing

    s, _ = traced(db)
    before = _active(db, s.id("li_qiang"))
    assert before.category == "sub_close_contact"
    add_case(db, s.city, "li_na", sampling=date(2026, 11, 22), isolation=date(2026, 11, 22))
    tracing.follow_case_changes(db, actor="registry", preset=preset(),
                                now=NOW + timedelta(hours=1))
    result = orders.sync_orders(db, actor="officer", preset=preset(),
                                now=NOW + timedelta(hours=1))
    assert before.id in result.superseded
    after = _active(db, s.id("li_qiang"))
    assert (after.category, after.form) == ("close_contact", "centralized")


def test_visitors_of_a_high_risk_zone_get_the_visitors_order(db: Session) -> None:
    from epidesk.policy.service import load_preset
    from epidesk.zoning import service as zoning
    from epidesk.zoning.models import Zone
    from tests.zoning.scene import day
    from tests.zoning.scene import scene as zoned

    city, _ = zoned(db)
    zoning.recompute(db, actor="test", preset=load_preset("cn-9th-2022"), day=day(0))
    levels = {z.level: z for z in db.scalars(select(Zone))}
    visitor = city.residents["zhao_lei"].id
    made = orders.visitor_order(db, resident_id=visitor, zone_id=levels["high"].id,
                                left_on=day(1), actor="officer", now=NOW)
    assert (made.category, made.form, made.basis) == (
        "visited_high_risk_area", "centralized", "zone")
    assert made.end_on == day(1) + timedelta(days=7)
    with pytest.raises(ConflictError, match="already under order"):
        orders.visitor_order(db, resident_id=visitor, zone_id=levels["high"].id,
                             left_on=day(1), actor="officer", now=NOW)
    with pytest.raises(ValidationFailedError, match="not quarantined"):
        orders.visitor_order(db, resident_id=city.residents["chen_jie"].id,
                             zone_id=levels["low"].id, left_on=day(1), actor="officer",
                             now=NOW)
    assert made.id in {o.id for o in orders.list_orders(db)}
