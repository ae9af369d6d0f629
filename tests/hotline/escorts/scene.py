"""Willow Court under a stay-home zone, a medical-emergency ticket of a resident living
alone there, and a crew, for the escorted trips' tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from epidesk.hotline import service as hotline
from epidesk.hotline.escorts import service
from epidesk.hotline.models import EscortTrip, Ticket
from tests.factories import TinyCity
from tests.supplies.scene import restricted

T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
CREW = service.Crew(vehicle="Ambulance 3", driver_name="Liu Yang", driver_phone="13600000001",
                    escort_name="Nurse Sun", escort_phone="13600000002")


def emergency(db: Session, who: str = "zhao_lei") -> tuple[TinyCity, Ticket]:
    """The restricted city and a medical-emergency ticket naming a resident."""
    city = restricted(db)
    ticket = hotline.file_ticket(db, hotline.NewTicket(
        channel="phone", category="medical_emergency", description="chest pain",
        contact_name="Zhao Lei", contact_phone="13900000099",
        resident_id=city.residents[who].id), actor="op", at=T0)
    return city, ticket


def dispatched(db: Session) -> tuple[TinyCity, Ticket, EscortTrip]:
    """An emergency trip dispatched at T0, expected at hospital 40 minutes later."""
    city, ticket = emergency(db)
    trip = service.dispatch_emergency(
        db, ticket=ticket, crew=CREW, destination="Jining No. 1 People's Hospital",
        arrives_at=T0 + timedelta(minutes=40), actor="op", now=T0)
    return city, ticket, trip
