"""Escorted trips: dispatched only for a restricted household, legs on the transfers'
manifests, an idempotent hand-off, closed back home or admitted, the missing alert."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.errors import ConflictError, ValidationFailedError
from epidesk.hotline import service as hotline
from epidesk.hotline.escorts import rules, service
from epidesk.hotline.models import EscortTrip, TicketUpdate
from epidesk.kit import clock
from epidesk.quarantine.models import TransferManifest
from epidesk.quarantine.transfers import service as transfers
from tests.hotline.escorts.scene import CREW, T0, dispatched, emergency


def _count(db: Session) -> tuple[int, int]:
    return (len(db.scalars(select(EscortTrip)).all()),
            len(db.scalars(select(TransferManifest)).all()))


def test_a_trip_has_two_legs_on_escort_manifests_and_notes_the_ticket(db: Session) -> None:
    city, ticket, trip = dispatched(db)
    assert trip.status == rules.DISPATCHED and trip.restriction == "zone"
    assert trip.resident_id == city.residents["zhao_lei"].id
    out = transfers.get_manifest(db, manifest_id=trip.out_manifest_id or 0)
    back = transfers.get_manifest(db, manifest_id=trip.back_manifest_id or 0)
    assert (out.purpose, back.purpose) == ("medical_escort", "medical_escort")
    assert out.facility_id is None and out.destination == "Jining No. 1 People's Hospital"
    assert out.expected_at == T0 + timedelta(minutes=40)
    assert back.expected_at == T0 + timedelta(minutes=40) + rules.EMERGENCY_RETURN
    assert [line.resident_id for line in out.lines] == [trip.resident_id]
    assert (out.driver_name, trip.escort_name) == ("Liu Yang", "Nurse Sun")
    notes = db.scalars(select(TicketUpdate).where(TicketUpdate.ticket_id == ticket.id,
                                                  TicketUpdate.kind == "escort")).all()
    assert len(notes) == 1 and "dispatched" in notes[0].note and not notes[0].public


def test_a_household_not_restricted_is_refused_with_the_reason(db: Session) -> None:
    _, ticket = emergency(db, who="wang_fang")  # Pine Court: no zone
    before = _count(db)
    with pytest.raises(ValidationFailedError) as refused:
        service.dispatch_emergency(db, ticket=ticket, crew=CREW, destination="Hospital",
                                   arrives_at=T0 + timedelta(minutes=30), actor="op", now=T0)
    assert refused.value.extra["field"] == "resident_id"
    assert "not under a stay-home zone or home quarantine" in refused.value.detail
    assert _count(db) == before


def test_only_a_medical_emergency_dispatches_and_one_trip_at_a_time(db: Session) -> None:
    city, ticket, _ = dispatched(db)
    other = hotline.file_ticket(db, hotline.NewTicket(
        channel="phone", category="supplies", description="rice",
        resident_id=city.residents["zhao_lei"].id), actor="op", at=T0)
    with pytest.raises(ValidationFailedError) as refused:
        service.dispatch_emergency(db, ticket=other, crew=CREW, destination="Hospital",
                                   arrives_at=T0 + timedelta(minutes=30), actor="op", now=T0)
    assert refused.value.extra["field"] == "ticket_id"
    with pytest.raises(ConflictError):
        service.dispatch_emergency(db, ticket=ticket, crew=CREW, destination="Hospital",
                                   arrives_at=T0 + timedelta(minutes=30), actor="op", now=T0)


def test_bad_times_and_a_missing_crew_are_refused_naming_the_field(db: Session) -> None:
    _, ticket = emergency(db)
    before = _count(db)
    with pytest.raises(ValidationFailedError) as late:
        service.dispatch_emergency(db, ticket=ticket, crew=CREW, destination="Hospital",
                                   arrives_at=T0 - timedelta(minutes=1), actor="op", now=T0)
    assert late.value.extra["field"] == "arrives_at"
    with pytest.raises(ValidationFailedError) as crew:
        service.dispatch_emergency(
            db, ticket=ticket, crew=service.Crew(vehicle="", driver_name="x", driver_phone="1"),
            destination="Hospital", arrives_at=T0 + timedelta(minutes=30), actor="op", now=T0)
    assert crew.value.extra["field"] == "vehicle"
    assert _count(db) == before


def test_the_hand_off_is_recorded_once(db: Session) -> None:
    _, ticket, trip = dispatched(db)
    assert service.pick_up(db, trip=trip, actor="escort", now=T0 + timedelta(minutes=5))
    assert not service.pick_up(db, trip=trip, actor="escort", now=T0 + timedelta(minutes=6))
    at = T0 + timedelta(minutes=35)
    assert service.hand_off(db, trip=trip, received_by="Dr Wang, emergency department",
                            actor="escort", now=at)
    again = service.hand_off(db, trip=trip, received_by="someone else", actor="escort",
                             now=at + timedelta(minutes=3))
    assert not again
    assert (trip.handed_off_at, trip.handed_off_to) == (at, "Dr Wang, emergency department")
    out = transfers.get_manifest(db, manifest_id=trip.out_manifest_id or 0).lines[0]
    assert out.checked_in_at == at and out.checked_out_at == T0 + timedelta(minutes=5)
    steps = db.scalars(select(TicketUpdate).where(TicketUpdate.ticket_id == ticket.id,
                                                  TicketUpdate.kind == "escort")).all()
    assert sum("handed over" in s.note for s in steps) == 1


def test_a_hand_off_needs_who_received_the_patient(db: Session) -> None:
    _, _, trip = dispatched(db)
    with pytest.raises(ValidationFailedError) as refused:
        service.hand_off(db, trip=trip, received_by="  ", actor="escort")
    assert refused.value.extra["field"] == "received_by" and trip.handed_off_at is None


def test_back_home_closes_the_trip_and_the_ticket_says_so(db: Session) -> None:
    _, ticket, trip = dispatched(db)
    with pytest.raises(ConflictError):
        service.back_home(db, trip=trip, actor="escort")
    service.hand_off(db, trip=trip, received_by="ER", actor="escort",
                     now=T0 + timedelta(minutes=30))
    assert service.back_home(db, trip=trip, actor="escort", now=T0 + timedelta(hours=3))
    assert not service.back_home(db, trip=trip, actor="escort", now=T0 + timedelta(hours=4))
    assert trip.status == rules.RETURNED and trip.closed_at == T0 + timedelta(hours=3)
    back = transfers.get_manifest(db, manifest_id=trip.back_manifest_id or 0).lines[0]
    assert back.checked_in_at == T0 + timedelta(hours=3)
    assert any(u.note.endswith("closed: back home") for u in db.scalars(
        select(TicketUpdate).where(TicketUpdate.ticket_id == ticket.id)))
    assert not transfers.alerts(db, now=T0 + timedelta(days=1))


def test_admission_closes_with_its_reason_and_no_alert_follows(db: Session) -> None:
    _, _, trip = dispatched(db)
    service.hand_off(db, trip=trip, received_by="ER", actor="escort",
                     now=T0 + timedelta(minutes=30))
    with pytest.raises(ValidationFailedError) as bare:
        service.admitted(db, trip=trip, reason="", actor="escort")
    assert bare.value.extra["field"] == "reason"
    assert service.admitted(db, trip=trip, reason="cardiology ward, observation",
                            actor="doctor", now=T0 + timedelta(hours=2))
    assert trip.status == rules.ADMITTED and trip.outcome_note == "cardiology ward, observation"
    back = transfers.get_manifest(db, manifest_id=trip.back_manifest_id or 0).lines[0]
    assert (back.resolution, back.checked_in_at) == ("hospital", None)
    assert not transfers.alerts(db, now=T0 + timedelta(days=1))


def test_a_trip_not_closed_by_its_time_raises_the_transfers_alert(db: Session) -> None:
    _, _, trip = dispatched(db)
    grace = timedelta(minutes=transfers.grace_minutes())
    assert not transfers.alerts(db, now=T0 + timedelta(minutes=39))
    late = T0 + timedelta(minutes=40) + grace
    assert [a.manifest_id for a in transfers.alerts(db, now=late)] == [trip.out_manifest_id]
    service.hand_off(db, trip=trip, received_by="ER", actor="escort", now=late)
    assert not transfers.alerts(db, now=late)
    overdue = clock.aware(trip.back_at) + grace
    assert [a.manifest_id for a in transfers.alerts(db, now=overdue)] == [trip.back_manifest_id]
    assert [(t.id, why) for t, why in service.missed_sessions(db, area=None, now=overdue)
            ] == [(trip.id, "not_completed")]
    assert transfers.counts(db, now=overdue)["missing"] == 1



def test_a_trip_is_cancelled_before_the_pickup_only(db: Session) -> None:
    _, ticket, trip = dispatched(db)
    with pytest.raises(ValidationFailedError):
        service.cancel(db, trip=trip, reason=" ", actor="op")
    service.cancel(db, trip=trip, reason="the family drove him", actor="op",
                   now=T0 + timedelta(minutes=2))
    assert trip.status == rules.CANCELLED and trip.outcome_note == "the family drove him"
    assert not transfers.alerts(db, now=T0 + timedelta(days=1))
    again = service.dispatch_emergency(
        db, ticket=ticket, crew=CREW, destination="Hospital",
        arrives_at=T0 + timedelta(minutes=50), actor="op", now=T0 + timedelta(minutes=5))
    service.pick_up(db, trip=again, actor="escort", now=T0 + timedelta(minutes=10))
    with pytest.raises(ConflictError):
        service.cancel(db, trip=again, reason="changed mind", actor="op")
    assert again.status == rules.DISPATCHED


def test_a_longer_stay_moves_the_return_and_its_alert(db: Session) -> None:
    _, ticket, trip = dispatched(db)
    service.hand_off(db, trip=trip, received_by="ER", actor="escort",
                     now=T0 + timedelta(minutes=30))
    grace = timedelta(minutes=transfers.grace_minutes())
    first_due = clock.aware(trip.back_at) + grace
    with pytest.raises(ValidationFailedError) as early:
        service.expect_back(db, trip=trip, back_at=T0 + timedelta(minutes=10), actor="op",
                            now=T0 + timedelta(hours=1))
    assert early.value.extra["field"] == "back_at"
    later = T0 + timedelta(hours=12)
    service.expect_back(db, trip=trip, back_at=later, actor="op", now=T0 + timedelta(hours=5))
    assert trip.back_at == later
    back = transfers.get_manifest(db, manifest_id=trip.back_manifest_id or 0)
    assert back.expected_at == later
    assert not transfers.alerts(db, now=first_due)
    assert not service.missed_sessions(db, area=None, now=first_due)
    assert [a.manifest_id for a in transfers.alerts(db, now=later + grace)] == [back.id]
    notes = db.scalars(select(TicketUpdate.note).where(TicketUpdate.ticket_id == ticket.id))
    assert any("expected back by" in n for n in notes)
