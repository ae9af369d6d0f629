"""Depots: transfers first-expired-first-out with lots and expiry kept, issues never from
an expired lot, the movement log, figures and shortage alerts."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.errors import ValidationFailedError
from epidesk.kit import clock
from epidesk.supplies.depots import repository, service
from epidesk.supplies.models import StockMovement
from tests.factories import tiny_city


def test_transfers_issues_and_the_movement_log(db: Session) -> None:
    city = tiny_city(db)
    district = city.districts[0].id
    a = service.create_depot(db, code="A", name="A", district_id=district)
    b = service.create_depot(db, code="B", name="B", district_id=district)
    today = clock.city_today()
    for lot, expires, n in (("old", date(2020, 1, 1), 30), ("soon", date(2099, 1, 1), 10),
                            ("later", date(2099, 6, 1), 10)):
        service.adjust(db, depot_id=a.id, item="medicine", lot=lot, change=n,
                       reason="count", actor="keeper", expires_on=expires)
    # The expired lot is never picked; the soonest usable one goes first.
    service.transfer(db, from_depot=a.id, to_depot=b.id, item="medicine", quantity=12,
                     actor="keeper")
    moved = {lt.lot: (lt.on_hand, lt.expires_on) for lt in repository.lots(db, b.id)}
    assert moved == {"soon": (10, date(2099, 1, 1)), "later": (2, date(2099, 6, 1))}
    with pytest.raises(service.ShortOfStock):
        service.issue(db, depot_id=a.id, items={"medicine": 9}, actor="keeper", on=today)
    service.issue(db, depot_id=a.id, items={"medicine": 8}, actor="keeper", on=today)
    log = db.scalars(select(StockMovement).where(StockMovement.depot_id == a.id)
                     .order_by(StockMovement.id)).all()
    assert [(m.kind, m.lot, m.quantity) for m in log] == [
        ("adjustment", "old", 30), ("adjustment", "soon", 10), ("adjustment", "later", 10),
        ("transfer", "soon", -10), ("transfer", "later", -2), ("issue", "later", -8)]
    figures = {f.item: f for f in service.figures(db, depot_id=a.id, day=today)}
    assert figures["medicine"].on_hand == 0 and figures["medicine"].shortage
    alerts = {(x.depot, x.item) for x in service.shortages(db, day=today)}
    assert ("A", "medicine") in alerts and ("B", "masks") in alerts
    with pytest.raises(ValidationFailedError):
        service.adjust(db, depot_id=a.id, item="medicine", lot="x", change=5, reason=" ",
                       actor="keeper")
