"""Vaccination sites (their stock is their depot's, in the supplies movement log), their
hours and shifts; campaigns; appointments, doses, adverse events, contraindications and
deferrals, and reminder consent."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epidesk.db import Base, UtcDateTime
from epidesk.kit.imports import ImportedFile


class SiteList(ImportedFile, Base):
    """An imported list of vaccination sites (the kit's imported-file record)."""

    __tablename__ = "vaccination_site_list"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rows: Mapped[int] = mapped_column(Integer, server_default="0")
    created: Mapped[int] = mapped_column(Integer, server_default="0")
    updated: Mapped[int] = mapped_column(Integer, server_default="0")


class Site(Base):
    """A place where doses are given: stations, the rate of one station, its district."""

    __tablename__ = "vaccination_site"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    address: Mapped[str] = mapped_column(String(200))
    # Vaccination stations (a table, a vaccinator, an observation place each).
    stations: Mapped[int] = mapped_column(Integer)
    # Doses one staffed station gives in an hour.
    doses_per_station_hour: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    list_id: Mapped[int | None] = mapped_column(ForeignKey("vaccination_site_list.id"))
    # The depot holding the site's vaccine lots (the depot with the site's code).
    depot_id: Mapped[int] = mapped_column(ForeignKey("supply_depot.id"), unique=True)

    hours: Mapped[list[SiteHours]] = relationship(order_by="SiteHours.weekday",
                                                  cascade="all, delete-orphan")


class SiteHours(Base):
    """A site's opening hours on one weekday (0 Monday ... 6 Sunday), in minutes of the
    city's local day; a weekday without a row is closed."""

    __tablename__ = "vaccination_site_hours"
    __table_args__ = (UniqueConstraint("site_id", "weekday"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("vaccination_site.id"))
    weekday: Mapped[int] = mapped_column(SmallInteger)
    opens: Mapped[int] = mapped_column(SmallInteger)
    closes: Mapped[int] = mapped_column(SmallInteger)


class Shift(Base):
    """A vaccinator on shift at a site on one day (minutes of the local day)."""

    __tablename__ = "vaccination_shift"
    __table_args__ = (Index("ix_vaccination_shift_site_day", "site_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("vaccination_site.id"))
    day: Mapped[date] = mapped_column(Date)
    starts: Mapped[int] = mapped_column(SmallInteger)
    ends: Mapped[int] = mapped_column(SmallInteger)
    staff_name: Mapped[str] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(String(64))


class Campaign(Base):
    """A target accepted after its feasibility check: doses in a district in a window."""

    __tablename__ = "vaccination_campaign"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    first_day: Mapped[date] = mapped_column(Date)
    last_day: Mapped[date] = mapped_column(Date)
    target_doses: Mapped[int] = mapped_column(Integer)
    # The dose number it is for (1 first doses, 3 first boosters ...), or None: any.
    dose_number: Mapped[int | None] = mapped_column(SmallInteger)
    # The check it passed, as JSON (capacity, stock, eligible people, by site).
    assessment: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class SlotPool(Base):
    """The appointments a site offers on a day for one dose number: a first-dose booking
    never takes the capacity kept for second doses."""

    __tablename__ = "vaccination_slot_pool"
    __table_args__ = (UniqueConstraint("site_id", "day", "dose_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("vaccination_site.id"))
    day: Mapped[date] = mapped_column(Date)
    dose_number: Mapped[int] = mapped_column(SmallInteger)
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, server_default="0")


class Appointment(Base):
    """A booked dose: who, where, which day, which dose, and who booked it how."""

    __tablename__ = "vaccination_appointment"
    __table_args__ = (Index("ix_vaccination_appointment_site_day", "site_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("vaccination_site.id"))
    day: Mapped[date] = mapped_column(Date)
    dose_number: Mapped[int] = mapped_column(SmallInteger)
    # "booked", "done", "cancelled".
    status: Mapped[str] = mapped_column(String(12), server_default="booked")
    # "public" (the resident), "hotline", "community", "site" (at the dose), "staff".
    channel: Mapped[str] = mapped_column(String(12))
    booked_by: Mapped[str] = mapped_column(String(64))
    booked_at: Mapped[datetime] = mapped_column(UtcDateTime())

    site: Mapped[Site] = relationship()


class Dose(Base):
    """A dose given: product, lot, site, vaccinator and time."""

    __tablename__ = "vaccination_dose"
    __table_args__ = (UniqueConstraint("resident_id", "dose_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    dose_number: Mapped[int] = mapped_column(SmallInteger)
    product: Mapped[str] = mapped_column(String(32))
    lot: Mapped[str] = mapped_column(String(32))
    site_id: Mapped[int] = mapped_column(ForeignKey("vaccination_site.id"), index=True)
    vaccinator: Mapped[str] = mapped_column(String(64))
    given_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The local day of given_at (coverage and the schedule count in days).
    day: Mapped[date] = mapped_column(Date, index=True)
    appointment_id: Mapped[int | None] = mapped_column(ForeignKey("vaccination_appointment.id"))
    walk_in: Mapped[bool] = mapped_column(Boolean)
    recorded_by: Mapped[str] = mapped_column(String(64))

    site: Mapped[Site] = relationship()


class AdverseEvent(Base):
    """An adverse event after a dose, as reported."""

    __tablename__ = "vaccination_adverse_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dose_id: Mapped[int] = mapped_column(ForeignKey("vaccination_dose.id"), index=True)
    onset_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # "mild", "moderate", "severe", "serious".
    severity: Mapped[str] = mapped_column(String(12))
    description: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class Hold(Base):
    """A contraindication or deferral: no dose until its end date (None: none known
    yet). It carries no consequence beyond that."""

    __tablename__ = "vaccination_hold"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(200))
    until: Mapped[date | None] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ReminderConsent(Base):
    """A resident's choice to be reminded of a due dose (only those who opted in are)."""

    __tablename__ = "vaccination_reminder_consent"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), unique=True)
    opted_in: Mapped[bool] = mapped_column(Boolean)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
