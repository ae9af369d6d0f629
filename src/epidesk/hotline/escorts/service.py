"""Escorted medical trips: dispatched from a medical-emergency ticket of a restricted
household, or scheduled from a treatment plan; each leg a transfer manifest of purpose
`medical_escort` (check-out at the door, check-in at the hospital as the hand-off, the
return leg checked in at home), closed back home or admitted with a reason. Session
first, keyword-only arguments after; flush, never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from epidesk.errors import ConflictError, NotFoundError, ValidationFailedError
from epidesk.hotline import service as tickets
from epidesk.hotline.escorts import repository, rules
from epidesk.hotline.models import EscortPlan, EscortTrip, Ticket
from epidesk.kit import clock
from epidesk.kit.access import AreaFilter
from epidesk.kit.merges import Merge
from epidesk.people import repository as people
from epidesk.people.models import Resident
from epidesk.quarantine.models import TransferLine
from epidesk.quarantine.transfers import service as transfers
from epidesk.supplies import service as supplies

# How far ahead the plans' sessions are turned into trips.
SCHEDULE_DAYS = 7


def _invalid(field: str, message: str) -> ValidationFailedError:
    return ValidationFailedError(f"{field}: {message}", field=field)


def merge_person_rows(session: Session, merge: Merge) -> list[str]:
    """Escorts' share of a merge: the merged record's trips and plans move."""
    return [f"{repository.merge_rows(session, merge)} escorted trips and plans moved"]


def restricted_patient(session: Session, *, resident_id: int, day: date,
                       today: date | None = None) -> tuple[Resident, str]:
    """The resident and why their household is restricted on the day; refused (422 naming
    `resident_id`) when it is not: an escorted trip is only for a household that may not
    leave home."""
    found = people.resident_by_id(session, resident_id)
    if found is None:
        raise _invalid("resident_id", f"no resident {resident_id}")
    why = supplies.household_restriction(session, household_id=found.household_id, day=day,
                                         today=today)
    if why is None:
        raise _invalid("resident_id", (
            f"the household of resident {resident_id} is not under a stay-home zone or home "
            f"quarantine on {day.isoformat()}: no escorted trip is needed (call an "
            "ambulance, or the resident travels as usual)"))
    return found, why[0]


@dataclass(frozen=True)
class Crew:
    """Who drives and who escorts."""

    vehicle: str
    driver_name: str
    driver_phone: str
    escort_name: str = ""
    escort_phone: str = ""


def _check_crew(crew: Crew) -> None:
    for field in ("vehicle", "driver_name", "driver_phone"):
        if not getattr(crew, field).strip():
            raise _invalid(field, "needed to dispatch a trip")


def _dispatch(session: Session, trip: EscortTrip, crew: Crew, actor: str) -> None:
    """Make the trip's two legs (out and back) as manifests; the trip is dispatched."""
    _check_crew(crew)
    home = f"home of household {trip.household_id}"
    out = transfers.create_escort_manifest(session, actor=actor, leg=transfers.EscortLeg(
        vehicle=crew.vehicle.strip(), route=f"{home} -> {trip.destination}",
        destination=trip.destination, departs_at=trip.departs_at,
        expected_at=trip.arrives_at, driver_name=crew.driver_name.strip(),
        driver_phone=crew.driver_phone.strip(), resident_id=trip.resident_id))
    back = transfers.create_escort_manifest(session, actor=actor, leg=transfers.EscortLeg(
        vehicle=crew.vehicle.strip(), route=f"{trip.destination} -> {home}",
        destination=home, departs_at=trip.arrives_at, expected_at=trip.back_at,
        driver_name=crew.driver_name.strip(), driver_phone=crew.driver_phone.strip(),
        resident_id=trip.resident_id))
    trip.out_manifest_id, trip.back_manifest_id = out.id, back.id
    trip.escort_name, trip.escort_phone = crew.escort_name.strip(), crew.escort_phone.strip()
    trip.status = rules.DISPATCHED
    session.flush()


def _ticket_of(session: Session, trip: EscortTrip) -> Ticket | None:
    return None if trip.ticket_id is None else tickets.get_ticket(session, ticket_id=trip.ticket_id)


def _note(session: Session, trip: EscortTrip, note: str, actor: str, at: datetime) -> None:
    ticket = _ticket_of(session, trip)
    if ticket is not None:
        tickets.note_step(session, ticket=ticket, kind="escort",
                          note=f"escorted trip {trip.id}: {note}", actor=actor, at=at)


def dispatch_emergency(session: Session, *, ticket: Ticket, crew: Crew, destination: str,
                       arrives_at: datetime, actor: str, resident_id: int | None = None,
                       departs_at: datetime | None = None, back_at: datetime | None = None,
                       now: datetime | None = None) -> EscortTrip:
    """An escorted trip for a medical-emergency ticket's patient (the ticket's resident
    unless another is named), whose household is restricted today. Refused, naming the
    field, when the ticket is not a medical emergency, no patient is named, the household
    is not restricted, or the times do not follow each other."""
    moment = now or clock.now()
    if ticket.category != "medical_emergency":
        raise _invalid("ticket_id", "only a medical-emergency ticket dispatches an escorted "
                                    "trip")
    if ticket.status == "resolved":
        raise _invalid("ticket_id", "the ticket is resolved; reopen it first")
    patient_id = resident_id if resident_id is not None else ticket.resident_id
    if patient_id is None:
        raise _invalid("resident_id", "name the patient: the ticket names no resident")
    if any(t.status in rules.OPEN for t in repository.of_ticket(session, ticket.id)):
        raise ConflictError(f"ticket {ticket.id} already has an escorted trip under way")
    today = clock.city_today(moment)
    patient, why = restricted_patient(session, resident_id=patient_id, day=today, today=today)
    if not destination.strip():
        raise _invalid("destination", "name the hospital")
    _check_crew(crew)
    leaves = departs_at or moment
    if clock.aware(arrives_at) <= clock.aware(leaves):
        raise _invalid("arrives_at", "the expected arrival must come after the departure")
    back = back_at or clock.aware(arrives_at) + rules.EMERGENCY_RETURN
    if clock.aware(back) <= clock.aware(arrives_at):
        raise _invalid("back_at", "the expected return must come after the arrival")
    trip = EscortTrip(
        resident_id=patient.id, household_id=patient.household_id,
        community_id=patient.community_id, ticket_id=ticket.id, plan_id=None, session_on=None,
        kind=rules.EMERGENCY, restriction=why, destination=destination.strip()[:200],
        departs_at=leaves, arrives_at=arrives_at, back_at=back, status=rules.SCHEDULED,
        created_at=moment, created_by=actor[:64])
    repository.add(session, trip)
    _dispatch(session, trip, crew, actor)
    _note(session, trip, f"dispatched ({crew.vehicle.strip()}) to {trip.destination}",
          actor, moment)
    return trip


def get_trip(session: Session, *, trip_id: int) -> EscortTrip:
    """A trip, or not found."""
    found = repository.trip(session, trip_id)
    if found is None:
        raise NotFoundError(f"no escorted trip {trip_id}")
    return found


def dispatch_scheduled(session: Session, *, trip: EscortTrip, crew: Crew, actor: str
                       ) -> EscortTrip:
    """Give a scheduled session its vehicle and crew."""
    if trip.status != rules.SCHEDULED:
        raise ConflictError(f"escorted trip {trip.id} is {trip.status}, not scheduled")
    _dispatch(session, trip, crew, actor)
    return trip


def _leg(session: Session, trip: EscortTrip, *, back: bool = False) -> TransferLine:
    """The patient's line on the trip's out (or return) leg."""
    manifest_id = trip.back_manifest_id if back else trip.out_manifest_id
    if manifest_id is None:
        raise ConflictError(f"escorted trip {trip.id} has no vehicle yet: dispatch it first")
    return transfers.get_manifest(session, manifest_id=manifest_id).lines[0]


def pick_up(session: Session, *, trip: EscortTrip, actor: str, now: datetime | None = None
            ) -> bool:
    """The patient boarded at home (the out leg checked out); True when this changed it."""
    if trip.status not in (rules.DISPATCHED, rules.HANDED_OFF):
        raise ConflictError(f"escorted trip {trip.id} is {trip.status}: nothing to pick up")
    line = _leg(session, trip)
    changed = line.checked_out_at is None
    transfers.check_out(session, manifest_id=line.manifest_id, line_no=line.line_no,
                        actor=actor, now=now)
    return changed


def hand_off(session: Session, *, trip: EscortTrip, received_by: str, actor: str,
             now: datetime | None = None) -> bool:
    """The patient handed over to the emergency service or the ward: who received them,
    when (the out leg checked in). Once: a repeated or retried hand-off changes nothing and
    returns False."""
    if trip.handed_off_at is not None:
        return False
    if trip.status != rules.DISPATCHED:
        raise ConflictError(f"escorted trip {trip.id} is {trip.status}: it cannot be handed "
                            "over")
    if not received_by.strip():
        raise _invalid("received_by", "say who received the patient (name and service)")
    moment = now or clock.now()
    transfers.check_in(session, manifest_id=_leg(session, trip).manifest_id,
                       resident_id=trip.resident_id, actor=actor, now=moment)
    trip.handed_off_at, trip.handed_off_to = moment, received_by.strip()[:120]
    trip.handed_off_by, trip.status = actor[:64], rules.HANDED_OFF
    session.flush()
    _note(session, trip, f"handed over to {trip.handed_off_to}", actor, moment)
    return True


def back_home(session: Session, *, trip: EscortTrip, actor: str,
              now: datetime | None = None) -> bool:
    """The patient is back home (the return leg checked in): the trip is closed. Once: a
    repeat changes nothing and returns False."""
    if trip.status == rules.RETURNED:
        return False
    if trip.status != rules.HANDED_OFF:
        raise ConflictError(f"escorted trip {trip.id} is {trip.status}: record the hand-off "
                            "at the hospital first")
    moment = now or clock.now()
    transfers.check_in(session, manifest_id=_leg(session, trip, back=True).manifest_id,
                       resident_id=trip.resident_id, actor=actor, now=moment)
    _close(trip, rules.RETURNED, "", actor, moment)
    session.flush()
    _note(session, trip, "closed: back home", actor, moment)
    return True


def admitted(session: Session, *, trip: EscortTrip, reason: str, actor: str,
             now: datetime | None = None) -> bool:
    """The patient was admitted (the return leg closed as "taken to hospital", with the
    reason): the trip is closed. Once: a repeat changes nothing and returns False."""
    if trip.status == rules.ADMITTED:
        return False
    if trip.status != rules.HANDED_OFF:
        raise ConflictError(f"escorted trip {trip.id} is {trip.status}: record the hand-off "
                            "at the hospital first")
    if not reason.strip():
        raise _invalid("reason", "say why the patient was admitted (ward, diagnosis)")
    moment = now or clock.now()
    transfers.close_line(session, line_id=_leg(session, trip, back=True).id,
                         resolution="hospital", note=reason, actor=actor, now=moment)
    _close(trip, rules.ADMITTED, reason.strip(), actor, moment)
    session.flush()
    _note(session, trip, f"closed: admitted ({reason.strip()})", actor, moment)
    return True


def expect_back(session: Session, *, trip: EscortTrip, back_at: datetime, actor: str,
                now: datetime | None = None) -> EscortTrip:
    """Move the expected return of a trip under way (a longer examination, a wait for a
    result): the return leg's alert follows."""
    if trip.status not in (rules.DISPATCHED, rules.HANDED_OFF):
        raise ConflictError(f"escorted trip {trip.id} is {trip.status}: no return to move")
    moment = now or clock.now()
    if clock.aware(back_at) <= max(moment, clock.aware(trip.arrives_at)):
        raise _invalid("back_at", "the expected return must come after now and the arrival")
    leg = _leg(session, trip, back=True)
    transfers.retime(session, manifest_id=leg.manifest_id, departs_at=trip.arrives_at,
                     expected_at=back_at)
    trip.back_at = back_at
    session.flush()
    _note(session, trip, f"expected back by {clock.format_local(back_at)}", actor, moment)
    return trip


def cancel(session: Session, *, trip: EscortTrip, reason: str, actor: str,
           now: datetime | None = None) -> EscortTrip:
    """Cancel a trip before the patient was picked up (the session was called off, the
    restriction ended), with a reason; its legs are closed as not travelling."""
    if trip.status not in (rules.SCHEDULED, rules.DISPATCHED):
        raise ConflictError(f"escorted trip {trip.id} is {trip.status}: it cannot be "
                            "cancelled")
    if not reason.strip():
        raise _invalid("reason", "say why the trip is cancelled")
    moment = now or clock.now()
    if trip.status == rules.DISPATCHED:
        out, back = _leg(session, trip), _leg(session, trip, back=True)
        if out.checked_out_at is not None:
            raise ConflictError(f"escorted trip {trip.id}: the patient was picked up; "
                                "record the hand-off, then the return or the admission")
        for line in (out, back):
            transfers.close_line(session, line_id=line.id, resolution="not_travelling",
                                 note=reason, actor=actor, now=moment)
    _close(trip, rules.CANCELLED, reason.strip(), actor, moment)
    session.flush()
    _note(session, trip, f"cancelled ({reason.strip()})", actor, moment)
    return trip


def _close(trip: EscortTrip, status: str, note: str, actor: str, at: datetime) -> None:
    trip.status, trip.outcome_note = status, note
    trip.closed_at, trip.closed_by = at, actor[:64]


# ---------------------------------------------------------------- treatment plans


@dataclass(frozen=True)
class PlanIn:
    """What a treatment plan needs."""

    resident_id: int
    kind: str
    facility: str
    starts_on: date
    ends_on: date
    departs: str
    arrives: str
    back: str
    weekdays: str = ""
    dates: str = ""
    contact_phone: str = ""
    note: str = ""


def create_plan(session: Session, *, plan: PlanIn, actor: str, now: datetime | None = None
                ) -> tuple[EscortPlan, dict[str, int]]:
    """A resident's recurring treatment, and its trips for the sessions of the coming
    days. Refused, naming the field, when the plan is malformed or the resident's household
    is not restricted on the plan's first day from today."""
    moment = now or clock.now()
    problem = rules.check_plan(kind=plan.kind, weekdays=plan.weekdays, dates=plan.dates,
                               starts_on=plan.starts_on, ends_on=plan.ends_on,
                               departs=plan.departs, arrives=plan.arrives, back=plan.back)
    if problem is not None:
        raise _invalid(*problem)
    if not plan.facility.strip():
        raise _invalid("facility", "name the hospital or clinic")
    today = clock.city_today(moment)
    if plan.ends_on < today:
        raise _invalid("ends_on", "the plan ended before today")
    patient, _why = restricted_patient(session, resident_id=plan.resident_id,
                                       day=max(today, plan.starts_on), today=today)
    row = EscortPlan(
        resident_id=patient.id, community_id=patient.community_id, kind=plan.kind,
        facility=plan.facility.strip()[:200],
        weekdays=",".join(map(str, rules.parse_weekdays(plan.weekdays) or ())),
        dates=",".join(d.isoformat() for d in rules.parse_dates(plan.dates) or ()),
        starts_on=plan.starts_on, ends_on=plan.ends_on, departs=plan.departs.strip(),
        arrives=plan.arrives.strip(), back=plan.back.strip(),
        contact_phone=plan.contact_phone.strip()[:32], note=plan.note.strip(),
        ended_at=None, created_at=moment, created_by=actor[:64])
    repository.add(session, row)
    counts = schedule(session, first=today, last=today + timedelta(days=SCHEDULE_DAYS),
                      actor=actor, plans=[row], now=moment)
    return row, counts


def get_plan(session: Session, *, plan_id: int) -> EscortPlan:
    """A plan, or not found."""
    found = repository.plan(session, plan_id)
    if found is None:
        raise NotFoundError(f"no treatment plan {plan_id}")
    return found


def end_plan(session: Session, *, plan: EscortPlan, reason: str, actor: str,
             now: datetime | None = None) -> int:
    """End a plan: its trips still scheduled are cancelled with the reason; returns how
    many."""
    if not reason.strip():
        raise _invalid("reason", "say why the plan ends")
    moment = now or clock.now()
    if plan.ended_at is None:
        plan.ended_at = moment
    cancelled = 0
    for trip in repository.scheduled_of_plan(session, plan.id):
        cancel(session, trip=trip, reason=reason, actor=actor, now=moment)
        cancelled += 1
    session.flush()
    return cancelled


def schedule(session: Session, *, first: date, last: date, actor: str,
             plans: Sequence[EscortPlan] | None = None, now: datetime | None = None
             ) -> dict[str, int]:
    """A scheduled trip for every session of the plans in force from `first` to `last` on
    which the household is restricted (a session on a free day is left to the resident).
    Idempotent: a session that has its trip makes nothing new."""
    moment = now or clock.now()
    today, zone = clock.city_today(moment), clock.city_zone()
    counts = {"sessions": 0, "scheduled": 0, "already": 0, "not_restricted": 0}
    restricted: dict[tuple[int, date], str | None] = {}
    for plan in plans if plans is not None else repository.plans_in_force(
            session, first=first, last=last):
        weekdays, dates = rules.parse_weekdays(plan.weekdays), rules.parse_dates(plan.dates)
        times = [rules.parse_time(t) for t in (plan.departs, plan.arrives, plan.back)]
        resident = people.resident_by_id(session, plan.resident_id)
        if resident is None or None in times or weekdays is None or dates is None:
            continue
        have = repository.sessions_of(session, plan.id)
        for day in rules.session_days(rules.Schedule(weekdays, dates, plan.starts_on,
                                                     plan.ends_on), first, last):
            counts["sessions"] += 1
            if day in have:
                counts["already"] += 1
                continue
            key = (resident.household_id, day)
            if key not in restricted:
                found = supplies.household_restriction(
                    session, household_id=resident.household_id, day=day, today=today)
                restricted[key] = None if found is None else found[0]
            why = restricted[key]
            if why is None:
                counts["not_restricted"] += 1
                continue
            departs, arrives, back = rules.session_moments(
                day, times[0], times[1], times[2], zone=zone)  # type: ignore[arg-type]
            repository.add(session, EscortTrip(
                resident_id=resident.id, household_id=resident.household_id,
                community_id=resident.community_id, ticket_id=None, plan_id=plan.id,
                session_on=day, kind=plan.kind, restriction=why, destination=plan.facility,
                departs_at=departs, arrives_at=arrives, back_at=back,
                status=rules.SCHEDULED, created_at=moment, created_by=actor[:64]))
            counts["scheduled"] += 1
    return counts


# ---------------------------------------------------------------- the day's view


def due_on(session: Session, *, area: AreaFilter | None, day: date) -> Sequence[EscortTrip]:
    """Trips whose pickup falls on a city day, in the area."""
    start = clock.day_start(day)
    return repository.trips(session, area=area, departs_from=start,
                            departs_before=clock.day_start(day + timedelta(days=1)))


def missed_sessions(session: Session, *, area: AreaFilter | None,
                    now: datetime | None = None) -> list[tuple[EscortTrip, str]]:
    """Trips missed now, with why: no vehicle by the pickup time (plus a grace), or
    neither back nor admitted by the expected return (plus the transfers' grace)."""
    moment = now or clock.now()
    grace = timedelta(minutes=transfers.grace_minutes())
    out = []
    for trip in repository.possibly_missed(session, area=area,
                                           scheduled_before=moment - rules.DISPATCH_GRACE,
                                           due_before=moment - grace):
        why = rules.missed(status=trip.status, departs_at=clock.aware(trip.departs_at),
                           back_at=clock.aware(trip.back_at), now=moment, grace=grace)
        if why is not None:
            out.append((trip, why))
    return out


def trips_of_ticket(session: Session, *, ticket_id: int) -> Sequence[EscortTrip]:
    """A ticket's trips, latest first."""
    return repository.of_ticket(session, ticket_id)
