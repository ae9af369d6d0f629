"""Home monitoring as use cases: who is under it, the day's state (done, due, missed),
fever and symptoms flagging a test until a result or a worker's clearance, the period
ending by itself, and the refusals (not home, no monitoring, bad values)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.errors import ValidationFailedError
from epidesk.kit import clock
from epidesk.quarantine.models import HomeCheck, QuarantineOrder
from epidesk.quarantine.monitoring import rules, service
from epidesk.quarantine.monitoring.service import CheckIn
from epidesk.quarantine.orders import service as orders
from tests.quarantine.monitoring.home import active, at, home_scene
from tests.quarantine.scene import add_result


def _state(db: Session, resident_id: int, day: object) -> service.Monitored | None:
    found = service.under_monitoring(db, today=day, resident_ids=[resident_id])  # type: ignore[arg-type]
    return found[0] if found else None


def _count(db: Session) -> int:
    return int(db.scalar(select(func.count(HomeCheck.id))) or 0)


def test_rules_flag_fever_and_symptoms() -> None:
    assert rules.flags_test(rules.Reading(37.3, ()))
    assert not rules.flags_test(rules.Reading(37.2, ()))
    assert rules.flags_test(rules.Reading(36.5, ("cough",)))
    assert rules.flags_test(rules.Reading(None, ("taste_smell",)))
    assert rules.problem(rules.Reading(33.0, ())) == (
        "temperature", "33.0 is not a body temperature (34.0-43.0 C)")
    assert rules.problem(rules.Reading(36.5, ("sneezing",)))[0] == "symptoms"  # type: ignore[index]
    assert rules.problem(rules.Reading(36.5, ("other",)))[0] == "other_symptom"  # type: ignore[index]
    assert rules.problem(rules.Reading(None, ()))[0] == "temperature"  # type: ignore[index]
    assert rules.problem(rules.Reading(36.5, ("other",), "rash")) is None


def test_the_days_state_done_due_missed_and_the_period_ending(db: Session) -> None:
    h = home_scene(db)
    rid, until = h.order.resident_id, h.order.monitoring_until
    assert until is not None and until > h.home_on + timedelta(days=2)
    first = _state(db, rid, h.home_on)
    assert first is not None and (first.state, first.home_on, first.until) == (
        rules.DUE, h.home_on, until)
    # The person released but not home yet is not listed.
    assert _state(db, h.away.resident_id, h.home_on) is None
    service.record_check(db, resident_id=rid, actor="worker", now=at(h.home_on),
                         check=CheckIn(method="visit", temperature=36.6))
    assert _state(db, rid, h.home_on).state == rules.DONE  # type: ignore[union-attr]
    day2 = h.home_on + timedelta(days=1)
    assert _state(db, rid, day2).state == rules.DUE  # type: ignore[union-attr]
    day3 = h.home_on + timedelta(days=2)
    service.record_check(db, resident_id=rid, actor="hotline", now=at(day3),
                         check=CheckIn(method="phone", reached=False,
                                       reason="no answer twice"))
    missed = _state(db, rid, day3)
    assert missed is not None and (missed.state, missed.not_reached_today) == (rules.MISSED, 1)
    service.record_check(db, resident_id=rid, actor="hotline", now=at(day3, 15),
                         check=CheckIn(method="phone", temperature=36.4))
    assert _state(db, rid, day3).state == rules.DONE  # type: ignore[union-attr]
    assert _state(db, rid, until) is not None
    # After the last day of monitoring nobody is listed, and no check is taken.
    assert service.under_monitoring(db, today=until + timedelta(days=1)) == []
    with pytest.raises(ValidationFailedError, match="ended on") as ended:
        service.record_check(db, resident_id=rid, actor="worker",
                             now=at(until + timedelta(days=1)),
                             check=CheckIn(method="visit", temperature=36.6))
    assert ended.value.extra["field"] == "resident_id"
    assert _count(db) == 3


def test_fever_flags_a_test_until_a_result_and_a_symptom_until_cleared(db: Session) -> None:
    h = home_scene(db)
    rid = h.order.resident_id
    normal = service.record_check(db, resident_id=rid, actor="worker", now=at(h.home_on),
                                  check=CheckIn(method="visit", temperature=37.2))
    assert not normal.flagged and not _state(db, rid, h.home_on).needs_test  # type: ignore[union-attr]
    day2 = h.home_on + timedelta(days=1)
    fever = service.record_check(db, resident_id=rid, actor="worker", now=at(day2, 9),
                                 check=CheckIn(method="visit", temperature=37.3))
    assert fever.flagged
    flagged = _state(db, rid, day2)
    assert flagged is not None and flagged.needs_test
    assert flagged.flagged_at == clock.aware(fever.at)
    # A result sampled after the flag lifts it.
    add_result(db, rid, day2, hour=14)
    assert not _state(db, rid, day2).needs_test  # type: ignore[union-attr]
    day3 = h.home_on + timedelta(days=2)
    cough = service.record_check(db, resident_id=rid, actor="worker", now=at(day3),
                                 check=CheckIn(method="self_report", temperature=36.5,
                                               symptoms=("cough", "other"),
                                               other_symptom="headache"))
    assert cough.flagged and cough.symptoms == "cough other"
    assert _state(db, rid, day3).needs_test  # type: ignore[union-attr]
    with pytest.raises(ValidationFailedError) as silent:
        service.clear_flag(db, resident_id=rid, reason=" ", actor="worker", now=at(day3, 11))
    assert silent.value.extra["field"] == "reason"
    assert service.clear_flag(db, resident_id=rid, reason="cough from smoking, seen by the "
                              "doctor", actor="worker", now=at(day3, 11)) == 1
    assert not _state(db, rid, day3).needs_test  # type: ignore[union-attr]
    assert (cough.cleared_by, cough.cleared_reason) == (
        "worker", "cough from smoking, seen by the doctor")
    assert service.clear_flag(db, resident_id=rid, reason="again", actor="worker") == 0


def test_someone_not_home_or_without_monitoring_gets_no_check(db: Session) -> None:
    h = home_scene(db)
    s = h.scene
    free = next(r.id for r in s.city.residents.values()
                if not orders.orders_of_resident(db, resident_id=r.id))
    cases = [
        (h.away.resident_id, "not home yet"),
        (active(db, s.id("chen_jing")).resident_id, "still under order"),
        (free, "no order with home health monitoring"),
    ]
    for resident_id, message in cases:
        with pytest.raises(ValidationFailedError, match=message) as refused:
            service.record_check(db, resident_id=resident_id, actor="worker",
                                 now=at(h.home_on), check=CheckIn(method="visit",
                                                                  temperature=36.6))
        assert refused.value.extra["field"] == "resident_id"
    rid = h.order.resident_id
    bad = [
        (CheckIn(method="carrier pigeon", temperature=36.6), "method"),
        (CheckIn(method="visit", temperature=48.0), "temperature"),
        (CheckIn(method="visit"), "temperature"),
        (CheckIn(method="visit", symptoms=("sneezing",)), "symptoms"),
        (CheckIn(method="visit", symptoms=("other",)), "other_symptom"),
        (CheckIn(method="phone", reached=False), "reason"),
        (CheckIn(method="phone", reached=False, reason="out", temperature=36.6), "temperature"),
        (CheckIn(method="visit", temperature=36.6,
                 checked_on=h.home_on + timedelta(days=1)), "checked_on"),
        (CheckIn(method="visit", temperature=36.6,
                 checked_on=h.home_on - timedelta(days=1)), "checked_on"),
    ]
    for check, field in bad:
        with pytest.raises(ValidationFailedError) as refused:
            service.record_check(db, resident_id=rid, actor="worker", now=at(h.home_on),
                                 check=check)
        assert refused.value.extra["field"] == field, check
    assert _count(db) == 0


def test_a_new_order_in_force_ends_the_monitoring(db: Session) -> None:
    h = home_scene(db)
    rid, o = h.order.resident_id, h.order
    assert _state(db, rid, h.home_on) is not None
    db.add(QuarantineOrder(
        resident_id=rid, household_id=o.household_id, kind="quarantine",
        category=o.category, basis=o.basis, basis_id=o.basis_id, form="home", preset=o.preset,
        rule=o.rule, rule_values="{}", counted_from=h.home_on, start_on=h.home_on,
        end_on=h.home_on + timedelta(days=7), test_days="[]", state="active", version=1,
        created_at=h.arrived, updated_at=h.arrived, created_by="test"))
    db.flush()
    assert _state(db, rid, h.home_on) is None
    with pytest.raises(ValidationFailedError, match="again") as refused:
        service.record_check(db, resident_id=rid, actor="worker", now=at(h.home_on),
                             check=CheckIn(method="visit", temperature=36.6))
    assert refused.value.extra["field"] == "resident_id"
