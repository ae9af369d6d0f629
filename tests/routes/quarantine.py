"""The route matrix: quarantine."""

from __future__ import annotations

from tests.factories import TinyCity
from tests.routes import (
    PERSONAL,
    STAFF,
    Probe,
    _resident,
)
from tests.routes.tracing import _traced

STAFF.update({
    # Quarantine facilities: sites, rooms, capacity, the reserve, inspections and linked
    # complaints (no person named), the facility-list upload and the sync of orders
    # (counts only).
    ("GET", "/quarantine"), ("GET", "/quarantine/facilities/{facility_id}"),
    ("POST", "/quarantine/facilities/{facility_id}/inspections"),
    ("GET", "/api/quarantine/facilities"), ("GET", "/api/quarantine/facilities/{facility_id}"),
    ("GET", "/api/quarantine/capacity"), ("GET", "/api/quarantine/reserve"),
    ("POST", "/api/quarantine/facility-lists"), ("POST", "/api/quarantine/orders/sync"),
    ("POST", "/api/quarantine/facilities/{facility_id}/inspections"),
    ("POST", "/api/quarantine/facilities/{facility_id}/complaints"),
    # A manifest's dispatch details (vehicle, seats, driver, route, times, note): figures
    # and the driver, no person named.
    ("PATCH", "/api/quarantine/transfers/{manifest_id}"),
    ("POST", "/quarantine/transfers/{manifest_id}/dispatch"),
})


def _ordered(t: TinyCity) -> dict[str, int]:
    """The isolation orders of `_traced`'s cases, and the worker made facility manager of
    its community (orders are changed with the quarantine permission)."""
    found: dict[str, int] | None = getattr(t, "ordered", None)
    if found is not None:
        return found
    from sqlalchemy import select
    from sqlalchemy.orm import object_session

    from epidesk.auth import service as auth
    from epidesk.cases.models import CaseEpisode
    from epidesk.quarantine.models import QuarantineOrder
    from epidesk.quarantine.orders import service as orders

    traced = _traced(t)
    session = object_session(t.city)
    assert session is not None
    orders.sync_orders(session, actor="test", everyone=True)
    auth.grant_role(session, username="worker", role="facility_manager",
                    scope_kind="community", scope_id=t.communities[0].id, granted_by="test")
    found = {}
    for key in ("inside", "outside"):
        case = session.get(CaseEpisode, traced[f"case_{key}"])
        assert case is not None
        order = session.scalars(select(QuarantineOrder).where(
            QuarantineOrder.resident_id == case.resident_id,
            QuarantineOrder.state == "active")).one()
        found[key] = order.id
        found[f"{key}_resident"] = case.resident_id
        found[f"{key}_end"] = order.end_on.toordinal()
    t.ordered = found  # type: ignore[attr-defined]
    return found


def _order(t: TinyCity, inside: bool) -> int:
    return _ordered(t)["inside" if inside else "outside"]


def _ordered_resident(t: TinyCity, inside: bool) -> int:
    return _ordered(t)["inside_resident" if inside else "outside_resident"]


def _later_end(t: TinyCity, inside: bool) -> str:
    from datetime import date

    key = "inside_end" if inside else "outside_end"
    return date.fromordinal(_ordered(t)[key] + 2).isoformat()


PERSONAL.update({
    # Quarantine orders: of residents in the reader's area only (medical readers and
    # facility managers); changing one needs the quarantine permission there.
    ("GET", "/api/quarantine/orders"): Probe(
        lambda t, i: (_ordered(t), "/api/quarantine/orders")[1],
        lambda t, i: f'"resident_id":{_ordered_resident(t, i)},'),
    ("GET", "/api/quarantine/orders/overdue"): Probe(
        lambda t, i: (_ordered(t), "/api/quarantine/orders/overdue?day=2099-01-01")[1],
        lambda t, i: f'"resident_id":{_ordered_resident(t, i)},'),
    ("GET", "/quarantine/orders/overdue"): Probe(
        lambda t, i: (_ordered(t), "/quarantine/orders/overdue?day=2099-01-01")[1],
        lambda t, i: f'/quarantine/orders/{_order(t, i)}"'),
    ("GET", "/api/quarantine/orders/{order_id}"): Probe(
        lambda t, i: f"/api/quarantine/orders/{_order(t, i)}"),
    ("GET", "/quarantine/orders/{order_id}"): Probe(
        lambda t, i: f"/quarantine/orders/{_order(t, i)}"),
    ("GET", "/quarantine/orders/{order_id}/notice"): Probe(
        lambda t, i: f"/quarantine/orders/{_order(t, i)}/notice"),
    ("POST", "/api/quarantine/orders/{order_id}/end"): Probe(
        lambda t, i: f"/api/quarantine/orders/{_order(t, i)}/end",
        json=lambda t, i: {"end_on": _later_end(t, i), "reason": "late result"}),
    ("POST", "/api/quarantine/orders/{order_id}/deliveries"): Probe(
        lambda t, i: f"/api/quarantine/orders/{_order(t, i)}/deliveries",
        json={"method": "phone"}, ok=201),
    # Without results the release is refused naming them (422), and changes nothing.
    ("POST", "/api/quarantine/orders/{order_id}/release"): Probe(
        lambda t, i: f"/api/quarantine/orders/{_order(t, i)}/release", ok=422),
    ("POST", "/quarantine/orders/{order_id}/end"): Probe(
        lambda t, i: f"/quarantine/orders/{_order(t, i)}/end",
        form=lambda t, i: {"end_on": _later_end(t, i), "reason": "late result"}),
    ("POST", "/quarantine/orders/{order_id}/release"): Probe(
        lambda t, i: f"/quarantine/orders/{_order(t, i)}/release", form={}, ok=422),
})


def _monitored(t: TinyCity, inside: bool) -> int:
    """A resident inside (or outside) the worker's community released yesterday, home
    since, under home health monitoring for three more days."""
    key = "monitored_inside" if inside else "monitored_outside"
    found: int | None = getattr(t, key, None)
    if found is not None:
        return found
    from datetime import timedelta

    from sqlalchemy.orm import object_session

    from epidesk.kit import clock
    from epidesk.quarantine.models import OrderEvent, QuarantineOrder

    session = object_session(t.city)
    assert session is not None
    now = clock.now()
    today = clock.local_day(now)
    resident = next(r for r in t.residents.values() if r.id == _resident(t, inside))
    order = QuarantineOrder(
        resident_id=resident.id, household_id=resident.household_id, kind="quarantine",
        category="close_contact", basis="contact", basis_id=0, form="centralized",
        preset="9th", rule="-", rule_values="{}", counted_from=today - timedelta(days=8),
        start_on=today - timedelta(days=7), end_on=today - timedelta(days=1),
        monitoring_until=today + timedelta(days=3), test_days="[]", state="released",
        version=1, created_at=now, updated_at=now, created_by="test",
        released_on=today - timedelta(days=1), released_at=now - timedelta(days=1))
    session.add(order)
    session.flush()
    session.add(OrderEvent(order_id=order.id, resident_id=resident.id, kind="monitoring",
                           version=1, at=now - timedelta(hours=20)))
    session.flush()
    setattr(t, key, resident.id)
    return resident.id


_CHECK = {"method": "phone", "temperature": 36.6}

# Home health monitoring: people released and home, in the reader's area only; checks are
# recorded and flags cleared by community workers (and hotline operators) there.
PERSONAL.update({
    ("GET", "/api/quarantine/monitoring"): Probe(
        lambda t, i: (_monitored(t, True), _monitored(t, False),
                      "/api/quarantine/monitoring")[2],
        lambda t, i: f'"resident_id":{_monitored(t, i)},'),
    ("GET", "/quarantine/monitoring"): Probe(
        lambda t, i: (_monitored(t, True), _monitored(t, False), "/quarantine/monitoring")[2],
        lambda t, i: f'/quarantine/monitoring/{_monitored(t, i)}"'),
    ("GET", "/api/quarantine/monitoring/{resident_id}/checks"): Probe(
        lambda t, i: f"/api/quarantine/monitoring/{_monitored(t, i)}/checks"),
    ("GET", "/quarantine/monitoring/{resident_id}"): Probe(
        lambda t, i: f"/quarantine/monitoring/{_monitored(t, i)}"),
    ("POST", "/api/quarantine/monitoring/{resident_id}/checks"): Probe(
        lambda t, i: f"/api/quarantine/monitoring/{_monitored(t, i)}/checks", json=_CHECK,
        ok=201),
    ("POST", "/quarantine/monitoring/{resident_id}/checks"): Probe(
        lambda t, i: f"/quarantine/monitoring/{_monitored(t, i)}/checks",
        form={"method": "visit", "temperature": "36.6"}),
    ("POST", "/api/quarantine/monitoring/{resident_id}/clear"): Probe(
        lambda t, i: f"/api/quarantine/monitoring/{_monitored(t, i)}/clear",
        json={"reason": "seen by the doctor"}),
    ("POST", "/quarantine/monitoring/{resident_id}/clear"): Probe(
        lambda t, i: f"/quarantine/monitoring/{_monitored(t, i)}/clear",
        form={"reason": "seen by the doctor"}),
})
