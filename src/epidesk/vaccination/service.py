"""Use cases that read across the vaccination domain: a person's vaccination record,
coverage by district and age band, and the figures of the command centre."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from epidesk.vaccination import repository
from epidesk.vaccination.booking import repository as booking_repository
from epidesk.vaccination.booking import service as booking
from epidesk.vaccination.models import AdverseEvent, Appointment, Dose, Hold
from epidesk.vaccination.rules import AGE_BANDS, OpenDose
from epidesk.vaccination.sites import repository as sites_repository

DOSE_NAMES = ("dose_1", "dose_2", "booster_1", "booster_2")


@dataclass(frozen=True)
class Record:
    """A person's vaccination record (for readers holding vaccination.read)."""

    doses: Sequence[Dose]
    adverse_events: Sequence[AdverseEvent]
    holds: Sequence[Hold]
    appointments: Sequence[Appointment]
    next_dose: OpenDose | None
    reminders: bool


def record(session: Session, *, resident_id: int, today: date) -> Record:
    """Doses, adverse events, contraindications and deferrals, appointments, the next
    dose and the reminder choice of one resident."""
    doses = booking_repository.doses_of(session, resident_id)
    consent = booking_repository.consent(session, resident_id)
    return Record(doses=doses,
                  adverse_events=booking_repository.adverse_events_of(
                      session, [d.id for d in doses]),
                  holds=booking_repository.holds_of(session, resident_id),
                  appointments=booking_repository.appointments_of(session, resident_id),
                  next_dose=booking.open_dose(session, resident_id=resident_id, today=today),
                  reminders=bool(consent and consent.opted_in))


@dataclass(frozen=True)
class CoverageRow:
    """Residents of one district and age band, and how many had each dose."""

    district_id: int
    district: str
    band: str
    residents: int
    doses: tuple[int, ...]

    @property
    def shares(self) -> tuple[float, ...]:
        """The share of the residents with each dose."""
        return tuple(n / self.residents if self.residents else 0.0 for n in self.doses)


def coverage(session: Session, *, day: date, district_ids: Sequence[int] | None = None
             ) -> list[CoverageRow]:
    """Coverage by district and age band (bands in age order) as of `day`."""
    order = {name: i for i, (name, _, _) in enumerate(AGE_BANDS)}
    rows = [CoverageRow(*row) for row in repository.coverage(session, day=day,
                                                             district_ids=district_ids)]
    return sorted(rows, key=lambda r: (r.district_id, order[r.band]))


def city_coverage(rows: Sequence[CoverageRow]) -> tuple[int, tuple[int, ...]]:
    """The residents and the doses of every row together."""
    residents = sum(r.residents for r in rows)
    return residents, tuple(sum(r.doses[k] for r in rows) for k in range(len(DOSE_NAMES)))


@dataclass(frozen=True)
class Today:
    """Appointments and capacity of a day at the sites of some districts."""

    appointments: int
    places: int
    doses_given: int


def today_at_sites(session: Session, *, day: date, district_ids: Sequence[int] | None
                   ) -> Today:
    """Appointments booked for a day against the places offered, and the doses given."""
    site_ids = None if district_ids is None else [
        s.id for s in sites_repository.sites(session, district_ids=district_ids, limit=10_000)]
    booked, places = booking_repository.appointments_on(session, day, site_ids)
    return Today(appointments=booked, places=places,
                 doses_given=repository.doses_on(session, day, district_ids))
