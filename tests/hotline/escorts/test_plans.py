"""Treatment plans: sessions on restricted days become scheduled trips (once), a session
not dispatched or not completed is missed, a plan for a free household is refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.errors import ValidationFailedError
from epidesk.hotline.escorts import rules, service
from epidesk.hotline.models import EscortPlan, EscortTrip
from epidesk.zoning.models import Zone
from tests.hotline.escorts.scene import CREW
from tests.supplies.scene import restricted

# Sunday 22 November 2026, 10:00 in the city (UTC+8).
NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def _plan(resident_id: int, **kw: object) -> service.PlanIn:
    fields: dict[str, object] = {
        "resident_id": resident_id, "kind": "dialysis", "facility": "Renal unit, No. 2 Hospital",
        "starts_on": date(2026, 11, 22), "ends_on": date(2026, 12, 31), "departs": "07:30",
        "arrives": "08:00", "back": "13:00", "weekdays": "1,3,5"}
    fields.update(kw)
    return service.PlanIn(**fields)  # type: ignore[arg-type]


def test_a_plan_schedules_each_session_of_the_coming_week_once(db: Session) -> None:
    city = restricted(db)
    plan, counts = service.create_plan(db, plan=_plan(city.residents["li_na"].id),
                                       actor="op", now=NOW)
    assert counts["scheduled"] == 3  # Monday 23, Wednesday 25, Friday 27
    trips = db.scalars(select(EscortTrip).where(EscortTrip.plan_id == plan.id)
                       .order_by(EscortTrip.departs_at)).all()
    assert [t.session_on for t in trips] == [date(2026, 11, 23), date(2026, 11, 25),
                                             date(2026, 11, 27)]
    # 07:30 in the city is 23:30 UTC the day before.
    assert trips[0].departs_at == datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert trips[0].back_at == datetime(2026, 11, 23, 5, 0, tzinfo=UTC)
    assert {t.status for t in trips} == {rules.SCHEDULED}
    again = service.schedule(db, first=date(2026, 11, 22), last=date(2026, 11, 29),
                             actor="job", now=NOW)
    assert (again["scheduled"], again["already"]) == (0, 3)
    assert len(db.scalars(select(EscortTrip)).all()) == 3


def test_sessions_after_the_restriction_ends_are_left_to_the_resident(db: Session) -> None:
    city = restricted(db)
    for zone in db.scalars(select(Zone).where(Zone.level == "high")):
        zone.planned_end = date(2026, 11, 24)
    db.flush()
    _, counts = service.create_plan(db, plan=_plan(city.residents["li_na"].id), actor="op",
                                    now=NOW)
    assert (counts["scheduled"], counts["not_restricted"]) == (1, 2)


def test_a_plan_for_a_household_not_restricted_is_refused(db: Session) -> None:
    city = restricted(db)
    with pytest.raises(ValidationFailedError) as refused:
        service.create_plan(db, plan=_plan(city.residents["wang_fang"].id), actor="op",
                            now=NOW)
    assert refused.value.extra["field"] == "resident_id"
    assert "not under a stay-home zone or home quarantine" in refused.value.detail
    assert not db.scalars(select(EscortPlan)).all()


@pytest.mark.parametrize(("change", "field"), [
    ({"kind": "massage"}, "kind"), ({"weekdays": "8"}, "weekdays"),
    ({"weekdays": "", "dates": ""}, "weekdays"), ({"dates": "2026-13-01"}, "dates"),
    ({"arrives": "07:00"}, "back"), ({"departs": "7h30"}, "departs"),
    ({"ends_on": date(2026, 11, 1)}, "ends_on"), ({"facility": " "}, "facility"),
])
def test_a_malformed_plan_is_refused_naming_the_field(db: Session, change: dict[str, object],
                                                      field: str) -> None:
    city = restricted(db)
    with pytest.raises(ValidationFailedError) as refused:
        service.create_plan(db, plan=_plan(city.residents["li_na"].id, **change), actor="op",
                            now=NOW)
    assert refused.value.extra["field"] == field
    assert not db.scalars(select(EscortTrip)).all()


def test_a_session_not_dispatched_or_not_completed_is_missed(db: Session) -> None:
    city = restricted(db)
    plan, _ = service.create_plan(db, plan=_plan(city.residents["li_na"].id,
                                                 weekdays="", dates="2026-11-23,2026-11-25"),
                                  actor="op", now=NOW)
    monday, wednesday = db.scalars(select(EscortTrip).where(EscortTrip.plan_id == plan.id)
                                   .order_by(EscortTrip.departs_at)).all()
    pickup = monday.departs_at
    assert not service.missed_sessions(db, area=None, now=pickup + timedelta(minutes=29))
    assert [(t.id, why) for t, why in service.missed_sessions(
        db, area=None, now=pickup + timedelta(minutes=31))] == [(monday.id, "not_dispatched")]
    service.dispatch_scheduled(db, trip=wednesday, crew=CREW, actor="op")
    late = wednesday.back_at + timedelta(hours=2)
    found = {t.id: why for t, why in service.missed_sessions(db, area=None, now=late)}
    assert found == {monday.id: "not_dispatched", wednesday.id: "not_completed"}
    assert [t.id for t in service.due_on(db, area=None, day=date(2026, 11, 25))] == [
        wednesday.id]


def test_ending_a_plan_cancels_its_scheduled_trips(db: Session) -> None:
    city = restricted(db)
    plan, counts = service.create_plan(db, plan=_plan(city.residents["li_na"].id),
                                       actor="op", now=NOW)
    assert service.end_plan(db, plan=plan, reason="moved to hospital care", actor="op",
                            now=NOW) == counts["scheduled"]
    assert {t.status for t in db.scalars(select(EscortTrip))} == {rules.CANCELLED}
    assert not service.missed_sessions(db, area=None, now=NOW + timedelta(days=10))


def test_session_days_follow_weekdays_dates_and_the_period() -> None:
    plan = rules.Schedule((1, 4), (date(2026, 11, 29),), date(2026, 11, 24), date(2026, 12, 3))
    assert rules.session_days(plan, date(2026, 11, 20), date(2026, 12, 10)) == [
        date(2026, 11, 26), date(2026, 11, 29), date(2026, 11, 30), date(2026, 12, 3)]
