"""JSON routes of escorted trips: an emergency trip from a ticket, the day's board, one
trip and its steps (pickup, hand-off, back home, admitted, cancelled), treatment plans and
the scheduling job."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from epidesk.hotline.escorts import service
from epidesk.hotline.escorts.deps import (
    Operator,
    Supervisor,
    board,
    check_patient,
    plan_for,
    plan_out,
    ticket_for,
    trip_for,
    trip_out,
)
from epidesk.hotline.escorts.schemas import (
    CrewIn,
    EmergencyTripIn,
    ExpectBackIn,
    HandOffIn,
    PlanIn,
    PlanOut,
    ReasonIn,
    ScheduleIn,
    StepOut,
    TripOut,
)
from epidesk.hotline.models import EscortTrip
from epidesk.kit import clock
from epidesk.kit.inputs import OptionalDay
from epidesk.kit.web import CONFLICT_RESPONSE, PROBLEM_RESPONSES, AuditDep, DbSession, Id

router = APIRouter(responses=PROBLEM_RESPONSES, tags=["hotline"])


def _crew(body: CrewIn) -> service.Crew:
    return service.Crew(vehicle=body.vehicle, driver_name=body.driver_name,
                        driver_phone=body.driver_phone, escort_name=body.escort_name,
                        escort_phone=body.escort_phone)


@router.post("/hotline/tickets/{ticket_id}/escort", status_code=201, response_model=TripOut,
             summary="Dispatch an escorted trip", responses=CONFLICT_RESPONSE)
def dispatch_emergency(session: DbSession, caller: Operator, audit: AuditDep, ticket_id: Id,
                       body: EmergencyTripIn) -> TripOut:
    """An escorted trip to hospital for a medical-emergency ticket's patient, whose
    household is under a stay-home zone or home quarantine (refused, 422 naming the field
    and the reason, otherwise)."""
    ticket = ticket_for(session, caller, ticket_id)
    check_patient(session, caller, body.resident_id)
    trip = service.dispatch_emergency(
        session, ticket=ticket, crew=_crew(body), destination=body.destination,
        arrives_at=body.arrives_at, departs_at=body.departs_at, back_at=body.back_at,
        resident_id=body.resident_id, actor=caller.username)
    audit("create", "escort_trip", trip.id, person_id=trip.resident_id)
    return trip_out(session, trip)


@router.get("/hotline/escorts", summary="Escorted trips due and missed")
def list_trips(session: DbSession, caller: Operator, audit: AuditDep,
               day: Annotated[OptionalDay, Query(description="The city day (default today)")]
               = None) -> dict[str, Any]:
    """Trips in your area due on the day, and every session missed now (no trip
    dispatched by the pickup time, or neither back nor admitted by the expected return)."""
    chosen = day or clock.city_today()
    due, missed, names = board(session, caller, day=chosen)
    audit("read", "escort_trips", chosen.isoformat(), people=names)
    return {"day": chosen.isoformat(), "due": [t.model_dump(mode="json") for t in due],
            "missed": [t.model_dump(mode="json") for t in missed]}


@router.get("/hotline/escorts/{trip_id}", response_model=TripOut, summary="One escorted trip")
def get_trip(session: DbSession, caller: Operator, audit: AuditDep, trip_id: Id) -> TripOut:
    """A trip: patient, crew, legs, hand-off and outcome."""
    trip = trip_for(session, caller, trip_id)
    audit("read", "escort_trip", trip.id, person_id=trip.resident_id)
    return trip_out(session, trip)


def _step(session: DbSession, audit: AuditDep, trip: EscortTrip, changed: bool) -> StepOut:
    audit("update", "escort_trip", trip.id, person_id=trip.resident_id)
    return StepOut(trip=trip_out(session, trip), changed=changed)


@router.post("/hotline/escorts/{trip_id}/dispatch", response_model=TripOut,
             summary="Dispatch a scheduled trip", responses=CONFLICT_RESPONSE)
def dispatch_scheduled(session: DbSession, caller: Operator, audit: AuditDep, trip_id: Id,
                       body: CrewIn) -> TripOut:
    """Give a scheduled treatment session its vehicle, driver and escort."""
    trip = trip_for(session, caller, trip_id)
    service.dispatch_scheduled(session, trip=trip, crew=_crew(body), actor=caller.username)
    return _step(session, audit, trip, True).trip


@router.post("/hotline/escorts/{trip_id}/pickup", response_model=StepOut,
             summary="Picked up at home", responses=CONFLICT_RESPONSE)
def pick_up(session: DbSession, caller: Operator, audit: AuditDep, trip_id: Id) -> StepOut:
    """The patient boarded at the door; a repeat changes nothing."""
    trip = trip_for(session, caller, trip_id)
    return _step(session, audit, trip, service.pick_up(session, trip=trip,
                                                        actor=caller.username))


@router.post("/hotline/escorts/{trip_id}/handoff", response_model=StepOut,
             summary="Handed over at the hospital", responses=CONFLICT_RESPONSE)
def hand_off(session: DbSession, caller: Operator, audit: AuditDep, trip_id: Id,
             body: HandOffIn) -> StepOut:
    """Who received the patient, now; a repeated or retried hand-off changes nothing
    (`changed` false)."""
    trip = trip_for(session, caller, trip_id)
    return _step(session, audit, trip, service.hand_off(
        session, trip=trip, received_by=body.received_by, actor=caller.username))


@router.post("/hotline/escorts/{trip_id}/back", response_model=StepOut,
             summary="Back home", responses=CONFLICT_RESPONSE)
def back_home(session: DbSession, caller: Operator, audit: AuditDep, trip_id: Id) -> StepOut:
    """The patient is back home: the return leg checked in, the trip closed."""
    trip = trip_for(session, caller, trip_id)
    return _step(session, audit, trip, service.back_home(session, trip=trip,
                                                          actor=caller.username))


@router.post("/hotline/escorts/{trip_id}/admitted", response_model=StepOut,
             summary="Admitted to hospital", responses=CONFLICT_RESPONSE)
def admitted(session: DbSession, caller: Operator, audit: AuditDep, trip_id: Id,
             body: ReasonIn) -> StepOut:
    """The patient was admitted, with the reason: the trip closed, no return leg."""
    trip = trip_for(session, caller, trip_id)
    return _step(session, audit, trip, service.admitted(
        session, trip=trip, reason=body.reason, actor=caller.username))


@router.post("/hotline/escorts/{trip_id}/expected-back", response_model=TripOut,
             summary="Move the expected return", responses=CONFLICT_RESPONSE)
def expect_back(session: DbSession, caller: Operator, audit: AuditDep, trip_id: Id,
                body: ExpectBackIn) -> TripOut:
    """The patient stays longer at hospital: the return leg (and its alert) moves."""
    trip = trip_for(session, caller, trip_id)
    service.expect_back(session, trip=trip, back_at=body.back_at, actor=caller.username)
    return _step(session, audit, trip, True).trip


@router.post("/hotline/escorts/{trip_id}/cancel", response_model=StepOut,
             summary="Cancel a trip", responses=CONFLICT_RESPONSE)
def cancel(session: DbSession, caller: Operator, audit: AuditDep, trip_id: Id,
           body: ReasonIn) -> StepOut:
    """Call a trip off before the pickup, with the reason."""
    trip = trip_for(session, caller, trip_id)
    service.cancel(session, trip=trip, reason=body.reason, actor=caller.username)
    return _step(session, audit, trip, True)


@router.post("/hotline/escort-plans", status_code=201, response_model=PlanOut,
             summary="Plan a recurring treatment")
def create_plan(session: DbSession, caller: Operator, audit: AuditDep, body: PlanIn
                ) -> PlanOut:
    """A resident's recurring treatment under restriction (dialysis, chemotherapy,
    antenatal care, childbirth), and a scheduled trip for each session of the coming week
    on which the household is restricted."""
    check_patient(session, caller, body.resident_id)
    plan, counts = service.create_plan(session, plan=service.PlanIn(**body.model_dump()),
                                       actor=caller.username)
    audit("create", "escort_plan", plan.id, person_id=plan.resident_id)
    return plan_out(plan, counts)


@router.get("/hotline/escort-plans/{plan_id}", response_model=PlanOut,
            summary="One treatment plan")
def get_plan(session: DbSession, caller: Operator, audit: AuditDep, plan_id: Id) -> PlanOut:
    """A treatment plan."""
    plan = plan_for(session, caller, plan_id)
    audit("read", "escort_plan", plan.id, person_id=plan.resident_id)
    return plan_out(plan)


@router.post("/hotline/escort-plans/{plan_id}/end", response_model=PlanOut,
             summary="End a treatment plan")
def end_plan(session: DbSession, caller: Operator, audit: AuditDep, plan_id: Id,
             body: ReasonIn) -> PlanOut:
    """End a plan; its trips still scheduled are cancelled with the reason."""
    plan = plan_for(session, caller, plan_id)
    cancelled = service.end_plan(session, plan=plan, reason=body.reason,
                                 actor=caller.username)
    audit("update", "escort_plan", plan.id, person_id=plan.resident_id)
    return plan_out(plan, {"cancelled": cancelled})


@router.post("/hotline/escorts/schedule", summary="Schedule the plans' sessions")
def schedule(session: DbSession, caller: Supervisor, body: ScheduleIn) -> dict[str, int]:
    """Turn every plan's sessions of the coming days into scheduled trips where the
    household is restricted (safe to repeat: a session with a trip makes nothing new)."""
    today = clock.city_today()
    return service.schedule(session, first=today, last=today + timedelta(days=body.days),
                            actor=caller.username)
