"""The route matrix: hotline."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.factories import TinyCity
from tests.routes import (
    PERSONAL,
    PUBLIC,
    STAFF,
    Probe,
    _resident,
)

PUBLIC.update({
    # The citizen hotline's public form and the page that follows a ticket by reference
    # (nothing personal), with their API.
    ("GET", "/hotline"), ("POST", "/hotline"), ("GET", "/hotline/follow"),
    ("GET", "/api/public/hotline/categories"), ("POST", "/api/public/hotline/tickets"),
    ("GET", "/api/public/hotline/tickets/{reference}"),
    # Open311 GeoReport v2: anonymous callers get no personal field; staff holding an API
    # token see them only inside their area (tests/hotline/test_open311.py).
    ("GET", "/open311/v2/services.json"), ("GET", "/open311/v2/services.xml"),
    ("GET", "/open311/v2/services/{service_code}.json"), ("GET", "/open311/v2/requests.json"),
    ("POST", "/open311/v2/requests.json"),
    ("GET", "/open311/v2/requests/{service_request_id}.json"),
})


STAFF.update({
    # The hotline: the empty form for a resident's ticket, the escalation job and the
    # targets per category.
    ("GET", "/hotline/staff/new"), ("POST", "/api/hotline/escalation"),
    ("PUT", "/api/hotline/targets/{category}"),
})


def _tickets(t: TinyCity) -> dict[bool, int]:
    """A hotline ticket of a resident of each of the first two communities (named as the
    contact), and the hotline operator's role for the worker over its community."""
    found: dict[bool, int] | None = getattr(t, "tickets", None)
    if found is not None:
        return found
    from sqlalchemy.orm import object_session

    from epidesk.auth import service as auth
    from epidesk.hotline import service as hotline

    session = object_session(t.city)
    assert session is not None
    auth.grant_role(session, username="worker", role="hotline_operator", scope_kind="community",
                    scope_id=t.communities[0].id, granted_by="test")
    found = {}
    for inside in (True, False):
        resident = next(r for r in t.residents.values()
                        if r.id == _resident(t, inside))
        found[inside] = hotline.file_ticket(session, hotline.NewTicket(
            channel="phone", category="supplies", description="no rice left",
            contact_name=resident.name, resident_id=resident.id), actor="test").id
    t.tickets = found  # type: ignore[attr-defined]
    return found


def _ticket(t: TinyCity, inside: bool) -> int:
    return _tickets(t)[inside]


def _appeals(t: TinyCity) -> dict[bool, int]:
    """A classification appeal of a resident of each of the first two communities."""
    found: dict[bool, int] | None = getattr(t, "appeals", None)
    if found is not None:
        return found
    from sqlalchemy.orm import object_session

    from epidesk.hotline import service as hotline

    session = object_session(t.city)
    assert session is not None
    _tickets(t)
    found = {inside: hotline.file_ticket(session, hotline.NewTicket(
        channel="phone", category="classification_appeal", description="not at home then",
        resident_id=_resident(t, inside)), actor="test").id for inside in (True, False)}
    t.appeals = found  # type: ignore[attr-defined]
    return found


def _hotline_resident(t: TinyCity, inside: bool) -> int:
    return (_tickets(t), _resident(t, inside))[1]


PERSONAL.update({
    ("GET", "/api/hotline/tickets"): Probe(
        lambda t, i: (_tickets(t), "/api/hotline/tickets")[1],
        lambda t, i: f'"id":{_ticket(t, i)},'),
    ("GET", "/hotline/staff"): Probe(
        lambda t, i: (_tickets(t), "/hotline/staff")[1],
        lambda t, i: f"/hotline/staff/tickets/{_ticket(t, i)}\""),
    ("GET", "/api/hotline/tickets/{ticket_id}"): Probe(
        lambda t, i: f"/api/hotline/tickets/{_ticket(t, i)}"),
    ("GET", "/hotline/staff/tickets/{ticket_id}"): Probe(
        lambda t, i: f"/hotline/staff/tickets/{_ticket(t, i)}"),
    ("POST", "/api/hotline/tickets"): Probe(
        lambda t, i: (_tickets(t), "/api/hotline/tickets")[1], ok=201, refused=422,
        json=lambda t, i: {"category": "other", "description": "a question",
                           "resident_id": _hotline_resident(t, i)}),
    ("POST", "/hotline/staff/tickets"): Probe(
        lambda t, i: (_tickets(t), "/hotline/staff/tickets")[1], refused=422,
        form=lambda t, i: {"category": "other", "description": "a question",
                           "resident_id": str(_hotline_resident(t, i))}),
    ("POST", "/api/hotline/tickets/{ticket_id}/responses"): Probe(
        lambda t, i: f"/api/hotline/tickets/{_ticket(t, i)}/responses",
        json={"note": "a delivery is on its way"}),
    ("POST", "/api/hotline/tickets/{ticket_id}/resolve"): Probe(
        lambda t, i: f"/api/hotline/tickets/{_ticket(t, i)}/resolve",
        json={"note": "delivered"}),
    ("POST", "/api/hotline/tickets/{ticket_id}/escalate"): Probe(
        lambda t, i: f"/api/hotline/tickets/{_ticket(t, i)}/escalate",
        json={"note": "no depot stock"}),
    ("POST", "/hotline/staff/tickets/{ticket_id}/respond"): Probe(
        lambda t, i: f"/hotline/staff/tickets/{_ticket(t, i)}/respond",
        form={"note": "a delivery is on its way"}),
    ("POST", "/hotline/staff/tickets/{ticket_id}/resolve"): Probe(
        lambda t, i: f"/hotline/staff/tickets/{_ticket(t, i)}/resolve", form={"note": "done"}),
    # Ending an appeal: an operator records the resident's withdrawal (deciding on a
    # classification needs an investigator: tests/hotline/test_appeal_flow.py).
    ("POST", "/api/hotline/tickets/{ticket_id}/appeal"): Probe(
        lambda t, i: f"/api/hotline/tickets/{_appeals(t)[i]}/appeal",
        json={"outcome": "withdrawn", "reason": "withdrawn by phone"}),
    ("POST", "/hotline/staff/tickets/{ticket_id}/appeal"): Probe(
        lambda t, i: f"/hotline/staff/tickets/{_appeals(t)[i]}/appeal",
        form={"outcome": "withdrawn", "reason": "withdrawn by phone"}),
    ("POST", "/hotline/staff/tickets/{ticket_id}/escalate"): Probe(
        lambda t, i: f"/hotline/staff/tickets/{_ticket(t, i)}/escalate",
        form={"note": "no depot stock"}),
})

def _messages(t: TinyCity) -> dict[tuple[str, bool], int]:
    """A call and a printed notice to a resident of each of the first two communities."""
    found: dict[tuple[str, bool], int] | None = getattr(t, "messages", None)
    if found is not None:
        return found
    from datetime import date

    from sqlalchemy.orm import object_session

    from epidesk.messages import service as messages

    session = object_session(t.city)
    assert session is not None
    found = {}
    for inside in (True, False):
        resident = t.residents[next(k for k, r in t.residents.items()
                                    if r.id == _resident(t, inside))]
        for channel in ("voice", "print"):
            found[(channel, inside)] = messages.enqueue(
                session, topic="test.notice", reference=f"{channel}:{inside}", body="通知",
                language="zh", actor="test", resident_id=resident.id, channel=channel,
                recipient="13500000000" if channel == "voice" else "").id
    messages.route_queued(session, today=date(2026, 12, 1))
    t.messages = found  # type: ignore[attr-defined]
    return found


def _message(t: TinyCity, channel: str, inside: bool) -> int:
    return _messages(t)[(channel, inside)]


PERSONAL.update({
    ("GET", "/api/messages/calls"): Probe(
        lambda t, i: (_messages(t), "/api/messages/calls")[1],
        lambda t, i: f'"id":{_message(t, "voice", i)},'),
    ("GET", "/messages/calls"): Probe(
        lambda t, i: (_messages(t), "/messages/calls")[1],
        lambda t, i: f"/messages/{_message(t, 'voice', i)}/call\""),
    ("GET", "/api/messages/notices"): Probe(
        lambda t, i: (_messages(t), "/api/messages/notices")[1],
        lambda t, i: f'"id":{_message(t, "print", i)},'),
    ("GET", "/messages/notices"): Probe(
        lambda t, i: (_messages(t), "/messages/notices")[1],
        lambda t, i: f"/messages/{_message(t, 'print', i)}/delivered\""),
    ("POST", "/api/messages/{message_id}/call"): Probe(
        lambda t, i: f"/api/messages/{_message(t, 'voice', i)}/call",
        json={"result": "called"}),
    ("POST", "/messages/{message_id}/call"): Probe(
        lambda t, i: f"/messages/{_message(t, 'voice', i)}/call", form={"result": "called"}),
    ("POST", "/api/messages/{message_id}/delivered"): Probe(
        lambda t, i: f"/api/messages/{_message(t, 'print', i)}/delivered", json={}),
    ("POST", "/messages/{message_id}/delivered"): Probe(
        lambda t, i: f"/messages/{_message(t, 'print', i)}/delivered", form={}),
})


STAFF.update({
    # Escorted trips: the empty form of a treatment plan (the resident is typed in), and
    # the job that schedules the plans' sessions.
    ("GET", "/hotline/escort-plans/new"), ("POST", "/api/hotline/escorts/schedule"),
})


def _escorts(t: TinyCity) -> dict[str, dict[bool, int]]:
    """For a resident of each of the first two communities under a home-quarantine order:
    a medical-emergency ticket with no trip, an emergency trip dispatched, one handed over,
    a treatment plan and its first scheduled trip."""
    found: dict[str, dict[bool, int]] | None = getattr(t, "escorts", None)
    if found is not None:
        return found
    from datetime import timedelta

    from sqlalchemy.orm import object_session

    from epidesk.hotline import service as hotline
    from epidesk.hotline.escorts import service
    from epidesk.hotline.models import EscortTrip
    from epidesk.kit import clock
    from epidesk.quarantine.models import QuarantineOrder

    _tickets(t)
    session = object_session(t.city)
    assert session is not None
    now, today = clock.now(), clock.city_today()
    crew = service.Crew(vehicle="Ambulance 3", driver_name="Liu Yang",
                        driver_phone="13600000001")
    found = {k: {} for k in ("ticket", "dispatched", "handed", "plan", "scheduled")}
    for inside in (True, False):
        resident = next(r for r in t.residents.values() if r.id == _resident(t, inside))
        session.add(QuarantineOrder(
            resident_id=resident.id, household_id=resident.household_id, kind="quarantine",
            category="close_contact", basis="contact", basis_id=0, form="home",
            preset="test", rule="test", rule_values="{}", counted_from=today,
            start_on=today - timedelta(days=2), end_on=today + timedelta(days=12),
            monitoring_until=None, test_days="[]", state="active", version=1, created_at=now,
            updated_at=now, created_by="test"))
        session.flush()
        tickets = [hotline.file_ticket(session, hotline.NewTicket(
            channel="phone", category="medical_emergency", description="short of breath",
            resident_id=resident.id), actor="test") for _ in range(3)]
        found["ticket"][inside] = tickets[0].id
        for ticket, key in zip(tickets[1:], ("dispatched", "handed"), strict=True):
            trip = service.dispatch_emergency(
                session, ticket=ticket, crew=crew, destination="No. 1 Hospital",
                arrives_at=now + timedelta(minutes=40), actor="test", now=now)
            found[key][inside] = trip.id
        handed = session.get(EscortTrip, found["handed"][inside])
        assert handed is not None
        service.hand_off(session, trip=handed, received_by="ER", actor="test")
        plan, _ = service.create_plan(session, actor="test", plan=service.PlanIn(
            resident_id=resident.id, kind="dialysis", facility="Renal unit",
            starts_on=today, ends_on=today + timedelta(days=10), departs="07:30",
            arrives="08:00", back="13:00", weekdays="1,2,3,4,5,6,7"))
        found["plan"][inside] = plan.id
        found["scheduled"][inside] = min(
            t.id for t in session.query(EscortTrip).filter_by(plan_id=plan.id))
    t.escorts = found  # type: ignore[attr-defined]
    return found


def _escort(kind: str) -> Callable[[TinyCity, bool], int]:
    return lambda t, i: _escorts(t)[kind][i]


def _emergency_body(t: TinyCity, inside: bool) -> dict[str, Any]:
    from datetime import timedelta

    from epidesk.kit import clock

    _escorts(t)
    return {"vehicle": "Ambulance 5", "driver_name": "Ma Jun", "driver_phone": "13600000009",
            "destination": "No. 1 Hospital",
            "arrives_at": (clock.now() + timedelta(minutes=30)).isoformat()}


def _plan_body(t: TinyCity, inside: bool) -> dict[str, Any]:
    from epidesk.kit import clock

    _escorts(t)
    today = clock.city_today().isoformat()
    return {"resident_id": _resident(t, inside), "kind": "chemotherapy",
            "facility": "Oncology, No. 2 Hospital", "starts_on": today, "ends_on": today,
            "departs": "09:00", "arrives": "09:30", "back": "15:00", "weekdays": "",
            "dates": today}


def _later_body(t: TinyCity, inside: bool) -> dict[str, Any]:
    from datetime import timedelta

    from epidesk.kit import clock

    _escorts(t)
    return {"back_at": (clock.now() + timedelta(hours=9)).isoformat()}


_trip = _escort("dispatched")
PERSONAL.update({
    ("POST", "/api/hotline/tickets/{ticket_id}/escort"): Probe(
        lambda t, i: f"/api/hotline/tickets/{_escort('ticket')(t, i)}/escort", ok=201,
        json=_emergency_body),
    ("POST", "/hotline/staff/tickets/{ticket_id}/escort"): Probe(
        lambda t, i: f"/hotline/staff/tickets/{_escort('ticket')(t, i)}/escort",
        form={"destination": "No. 1 Hospital", "arrives_in": "30", "vehicle": "Ambulance 5",
              "driver_name": "Ma Jun", "driver_phone": "13600000009"}),
    ("GET", "/api/hotline/escorts"): Probe(
        lambda t, i: (_escorts(t), "/api/hotline/escorts")[1],
        lambda t, i: f'"id":{_trip(t, i)},"kind":'),
    ("GET", "/hotline/escorts"): Probe(
        lambda t, i: (_escorts(t), "/hotline/escorts")[1],
        lambda t, i: f'/hotline/escorts/{_trip(t, i)}"'),
    ("GET", "/api/hotline/escorts/{trip_id}"): Probe(
        lambda t, i: f"/api/hotline/escorts/{_trip(t, i)}"),
    ("GET", "/hotline/escorts/{trip_id}"): Probe(
        lambda t, i: f"/hotline/escorts/{_trip(t, i)}"),
    ("POST", "/api/hotline/escorts/{trip_id}/dispatch"): Probe(
        lambda t, i: f"/api/hotline/escorts/{_escort('scheduled')(t, i)}/dispatch",
        json={"vehicle": "Van 2", "driver_name": "Ma Jun", "driver_phone": "13600000009"}),
    ("POST", "/api/hotline/escorts/{trip_id}/pickup"): Probe(
        lambda t, i: f"/api/hotline/escorts/{_trip(t, i)}/pickup"),
    ("POST", "/api/hotline/escorts/{trip_id}/handoff"): Probe(
        lambda t, i: f"/api/hotline/escorts/{_trip(t, i)}/handoff",
        json={"received_by": "Dr Wang, emergency department"}),
    ("POST", "/api/hotline/escorts/{trip_id}/back"): Probe(
        lambda t, i: f"/api/hotline/escorts/{_escort('handed')(t, i)}/back"),
    ("POST", "/api/hotline/escorts/{trip_id}/admitted"): Probe(
        lambda t, i: f"/api/hotline/escorts/{_escort('handed')(t, i)}/admitted",
        json={"reason": "cardiology ward"}),
    ("POST", "/api/hotline/escorts/{trip_id}/expected-back"): Probe(
        lambda t, i: f"/api/hotline/escorts/{_escort('handed')(t, i)}/expected-back",
        json=_later_body),
    ("POST", "/api/hotline/escorts/{trip_id}/cancel"): Probe(
        lambda t, i: f"/api/hotline/escorts/{_escort('scheduled')(t, i)}/cancel",
        json={"reason": "session moved"}),
    ("POST", "/hotline/escorts/{trip_id}/steps"): Probe(
        lambda t, i: f"/hotline/escorts/{_trip(t, i)}/steps", form={"step": "pickup"}),
    ("POST", "/api/hotline/escort-plans"): Probe(
        lambda t, i: (_escorts(t), "/api/hotline/escort-plans")[1], ok=201, refused=422,
        json=_plan_body),
    ("POST", "/hotline/escort-plans"): Probe(
        lambda t, i: (_escorts(t), "/hotline/escort-plans")[1], refused=422,
        form=lambda t, i: {k: str(v) for k, v in _plan_body(t, i).items()}),
    ("GET", "/api/hotline/escort-plans/{plan_id}"): Probe(
        lambda t, i: f"/api/hotline/escort-plans/{_escort('plan')(t, i)}"),
    ("POST", "/api/hotline/escort-plans/{plan_id}/end"): Probe(
        lambda t, i: f"/api/hotline/escort-plans/{_escort('plan')(t, i)}/end",
        json={"reason": "treatment finished"}),
})
