"""Tickets on a clock: targets stated in the ticket, breaches, escalation, references."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.errors import TooManyRequestsError, ValidationFailedError
from epidesk.hotline import service
from epidesk.hotline.models import TicketUpdate
from epidesk.hotline.service import NewTicket
from epidesk.messages.models import OutboundMessage
from tests.factories import tiny_city

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


def _new(**kw: object) -> NewTicket:
    fields: dict[str, object] = {"channel": "phone", "category": "medical_emergency",
                                 "description": "my father cannot breathe well",
                                 "contact_name": "Li Na", "contact_phone": "13800000001"}
    fields.update(kw)
    return NewTicket(**fields)  # type: ignore[arg-type]


def test_a_ticket_states_its_targets_and_due_times(db: Session) -> None:
    ticket = service.file_ticket(db, _new(), actor="op", at=T0)
    assert (ticket.first_response_minutes, ticket.resolution_minutes) == (5, 60)
    assert ticket.first_response_due == T0 + timedelta(minutes=5)
    assert ticket.resolution_due == T0 + timedelta(minutes=60)
    assert ticket.status == "open" and ticket.breach == "none"
    assert len(ticket.reference) == 11 and ticket.reference[5] == "-"


def test_targets_set_apart_apply_to_new_tickets_only(db: Session) -> None:
    before = service.file_ticket(db, _new(category="supplies"), actor="op", at=T0)
    service.set_targets(db, category="supplies", first_response_minutes=30,
                        resolution_minutes=600, actor="sup")
    after = service.file_ticket(db, _new(category="supplies"), actor="op", at=T0)
    assert before.first_response_minutes == 60
    assert (after.first_response_minutes, after.resolution_minutes) == (30, 600)
    with pytest.raises(ValidationFailedError) as bad:
        service.set_targets(db, category="supplies", first_response_minutes=30,
                            resolution_minutes=10, actor="sup")
    assert bad.value.extra["field"] == "resolution_minutes"


def test_a_late_first_response_is_a_breach_computed_on_the_change(db: Session) -> None:
    ticket = service.file_ticket(db, _new(), actor="op", at=T0)
    service.respond(db, ticket=ticket, note="an ambulance is on its way", actor="op",
                    at=T0 + timedelta(minutes=7))
    assert ticket.status == "answered" and ticket.breach == "first_response"
    service.resolve(db, ticket=ticket, note="taken to hospital", actor="op",
                    at=T0 + timedelta(minutes=50))
    assert ticket.status == "resolved" and ticket.breach == "first_response"
    on_time = service.file_ticket(db, _new(), actor="op", at=T0)
    service.respond(db, ticket=on_time, note="calling back", actor="op",
                    at=T0 + timedelta(minutes=4))
    assert on_time.breach == "none"


def test_escalation_goes_to_a_supervisor_then_the_command_centre_once(db: Session) -> None:
    ticket = service.file_ticket(db, _new(), actor="op", at=T0)
    quiet = service.file_ticket(db, _new(category="other"), actor="op", at=T0)
    assert service.escalate_due(db, at=T0 + timedelta(minutes=4))["to_supervisor"] == 0
    first = service.escalate_due(db, at=T0 + timedelta(minutes=6))
    assert first["to_supervisor"] == 1 and ticket.escalation == 1
    assert ticket.breach == "first_response"
    again = service.escalate_due(db, at=T0 + timedelta(minutes=6))
    assert again["to_supervisor"] == 0 and again["to_command_centre"] == 0
    service.escalate_due(db, at=T0 + timedelta(minutes=11))
    assert ticket.escalation == 2 and quiet.escalation == 0
    lines = db.scalars(select(TicketUpdate.note).where(
        TicketUpdate.ticket_id == ticket.id, TicketUpdate.kind == "escalated")).all()
    assert len(lines) == 2


def test_an_unknown_reference_reads_like_a_malformed_one(db: Session) -> None:
    ticket = service.file_ticket(db, _new(), actor="op", at=T0)
    assert service.follow(db, reference=ticket.reference.lower().replace("-", " ")) is ticket
    assert service.follow(db, reference="00000-00000") is None
    assert service.follow(db, reference="hello") is None


def test_bad_input_names_the_field_and_changes_nothing(db: Session) -> None:
    for kw, field in (({"category": "gossip"}, "category"), ({"channel": "fax"}, "channel"),
                      ({"description": "  "}, "description"), ({"lat": 30.0}, "lat"),
                      ({"resident_id": 2_000_000_000}, "resident_id")):
        with pytest.raises(ValidationFailedError) as bad:
            service.file_ticket(db, _new(**kw), actor="op", at=T0)
        assert bad.value.extra["field"] == field
    assert db.scalar(select(TicketUpdate.id)) is None


def test_a_residents_ticket_updates_reach_them_through_the_queue(db: Session) -> None:
    city = tiny_city(db)
    resident = city.residents["wang_xiulan"]
    ticket = service.file_ticket(db, _new(resident_id=resident.id, language="en"), actor="op",
                                 at=T0)
    assert ticket.community_id == resident.community_id
    service.respond(db, ticket=ticket, note="a doctor will call you", actor="op")
    service.respond(db, ticket=ticket, note="internal: checked records", actor="op",
                    public=False)
    sent = db.scalars(select(OutboundMessage).where(
        OutboundMessage.resident_id == resident.id)).all()
    assert len(sent) == 1 and ticket.reference in sent[0].body
    assert "a doctor will call you" in sent[0].body and sent[0].topic == "hotline.ticket_update"


def test_the_public_forms_are_rate_limited_per_address(db: Session) -> None:
    for _ in range(5):
        service.limit_rate(db, kind="file", address="10.0.0.1", at=T0)
    with pytest.raises(TooManyRequestsError):
        service.limit_rate(db, kind="file", address="10.0.0.1", at=T0)
    service.limit_rate(db, kind="file", address="10.0.0.2", at=T0)
    service.limit_rate(db, kind="file", address="10.0.0.1", at=T0 + timedelta(hours=2))
