"""The route matrix: hotline."""

from __future__ import annotations

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
