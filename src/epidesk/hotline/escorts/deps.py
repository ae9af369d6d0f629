"""FastAPI dependencies of escorted trips, shared by their api and pages: trips inside
the caller's area, and trips and plans as staff see them (the patient named only to
hotline staff of the patient's area; every read audits the people it shows)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError, ValidationFailedError
from epidesk.hotline import repository as tickets
from epidesk.hotline.escorts import repository, rules, service
from epidesk.hotline.escorts.schemas import PlanOut, TripOut
from epidesk.hotline.models import EscortPlan, EscortTrip, Ticket
from epidesk.kit import clock
from epidesk.kit.access import HOTLINE_SUPERVISE, HOTLINE_WRITE, Caller
from epidesk.kit.web import require
from epidesk.people import repository as people
from epidesk.quarantine.models import TransferManifest
from epidesk.quarantine.transfers import service as transfers


def visible(session: Session, caller: Caller, community_id: int | None) -> bool:
    """Whether the caller may see a trip or plan of a community."""
    area = None if community_id is None else tickets.community_area(session, community_id)
    if area is None:
        return caller.area_for(HOTLINE_WRITE).everywhere
    return caller.may(HOTLINE_WRITE, area)


# Hotline staff, as in hotline.deps (which gathers this package's panel and tile).
Operator = Annotated[Caller, Depends(require(HOTLINE_WRITE))]
Supervisor = Annotated[Caller, Depends(require(HOTLINE_SUPERVISE))]


def ticket_for(session: Session, caller: Caller, ticket_id: int) -> Ticket:
    """A ticket inside the caller's area, else not found (as one that does not exist)."""
    found = tickets.ticket(session, ticket_id)
    if found is None or not visible(session, caller, found.community_id):
        raise NotFoundError(f"no ticket {ticket_id}")
    return found


def check_patient(session: Session, caller: Caller, resident_id: int | None) -> None:
    """A patient named must lie in the caller's area (else, as one that does not exist,
    422 naming the field)."""
    if resident_id is None:
        return
    area = people.resident_area(session, resident_id)
    if area is None or not caller.may(HOTLINE_WRITE, area):
        raise ValidationFailedError(f"resident_id: no resident {resident_id}",
                                    field="resident_id")


def trip_for(session: Session, caller: Caller, trip_id: int) -> EscortTrip:
    """A trip inside the caller's area, else not found (as one that does not exist)."""
    found = repository.trip(session, trip_id)
    if found is None or not visible(session, caller, found.community_id):
        raise NotFoundError(f"no escorted trip {trip_id}")
    return found


def plan_for(session: Session, caller: Caller, plan_id: int) -> EscortPlan:
    """A plan inside the caller's area, else not found."""
    found = repository.plan(session, plan_id)
    if found is None or not visible(session, caller, found.community_id):
        raise NotFoundError(f"no treatment plan {plan_id}")
    return found


def _manifest(session: Session, manifest_id: int | None) -> TransferManifest | None:
    return None if manifest_id is None else transfers.get_manifest(session,
                                                                   manifest_id=manifest_id)


def trips_out(session: Session, trips: Sequence[EscortTrip], now: datetime,
              missed: dict[int, str] | None = None) -> list[TripOut]:
    """Trips as staff see them (the caller's area is the route's to check)."""
    names = {r.id: r.name for r in people.residents_by_id(
        session, sorted({t.resident_id for t in trips})).values()}
    grace = timedelta(minutes=transfers.grace_minutes())
    out = []
    for t in trips:
        out_leg = _manifest(session, t.out_manifest_id)
        why = missed.get(t.id) if missed is not None else rules.missed(
            status=t.status, departs_at=clock.aware(t.departs_at),
            back_at=clock.aware(t.back_at), now=now, grace=grace)
        out.append(TripOut(
            id=t.id, kind=t.kind, status=t.status, missed=why, resident_id=t.resident_id,
            name=names.get(t.resident_id, ""), restriction=t.restriction,
            destination=t.destination, ticket_id=t.ticket_id, plan_id=t.plan_id,
            session_on=t.session_on, departs_at=t.departs_at, arrives_at=t.arrives_at,
            back_at=t.back_at, vehicle=out_leg.vehicle if out_leg else None,
            driver_name=out_leg.driver_name if out_leg else None,
            driver_phone=out_leg.driver_phone if out_leg else None,
            escort_name=t.escort_name, escort_phone=t.escort_phone,
            picked_up_at=out_leg.lines[0].checked_out_at if out_leg else None,
            handed_off_at=t.handed_off_at, handed_off_to=t.handed_off_to,
            closed_at=t.closed_at, outcome_note=t.outcome_note,
            out_manifest_id=t.out_manifest_id, back_manifest_id=t.back_manifest_id))
    return out


def trip_out(session: Session, trip: EscortTrip, now: datetime | None = None) -> TripOut:
    """One trip as staff see it."""
    return trips_out(session, [trip], now or clock.now())[0]


def plan_out(plan: EscortPlan, counts: dict[str, int] | None = None) -> PlanOut:
    """A plan as staff see it."""
    return PlanOut(id=plan.id, resident_id=plan.resident_id, kind=plan.kind,
                   facility=plan.facility, weekdays=plan.weekdays, dates=plan.dates,
                   starts_on=plan.starts_on, ends_on=plan.ends_on, departs=plan.departs,
                   arrives=plan.arrives, back=plan.back, ended_at=plan.ended_at,
                   counts=counts or {})


def board(session: Session, caller: Caller, *, day: date, now: datetime | None = None
          ) -> tuple[list[TripOut], list[TripOut], list[int]]:
    """The day's board in the caller's area: trips due on the day, trips missed now, and
    the residents they name."""
    moment = now or clock.now()
    area = caller.area_for(HOTLINE_WRITE)
    missed = service.missed_sessions(session, area=area, now=moment)
    why = {t.id: w for t, w in missed}
    due = trips_out(session, service.due_on(session, area=area, day=day), moment)
    for trip in due:
        trip.missed = why.get(trip.id)
    late = trips_out(session, [t for t, _ in missed], moment, why)
    return due, late, sorted({t.resident_id for t in due + late})


def resident_trips(session: Session, *, resident_id: int) -> list[dict[str, Any]]:
    """A resident's latest trips, for the person's record (JSON-ready)."""
    now = clock.now()
    return [t.model_dump(mode="json", include={
        "id", "kind", "status", "missed", "destination", "departs_at", "handed_off_to",
        "closed_at", "outcome_note", "ticket_id"})
        for t in trips_out(session, repository.of_resident(session, resident_id), now)]


def tile_counts(session: Session, caller: Caller, *, today: date) -> dict[str, int]:
    """The command centre's figures in the caller's area: trips due today, under way, and
    sessions missed."""
    area = caller.area_for(HOTLINE_WRITE)
    due = service.due_on(session, area=area, day=today)
    by_status = repository.open_counts(session, area=area)
    return {"due_today": len(due),
            "under_way": by_status.get(rules.DISPATCHED, 0) + by_status.get(rules.HANDED_OFF, 0),
            "missed": len(service.missed_sessions(session, area=area))}
