"""Use cases of appointments and doses. Services flush, never commit.

Slots are kept in pools by site, day and dose number, so a first-dose booking never
takes a place kept for second doses. When a first dose is given, the second is booked at
the same site on the first day of its window with a free second-dose place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from epidesk.certificates import service as certificates
from epidesk.errors import ConflictError, DomainError, NotFoundError, ValidationFailedError
from epidesk.kit import clock
from epidesk.kit.i18n import _, using
from epidesk.kit.merges import Merge
from epidesk.messages import repository as messages_repository
from epidesk.messages import service as messages
from epidesk.people import repository as people
from epidesk.people.models import Resident
from epidesk.vaccination import rules
from epidesk.vaccination.booking import repository
from epidesk.vaccination.catalogue import service as catalogue
from epidesk.vaccination.models import (
    AdverseEvent,
    Appointment,
    Dose,
    Hold,
    ReminderConsent,
    SlotPool,
)
from epidesk.vaccination.rules import DoseGiven, OpenDose
from epidesk.vaccination.sites import service as sites

CHANNELS = ("public", "hotline", "community", "site", "staff")
SEVERITIES = ("mild", "moderate", "severe", "serious")
BOOKING_HORIZON_DAYS = 28
REMINDER_TOPIC = "vaccination.dose_reminder"


def _resident(session: Session, resident_id: int) -> Resident:
    found = people.resident_by_id(session, resident_id)
    if found is None or found.merged_into_id is not None:
        raise NotFoundError(f"no resident {resident_id}")
    return found


def history(session: Session, resident_id: int) -> list[DoseGiven]:
    """A resident's doses as the rules read them."""
    return [DoseGiven(d.dose_number, d.day, d.product)
            for d in repository.doses_of(session, resident_id)]


def holds(session: Session, resident_id: int) -> list[rules.Hold]:
    """A resident's contraindications and deferrals as the rules read them."""
    return [rules.Hold(h.kind, h.until) for h in repository.holds_of(session, resident_id)]


def open_dose(session: Session, *, resident_id: int, today: date) -> OpenDose | None:
    """The next dose a resident may have, and from which day (None: schedule complete)."""
    person = _resident(session, resident_id)
    return rules.next_dose(history(session, resident_id), birth=person.birth_date,
                           high_risk=person.chronic_medication,
                           holds=holds(session, resident_id), today=today,
                           products=catalogue.products())


# ------------------------------------------------------------------ slots


def day_capacity(session: Session, site_id: int, day: date) -> int:
    """Doses a site can give on a day with every station staffed (its opening hours)."""
    site = sites.get_site(session, site_id)
    hours = next((h for h in site.hours if h.weekday == day.weekday()), None)
    if hours is None:
        return 0
    return int((hours.closes - hours.opens) / 60 * site.stations * site.doses_per_station_hour)


def open_slots(session: Session, *, site_id: int, day: date, dose_number: int,
               capacity: int) -> SlotPool:
    """Offer `capacity` places for one dose number at a site on a day (set, not added);
    the pools of a day never exceed what the site can give that day."""
    schedule = next(iter(catalogue.products().values()))
    if schedule.dose(dose_number) is None:
        raise ValidationFailedError(f"no dose {dose_number} in the schedule",
                                    field="dose_number")
    if capacity < 0:
        raise ValidationFailedError("capacity is zero or more", field="capacity")
    limit = day_capacity(session, site_id, day)
    others = sum(p.capacity for p in repository.pools_of_day(session, site_id, day)
                 if p.dose_number != dose_number)
    if others + capacity > limit:
        raise ValidationFailedError(
            f"the site can give {limit:,} doses that day and {others:,} places are offered "
            f"for other doses", field="capacity")
    found = repository.pool(session, site_id, day, dose_number)
    if found is None:
        found = SlotPool(site_id=site_id, day=day, dose_number=dose_number, capacity=capacity,
                         booked=0)
        session.add(found)
    elif capacity < found.booked:
        raise ValidationFailedError(f"{found.booked} places are booked already",
                                    field="capacity")
    else:
        found.capacity = capacity
    session.flush()
    return found


@dataclass(frozen=True)
class Options:
    """What may be booked now for one person: the dose and its free places; nothing else
    of their record."""

    dose: OpenDose | None
    places: list[SlotPool]
    booked: Appointment | None


def options(session: Session, *, resident_id: int, today: date,
            site_ids: Sequence[int] | None = None) -> Options:
    """The dose a resident may book now and the free places for it in the coming weeks."""
    found = open_dose(session, resident_id=resident_id, today=today)
    if found is None or found.earliest is None:
        return Options(dose=found, places=[], booked=None)
    already = repository.booked_for(session, resident_id, found.number)
    last = today + timedelta(days=BOOKING_HORIZON_DAYS)
    places = [] if already or found.earliest > last else list(repository.free_pools(
        session, dose_number=found.number, first=max(found.earliest, today), last=last,
        site_ids=site_ids))
    return Options(dose=found, places=places, booked=already)


def book(session: Session, *, resident_id: int, site_id: int, day: date, channel: str,
         actor: str, today: date | None = None) -> Appointment:
    """Book the resident's next dose at a site on a day, from that dose number's pool."""
    if channel not in CHANNELS:
        raise ValidationFailedError(f"channel is one of {', '.join(CHANNELS)}", field="channel")
    now = clock.now()
    current = today or clock.local_day(now)
    if day < current:
        raise ValidationFailedError("the day has passed", field="day")
    found = open_dose(session, resident_id=resident_id, today=current)
    if found is None:
        raise ConflictError("no further dose is due in this schedule")
    if not found.may_have_on(day):
        raise ValidationFailedError(
            "this dose may not be booked for that day" if found.earliest is None else
            f"this dose may be booked from {found.earliest.isoformat()}", field="day")
    if repository.booked_for(session, resident_id, found.number) is not None:
        raise ConflictError("this dose is booked already; cancel that appointment first")
    pool = repository.pool(session, site_id, day, found.number)
    if pool is None or not repository.take_place(session, pool.id):
        raise ConflictError(f"no free place for dose {found.number} at this site that day")
    session.expire(pool)
    made = Appointment(resident_id=resident_id, site_id=site_id, day=day,
                       dose_number=found.number, status="booked", channel=channel,
                       booked_by=actor, booked_at=now)
    session.add(made)
    session.flush()
    return made


def cancel(session: Session, *, appointment_id: int) -> Appointment:
    """Cancel a booked appointment; its place returns to its pool."""
    found = repository.appointment(session, appointment_id)
    if found is None:
        raise NotFoundError(f"no appointment {appointment_id}")
    if found.status != "booked":
        raise ConflictError(f"the appointment is {found.status}")
    found.status = "cancelled"
    repository.give_back_place(session, found.site_id, found.day, found.dose_number)
    session.flush()
    return found


def find_by_identity(session: Session, *, id_number: str, birth: date) -> int | None:
    """The resident holding both this identity number and birth date, or None (also when
    two records match: the booker is asked to call the hotline, never told why)."""
    found = repository.residents_by_identity(session, id_number.strip().upper(), birth)
    return found[0].id if len(found) == 1 else None


# ------------------------------------------------------------------ doses


@dataclass(frozen=True)
class Given:
    """A dose recorded, and the next dose's appointment when one was booked."""

    dose: Dose
    next_appointment: Appointment | None
    next_dose: OpenDose | None
    # The vaccination certificate issued for the dose, or why none was.
    certificate_id: int | None = None
    certificate_problem: str | None = None


def record_dose(session: Session, *, resident_id: int, site_id: int, product: str,
                lot: str | None, vaccinator: str, actor: str,
                given_at: datetime | None = None) -> Given:
    """Record a dose given at a site: the schedule checked, one dose issued from the site's
    depot (of the named lot, else the lot that expires first; refused when it holds no
    unexpired dose), the appointment marked done (a walk-in otherwise), and the second
    dose booked when the first is given."""
    person = _resident(session, resident_id)
    sites.get_site(session, site_id)
    moment = given_at or clock.now()
    day = clock.local_day(moment)
    if not vaccinator.strip():
        raise ValidationFailedError("name the vaccinator", field="vaccinator")
    found = rules.next_dose(history(session, resident_id), birth=person.birth_date,
                            high_risk=person.chronic_medication,
                            holds=holds(session, resident_id), today=day,
                            products=catalogue.products())
    if found is None:
        raise ConflictError("the schedule is complete: no further dose")
    why = rules.check_dose(history(session, resident_id), number=found.number, product=product,
                           day=day, birth=person.birth_date, high_risk=person.chronic_medication,
                           holds=holds(session, resident_id), products=catalogue.products())
    if why is not None:
        raise ValidationFailedError(why, field="product" if "product" in why else "resident_id")
    lot = sites.use_dose(session, site_id=site_id, product=product, lot=lot or None, day=day,
                         actor=actor)
    booked = repository.booked_for(session, resident_id, found.number)
    if booked is not None:
        booked.status = "done"
    dose = Dose(resident_id=resident_id, dose_number=found.number, product=product, lot=lot,
                site_id=site_id, vaccinator=vaccinator.strip(), given_at=moment, day=day,
                appointment_id=booked.id if booked else None, walk_in=booked is None,
                recorded_by=actor)
    session.add(dose)
    session.flush()
    following = open_dose(session, resident_id=resident_id, today=day)
    appointment = None
    if following is not None and following.series == "primary" and following.earliest:
        last = following.latest or following.earliest + timedelta(days=BOOKING_HORIZON_DAYS)
        for place in repository.free_pools(session, dose_number=following.number,
                                           first=following.earliest, last=last,
                                           site_ids=[site_id], limit=1):
            appointment = book(session, resident_id=resident_id, site_id=site_id,
                               day=place.day, channel="site", actor=actor, today=day)
    certificate_id, problem = certify(session, dose=dose, actor=actor)
    return Given(dose=dose, next_appointment=appointment, next_dose=following,
                 certificate_id=certificate_id, certificate_problem=problem)


def certify(session: Session, *, dose: Dose, actor: str) -> tuple[int | None, str | None]:
    """Issue the vaccination certificate of a dose (EU DCC format, through the certificates
    domain); the dose stands when none can be issued (no signer key yet), and the reason
    is returned."""
    product = catalogue.product(dose.product)
    try:
        with session.begin_nested():
            issued = certificates.issue_vaccination(
                session, resident_id=dose.resident_id, dose_number=dose.dose_number,
                total_doses=max(product.primary_doses, dose.dose_number),
                product=product.dcc_product, manufacturer=product.dcc_manufacturer,
                vaccine_type=product.platform, day=dose.day, actor=actor)
    except DomainError as exc:
        return None, exc.detail
    return issued.id, None


def record_adverse_event(session: Session, *, dose_id: int, onset_at: datetime, severity: str,
                         description: str, actor: str) -> AdverseEvent:
    """An adverse event after a dose."""
    dose = repository.dose(session, dose_id)
    if dose is None:
        raise NotFoundError(f"no dose {dose_id}")
    if severity not in SEVERITIES:
        raise ValidationFailedError(f"severity is one of {', '.join(SEVERITIES)}",
                                    field="severity")
    if onset_at < dose.given_at:
        raise ValidationFailedError("the onset is before the dose", field="onset_at")
    if not description.strip():
        raise ValidationFailedError("describe the event", field="description")
    event = AdverseEvent(dose_id=dose_id, onset_at=onset_at, severity=severity,
                         description=description.strip(), recorded_by=actor,
                         recorded_at=clock.now())
    session.add(event)
    session.flush()
    return event


def record_hold(session: Session, *, resident_id: int, kind: str, reason: str,
                until: date | None, actor: str) -> Hold:
    """A contraindication (until a date, or none known yet) or a deferral (until a date):
    it only moves the day from which a dose is offered."""
    _resident(session, resident_id)
    known = catalogue.reasons()
    if kind not in known.kinds():
        raise ValidationFailedError(f"kind is one of {', '.join(known.kinds())}", field="kind")
    if kind in known.deferrals and until is None:
        raise ValidationFailedError("a deferral needs its end date", field="until")
    found = Hold(resident_id=resident_id, kind=kind, reason=reason.strip() or known.kinds()[kind],
                 until=until, recorded_by=actor, recorded_at=clock.now())
    session.add(found)
    session.flush()
    return found


def end_hold(session: Session, *, hold_id: int, on: date) -> Hold:
    """End a contraindication or deferral: doses are offered again from the next day."""
    found = repository.hold(session, hold_id)
    if found is None:
        raise NotFoundError(f"no contraindication or deferral {hold_id}")
    found.until = on
    session.flush()
    return found


# ------------------------------------------------------------------ reminders


def set_reminders(session: Session, *, resident_id: int, opted_in: bool,
                  actor: str) -> ReminderConsent:
    """Record whether a resident wants a reminder when a dose falls due."""
    _resident(session, resident_id)
    found = repository.consent(session, resident_id)
    if found is None:
        found = ReminderConsent(resident_id=resident_id, opted_in=opted_in, recorded_by=actor,
                                recorded_at=clock.now())
        session.add(found)
    else:
        found.opted_in, found.recorded_by, found.recorded_at = opted_in, actor, clock.now()
    session.flush()
    return found


def send_reminders(session: Session, *, today: date, actor: str) -> int:
    """Queue a reminder to every resident who opted in and whose next dose is due and not
    booked (once per resident and dose); returns how many were queued."""
    queued, after = 0, 0
    while True:
        page = repository.opted_in(session, after_id=after, limit=1_000)
        if not page:
            return queued
        after = page[-1]
        for resident_id in page:
            person = people.resident_by_id(session, resident_id)
            if person is None or person.merged_into_id is not None:
                continue
            due = open_dose(session, resident_id=resident_id, today=today)
            if due is None or due.earliest is None or due.earliest > today:
                continue
            if repository.booked_for(session, resident_id, due.number) is not None:
                continue
            with using(person.language):
                body = _("A vaccination dose is due for you. Book a time at /vaccination/book "
                         "or call the hotline. You asked for this reminder; reply STOP to end "
                         "them.")
            reference = f"dose:{resident_id}:{due.number}"
            if messages_repository.by_reference(session, REMINDER_TOPIC, reference) is None:
                messages.enqueue(session, topic=REMINDER_TOPIC, reference=reference, body=body,
                                 language=person.language, actor=actor,
                                 resident_id=resident_id)
                queued += 1


# ------------------------------------------------------------------ merges


def merge_person_rows(session: Session, merge: Merge) -> list[str]:
    """Two records of one person made one: appointments, holds and doses move to the
    survivor (the doses of both renumbered in the order they were given); the survivor's
    reminder choice stands, else the merged record's moves."""
    from epidesk.kit.merges import repoint

    notes: list[str] = []
    moved = repoint(session, Appointment, "resident_id", merge)
    moved_holds = repoint(session, Hold, "resident_id", merge)
    both = sorted([*repository.doses_of(session, merge.survivor_id),
                   *repository.doses_of(session, merge.merged_id)],
                  key=lambda d: (clock.aware(d.given_at), d.id))
    merged_doses = sum(1 for d in both if d.resident_id == merge.merged_id)
    for n, found in enumerate(both, 1):  # out of the way of the unique key first
        found.dose_number = -n
    session.flush()
    for n, found in enumerate(both, 1):
        found.resident_id, found.dose_number = merge.survivor_id, n
    session.flush()
    kept = repository.consent(session, merge.survivor_id)
    other = repository.consent(session, merge.merged_id)
    if other is not None:
        if kept is None:
            other.resident_id = merge.survivor_id
        else:
            session.delete(other)
        session.flush()
    if moved or moved_holds or merged_doses:
        notes.append(f"vaccination: {merged_doses} doses, {moved} appointments and "
                     f"{moved_holds} contraindications or deferrals moved; doses renumbered "
                     "in the order given")
    return notes
