"""Transfers: manifests, check-out and idempotent check-in, refusals that change nothing,
alerts for the missing that stay until resolved with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.errors import ConflictError, ValidationFailedError
from epidesk.people.models import Resident
from epidesk.quarantine.models import QuarantineOrder, TransferLine, TransferManifest
from epidesk.quarantine.transfers import rules, service
from tests.quarantine.helpers import NOW, load_facilities
from tests.quarantine.scene import traced


def _setup(db: Session) -> tuple[list[QuarantineOrder], int, QuarantineOrder]:
    s, _ = traced(db)
    ids = load_facilities(db, s.city)
    active = list(db.scalars(select(QuarantineOrder).where(
        QuarantineOrder.state == "active").order_by(QuarantineOrder.id)))
    centralized = [o for o in active if o.form == "centralized" and o.kind == "quarantine"]
    home = next(o for o in active if o.form == "home")
    assert len(centralized) >= 2
    return centralized, ids["H1"], home


def _manifest(db: Session, orders: list[QuarantineOrder], facility: int, *, seats: int = 10
              ) -> TransferManifest:
    return service.create_manifest(db, actor="coordinator", now=NOW, manifest=service.ManifestIn(
        vehicle="Bus 7", seats=seats, route="Depot - River Road - Site H1",
        facility_id=facility, departs_at=NOW, expected_at=NOW + timedelta(hours=1),
        driver_name="Zhang Wei", driver_phone="13900000000",
        order_ids=[o.id for o in orders]))


def _lines(db: Session) -> int:
    return len(db.scalars(select(TransferLine)).all())


def test_a_manifest_numbers_its_people_and_refuses_bad_input_whole(db: Session) -> None:
    orders, facility, home = _setup(db)
    m = _manifest(db, orders[:2], facility)
    assert [line.line_no for line in m.lines] == [1, 2]
    assert [line.resident_id for line in m.lines] == [o.resident_id for o in orders[:2]]
    with pytest.raises(ValidationFailedError, match="do not fit") as too_many:
        _manifest(db, orders[:2], facility, seats=1)
    assert too_many.value.extra["field"] == "seats"
    with pytest.raises(ValidationFailedError, match="not a centralized order"):
        _manifest(db, [orders[0], home], facility)
    with pytest.raises(ValidationFailedError, match="listed twice"):
        _manifest(db, [orders[0], orders[0]], facility)
    assert _lines(db) == 2


def test_check_in_is_idempotent_and_refuses_someone_not_on_the_manifest(db: Session) -> None:
    orders, facility, _ = _setup(db)
    m = _manifest(db, orders[:1], facility)
    service.check_out(db, manifest_id=m.id, line_no=1, actor="driver", now=NOW)
    boarded = m.lines[0].checked_out_at
    service.check_out(db, manifest_id=m.id, line_no=1, actor="driver",
                      now=NOW + timedelta(minutes=5))
    assert m.lines[0].checked_out_at == boarded
    line, changed = service.check_in(db, manifest_id=m.id, resident_id=orders[0].resident_id,
                                     actor="desk", now=NOW + timedelta(minutes=50))
    assert changed and line.checked_in_by == "desk"
    first = line.checked_in_at
    again, changed = service.check_in(db, manifest_id=m.id,
                                      resident_id=orders[0].resident_id, actor="other",
                                      now=NOW + timedelta(minutes=55))
    assert not changed and again.checked_in_at == first and again.checked_in_by == "desk"
    with pytest.raises(ValidationFailedError, match="is not on manifest") as refused:
        service.check_in(db, manifest_id=m.id, resident_id=orders[1].resident_id,
                         actor="desk", now=NOW)
    assert refused.value.extra["field"] == "resident_id"
    assert _lines(db) == 1
    assert service.state_of(m.lines[0], NOW + timedelta(hours=5)) == rules.ARRIVED


def test_the_missing_raise_an_alert_that_stays_until_resolved(db: Session) -> None:
    orders, facility, _ = _setup(db)
    m = _manifest(db, orders[:2], facility)
    for n in (1, 2):
        service.check_out(db, manifest_id=m.id, line_no=n, actor="driver", now=NOW)
    service.check_in(db, manifest_id=m.id, resident_id=orders[0].resident_id, actor="desk",
                     now=NOW + timedelta(minutes=40))
    before_grace = NOW + timedelta(hours=1, minutes=29)
    assert service.alerts(db, now=before_grace) == []
    later = NOW + timedelta(hours=1, minutes=31)
    open_alerts = service.alerts(db, now=later)
    assert [a.resident_id for a in open_alerts] == [orders[1].resident_id]
    assert service.counts(db, now=later) == {"dispatched": 2, "arrived": 1, "missing": 1}
    assert service.alerts(db, now=later + timedelta(days=3)) == open_alerts
    missing = open_alerts[0]
    with pytest.raises(ValidationFailedError) as bad:
        service.resolve(db, line_id=missing.id, resolution="vanished", note="?", actor="c",
                        now=later)
    assert bad.value.extra["field"] == "resolution"
    with pytest.raises(ValidationFailedError) as silent:
        service.resolve(db, line_id=missing.id, resolution="hospital", note=" ", actor="c",
                        now=later)
    assert silent.value.extra["field"] == "note"
    assert service.alerts(db, now=later) == open_alerts
    service.resolve(db, line_id=missing.id, resolution="hospital",
                    note="Taken to the People's Hospital with a fever", actor="coordinator",
                    now=later)
    assert service.alerts(db, now=later) == []
    assert service.counts(db, now=later)["missing"] == 0
    with pytest.raises(ConflictError, match="no open alert"):
        service.resolve(db, line_id=m.lines[0].id, resolution="arrived_late", note="x",
                        actor="c", now=later)


def test_search_by_line_number_id_number_or_name(db: Session) -> None:
    orders, facility, _ = _setup(db)
    m = _manifest(db, orders[:2], facility)
    second = db.get(Resident, orders[1].resident_id)
    assert second is not None
    assert [line.line_no for line in service.search(db, manifest_id=m.id, term="2")] == [2]
    assert [line.line_no for line in service.search(db, manifest_id=m.id, term="#1")] == [1]
    by_name = service.search(db, manifest_id=m.id, term=second.name)
    assert [line.resident_id for line in by_name] == [second.id]
    if second.id_number:
        by_id = service.search(db, manifest_id=m.id, term=second.id_number)
        assert [line.resident_id for line in by_id] == [second.id]
    assert service.search(db, manifest_id=m.id, term="nobody at all") == []


def test_search_kinds() -> None:
    assert rules.search_kind("12") == "line"
    assert rules.search_kind("#3") == "line"
    assert rules.search_kind("37010219900101123X") == "id_number"
    assert rules.search_kind("Wang") == "name"
