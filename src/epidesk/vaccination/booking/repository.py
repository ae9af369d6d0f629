"""Queries of slot pools, appointments, doses, adverse events, holds and consent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from epidesk.people.models import Resident
from epidesk.vaccination.models import (
    AdverseEvent,
    Appointment,
    Dose,
    Hold,
    ReminderConsent,
    SlotPool,
)


def pool(session: Session, site_id: int, day: date, dose_number: int) -> SlotPool | None:
    """A site's pool of one day and dose number."""
    return session.scalar(select(SlotPool).where(
        SlotPool.site_id == site_id, SlotPool.day == day, SlotPool.dose_number == dose_number))


def pools_of_day(session: Session, site_id: int, day: date) -> Sequence[SlotPool]:
    """Every pool of a site on a day."""
    return session.scalars(select(SlotPool).where(SlotPool.site_id == site_id,
                                                  SlotPool.day == day)
                           .order_by(SlotPool.dose_number)).all()


def free_pools(session: Session, *, dose_number: int, first: date, last: date,
               site_ids: Sequence[int] | None = None, limit: int = 200) -> Sequence[SlotPool]:
    """Pools of a dose number with free places between two days, earliest first."""
    query = (select(SlotPool).where(SlotPool.dose_number == dose_number, SlotPool.day >= first,
                                    SlotPool.day <= last, SlotPool.booked < SlotPool.capacity)
             .order_by(SlotPool.day, SlotPool.site_id).limit(limit))
    if site_ids is not None:
        query = query.where(SlotPool.site_id.in_(site_ids))
    return session.scalars(query).all()


def take_place(session: Session, pool_id: int) -> bool:
    """Take one place of a pool if one is free (atomic: two bookings never share it)."""
    result = session.execute(update(SlotPool).where(SlotPool.id == pool_id,
                                                    SlotPool.booked < SlotPool.capacity)
                             .values(booked=SlotPool.booked + 1)
                             .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def give_back_place(session: Session, site_id: int, day: date, dose_number: int) -> None:
    """Return one place to a pool (a cancelled appointment)."""
    session.execute(update(SlotPool).where(
        SlotPool.site_id == site_id, SlotPool.day == day, SlotPool.dose_number == dose_number,
        SlotPool.booked > 0).values(booked=SlotPool.booked - 1)
        .execution_options(synchronize_session=False))


def appointment(session: Session, appointment_id: int) -> Appointment | None:
    """An appointment by id."""
    return session.get(Appointment, appointment_id)


def appointments_of(session: Session, resident_id: int) -> Sequence[Appointment]:
    """A resident's appointments, latest first."""
    return session.scalars(select(Appointment).where(Appointment.resident_id == resident_id)
                           .order_by(Appointment.day.desc(), Appointment.id.desc())).all()


def booked_for(session: Session, resident_id: int, dose_number: int) -> Appointment | None:
    """A resident's booked (not yet given) appointment for a dose number."""
    return session.scalar(select(Appointment).where(
        Appointment.resident_id == resident_id, Appointment.dose_number == dose_number,
        Appointment.status == "booked"))


def site_day(session: Session, site_id: int, day: date) -> Sequence[Appointment]:
    """A site's appointments on a day, by dose number."""
    return session.scalars(select(Appointment).where(Appointment.site_id == site_id,
                                                     Appointment.day == day)
                           .order_by(Appointment.dose_number, Appointment.id)).all()


def doses_of(session: Session, resident_id: int) -> Sequence[Dose]:
    """A resident's doses, first first."""
    return session.scalars(select(Dose).where(Dose.resident_id == resident_id)
                           .order_by(Dose.dose_number)).all()


def dose(session: Session, dose_id: int) -> Dose | None:
    """A dose by id."""
    return session.get(Dose, dose_id)


def adverse_events_of(session: Session, dose_ids: Sequence[int]) -> Sequence[AdverseEvent]:
    """The adverse events after these doses."""
    if not dose_ids:
        return []
    return session.scalars(select(AdverseEvent).where(AdverseEvent.dose_id.in_(dose_ids))
                           .order_by(AdverseEvent.onset_at)).all()


def holds_of(session: Session, resident_id: int) -> Sequence[Hold]:
    """A resident's contraindications and deferrals."""
    return session.scalars(select(Hold).where(Hold.resident_id == resident_id)
                           .order_by(Hold.recorded_at)).all()


def hold(session: Session, hold_id: int) -> Hold | None:
    """A hold by id."""
    return session.get(Hold, hold_id)


def consent(session: Session, resident_id: int) -> ReminderConsent | None:
    """A resident's reminder choice."""
    return session.scalar(select(ReminderConsent).where(
        ReminderConsent.resident_id == resident_id))


def opted_in(session: Session, *, after_id: int, limit: int) -> Sequence[int]:
    """Residents who opted in to reminders, by id, in pages."""
    return session.scalars(select(ReminderConsent.resident_id).where(
        ReminderConsent.opted_in.is_(True), ReminderConsent.resident_id > after_id)
        .order_by(ReminderConsent.resident_id).limit(limit)).all()


def residents_by_identity(session: Session, id_number: str, birth: date) -> Sequence[Resident]:
    """Live records holding both this identity number and this birth date."""
    return session.scalars(select(Resident).where(
        Resident.id_number == id_number, Resident.birth_date == birth,
        Resident.merged_into_id.is_(None))).all()


def appointments_on(session: Session, day: date, site_ids: Sequence[int] | None
                    ) -> tuple[int, int]:
    """(appointments booked or done, places offered) on a day at these sites."""
    booked = select(func.count()).select_from(Appointment).where(
        Appointment.day == day, Appointment.status != "cancelled")
    offered = select(func.coalesce(func.sum(SlotPool.capacity), 0)).where(SlotPool.day == day)
    if site_ids is not None:
        booked = booked.where(Appointment.site_id.in_(site_ids))
        offered = offered.where(SlotPool.site_id.in_(site_ids))
    return int(session.scalar(booked) or 0), int(session.scalar(offered) or 0)
