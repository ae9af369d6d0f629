"""The route matrix: supplies."""

from __future__ import annotations

from collections.abc import Callable

from tests.factories import TinyCity
from tests.routes import (
    PERSONAL,
    PUBLIC,
    STAFF,
    Probe,
    _household,
    _resident,
    _resident_name,
)

PUBLIC.update({
    # The supplies request form: no account; the same answer whatever address it names.
    ("GET", "/supplies/request"), ("POST", "/supplies/request"),
})


STAFF.update({
    # Supplies: the day's batches as counts per building, depots, stock and receipts.
    ("GET", "/supplies"), ("POST", "/supplies/batches"), ("GET", "/supplies/depots"),
    ("GET", "/api/supplies/batches"), ("POST", "/api/supplies/batches"),
    ("GET", "/api/supplies/depots"), ("POST", "/api/supplies/depots"),
    ("GET", "/api/supplies/depots/{depot_id}"),
    ("POST", "/api/supplies/depots/{depot_id}/adjustments"),
    ("POST", "/api/supplies/depots/{depot_id}/transfers"), ("POST", "/api/supplies/receipts"),
})


def _supplies(t: TinyCity) -> dict[str, dict[bool, int]]:
    """Each community's first household served for 10 days, with an open request and a
    ready batch of one delivery: {"household"|"request"|"batch"|"delivery": {inside: id}}."""
    found: dict[str, dict[bool, int]] | None = getattr(t, "supplies", None)
    if found is not None:
        return found
    from datetime import timedelta

    from sqlalchemy.orm import object_session

    from epidesk.kit import clock, events
    from epidesk.supplies import repository, service
    from epidesk.supplies.models import Delivery, DeliveryBatch, SupplyHousehold

    session = object_session(t.city)
    assert session is not None
    today = clock.city_today()
    found = {"household": {}, "request": {}, "batch": {}, "delivery": {}}
    for inside in (True, False):
        household = _household(t, inside)
        door = repository.doors(session, [household])[household]
        session.add(SupplyHousehold(household_id=household, building_id=door.building_id,
                                    source="zone", restricted_since=today - timedelta(days=10),
                                    restricted_until=None, last_delivery_on=None))
        request = service.staff_request(session, request=service.check_request(
            items=["food_pack"], urgency="normal", contact_name="Contact",
            contact_phone="13700000000", address_text=""), household_id=household,
            channel="phone", actor="test")
        batch = DeliveryBatch(on_day=today, building_id=door.building_id, depot_id=None,
                              rank=1, score=1.0, status="ready", hold_reason="",
                              equipped=True, created_at=clock.now(), created_by="test")
        session.add(batch)
        session.flush()
        delivery = Delivery(batch_id=batch.id, household_id=household, request_id=None,
                            stop=1, score=1.0, items="food_pack:3", status="planned",
                            reason="")
        session.add(delivery)
        session.flush()
        found["household"][inside] = household
        found["request"][inside] = request.id
        found["batch"][inside] = batch.id
        found["delivery"][inside] = delivery.id
    events.advance(session, service.CURSOR, repository.latest_zone_change(session))
    t.supplies = found  # type: ignore[attr-defined]
    return found


def _supply(kind: str) -> Callable[[TinyCity, bool], int]:
    return lambda t, i: _supplies(t)[kind][i]


PERSONAL.update({
    # Households found by name, phone or address, with their members: inside only.
    ("GET", "/api/supplies/households"): Probe(
        lambda t, i: f"/api/supplies/households?q={_resident_name(t, i)}",
        lambda t, i: f'"resident_id":{_resident(t, i)},'),
    ("GET", "/supplies/intake"): Probe(
        lambda t, i: f"/supplies/intake?q={_resident_name(t, i)}",
        lambda t, i: f"household_id={_household(t, i)}\""),
    ("POST", "/supplies/intake"): Probe(
        lambda t, i: "/supplies/intake",
        form=lambda t, i: {"household_id": str(_household(t, i)), "items": "food_pack",
                           "urgency": "normal", "contact_name": "Contact",
                           "contact_phone": "13700000000"}, refused=422),
    ("POST", "/api/supplies/requests"): Probe(
        lambda t, i: "/api/supplies/requests",
        json=lambda t, i: {"household_id": _household(t, i), "items": ["food_pack"],
                           "contact_name": "Contact", "contact_phone": "13700000000"},
        ok=201, refused=422),
    ("GET", "/api/supplies/requests/{request_id}"): Probe(
        lambda t, i: f"/api/supplies/requests/{_supply('request')(t, i)}"),
    ("POST", "/api/supplies/households/{household_id}/needs"): Probe(
        lambda t, i: f"/api/supplies/households/{_household(t, i)}/needs",
        json={"kind": "diet", "note": "no gluten"}, ok=201),
    # Households past N days without a delivery (ids, flags): inside only.
    ("GET", "/api/supplies/overdue"): Probe(
        lambda t, i: (_supplies(t), "/api/supplies/overdue")[1],
        lambda t, i: f'"household_id":{_household(t, i)},'),
    ("GET", "/supplies/overdue"): Probe(
        lambda t, i: (_supplies(t), "/supplies/overdue")[1],
        lambda t, i: f'/households/{_household(t, i)}"'),
    # A batch's doors, and confirming or failing one at the door.
    ("GET", "/api/supplies/batches/{batch_id}"): Probe(
        lambda t, i: f"/api/supplies/batches/{_supply('batch')(t, i)}"),
    ("GET", "/supplies/batches/{batch_id}"): Probe(
        lambda t, i: f"/supplies/batches/{_supply('batch')(t, i)}"),
    ("POST", "/api/supplies/deliveries/{delivery_id}/confirm"): Probe(
        lambda t, i: f"/api/supplies/deliveries/{_supply('delivery')(t, i)}/confirm"),
    ("POST", "/api/supplies/deliveries/{delivery_id}/fail"): Probe(
        lambda t, i: f"/api/supplies/deliveries/{_supply('delivery')(t, i)}/fail",
        json={"reason": "nobody home"}),
    ("POST", "/supplies/deliveries/{delivery_id}/confirm"): Probe(
        lambda t, i: f"/supplies/deliveries/{_supply('delivery')(t, i)}/confirm", form={}),
    ("POST", "/supplies/deliveries/{delivery_id}/fail"): Probe(
        lambda t, i: f"/supplies/deliveries/{_supply('delivery')(t, i)}/fail",
        form={"reason": "nobody home"}),
})
