"""Pydantic shapes of the vaccination API: inputs (bounded, 422 naming the field) and
answers."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from epidesk.kit.inputs import DIGITS, AwareMoment, Day, Ge, Le, OptionalDay, RecordId, Text

Count = Annotated[int, Ge(0), Le(100_000), DIGITS]
Stations = Annotated[int, Ge(1), Le(500), DIGITS]
Rate = Annotated[int, Ge(1), Le(200), DIGITS]
Minute = Annotated[int, Ge(0), Le(1440), DIGITS]
DoseNumber = Annotated[int, Ge(1), Le(9), DIGITS]
Target = Annotated[int, Ge(1), Le(10_000_000), DIGITS]
Short = Annotated[Text, Field(min_length=1, max_length=64)]
Channel = Literal["hotline", "community", "staff"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class HoursIn(_In):
    weekday: Annotated[int, Ge(0), Le(6), DIGITS]
    opens: Minute
    closes: Minute


class SiteIn(_In):
    code: Annotated[Text, Field(min_length=1, max_length=32)]
    name: Annotated[Text, Field(min_length=1, max_length=100)]
    district_id: RecordId
    address: Annotated[Text, Field(max_length=200)] = ""
    stations: Stations
    doses_per_station_hour: Rate
    hours: list[HoursIn] = Field(default_factory=list, max_length=7)


class ShiftIn(_In):
    day: Day
    starts: Minute
    ends: Minute
    staff_name: Short


class StockIn(_In):
    kind: Literal["receipt", "adjustment", "transfer"]
    product: Short
    lot: Annotated[Text, Field(min_length=1, max_length=32)]
    doses: Annotated[int, Ge(1), Le(100_000), DIGITS]
    # An adjustment that takes doses away (a count, a broken vial, a cold-chain failure).
    decrease: bool = False
    expiry: OptionalDay = None
    reason: Annotated[Text, Field(max_length=200)] = ""
    to_site_id: RecordId | None = None


class SlotsIn(_In):
    day: Day
    dose_number: DoseNumber
    capacity: Count


class CampaignIn(_In):
    district_id: RecordId
    first_day: Day
    last_day: Day
    target_doses: Target
    dose_number: DoseNumber | None = None
    name: Annotated[Text, Field(max_length=100)] = ""


class BookingIn(_In):
    site_id: RecordId
    day: Day
    channel: Channel = "staff"


class DoseIn(_In):
    site_id: RecordId
    product: Short
    # None: the site's lot that expires first.
    lot: Annotated[Text, Field(min_length=1, max_length=32)] | None = None
    vaccinator: Short
    given_at: AwareMoment | None = None


class HoldIn(_In):
    kind: Short
    reason: Annotated[Text, Field(max_length=200)] = ""
    until: OptionalDay = None


class AdverseEventIn(_In):
    onset_at: AwareMoment
    severity: Literal["mild", "moderate", "severe", "serious"]
    description: Annotated[Text, Field(min_length=1, max_length=2000)]


class RemindersIn(_In):
    opted_in: bool


class SiteOut(BaseModel):
    id: int
    code: str
    name: str
    district_id: int
    address: str
    stations: int
    doses_per_station_hour: int
    hours: dict[str, str]


class LotOut(BaseModel):
    product: str
    lot: str
    expiry: date
    doses: int


class SiteDetail(SiteOut):
    # The supplies depot whose movement log holds the site's stock.
    depot_code: str
    stock: list[LotOut]


class ProductOut(BaseModel):
    key: str
    name: str
    name_local: str
    manufacturer: str
    platform: str
    doses: list[dict[str, Any]]


class Assessment(BaseModel):
    """A campaign's feasibility check (see the engine for each figure)."""

    district_id: int
    first_day: date
    last_day: date
    days: int
    target: int
    feasible: bool
    shortfall: int
    achievable: int
    capacity: int
    full_capacity: int
    stock: int
    eligible: int
    limits: list[str]
    sites: list[dict[str, Any]]
    suggestions: list[dict[str, Any]]


class CampaignOut(BaseModel):
    id: int
    name: str
    district_id: int
    first_day: date
    last_day: date
    target_doses: int
    dose_number: int | None
    created_by: str
    created_at: datetime


class PlaceOut(BaseModel):
    site_id: int
    day: date
    free: int


class OptionsOut(BaseModel):
    """What may be booked now for a person: the dose, from when, and free places; no
    other part of their record."""

    dose_number: int | None
    series: str | None
    from_day: date | None
    booked_day: date | None
    booked_site_id: int | None
    places: list[PlaceOut]


class AppointmentOut(BaseModel):
    id: int
    resident_id: int
    site_id: int
    day: date
    dose_number: int
    status: str
    channel: str


class DoseOut(BaseModel):
    id: int
    resident_id: int
    dose_number: int
    product: str
    lot: str
    site_id: int
    vaccinator: str
    given_at: datetime
    walk_in: bool


class DoseRecorded(BaseModel):
    dose: DoseOut
    next_appointment: AppointmentOut | None
    # The vaccination certificate issued for the dose (its printable page is
    # /certificates/{id}/print), or why none was issued.
    certificate_id: int | None
    certificate_problem: str | None


class HoldOut(BaseModel):
    id: int
    kind: str
    reason: str
    until: date | None


class AdverseEventOut(BaseModel):
    id: int
    dose_id: int
    onset_at: datetime
    severity: str
    description: str


class RecordOut(BaseModel):
    """A resident's vaccination record (vaccination.read inside the area)."""

    resident_id: int
    doses: list[DoseOut]
    adverse_events: list[AdverseEventOut]
    holds: list[HoldOut]
    appointments: list[AppointmentOut]
    next_dose_number: int | None
    next_dose_from: date | None
    reminders: bool


class CoverageRowOut(BaseModel):
    district_id: int
    district: str
    age_band: str
    residents: int
    dose_1: int
    dose_2: int
    booster_1: int
    booster_2: int


class CoverageOut(BaseModel):
    day: date
    rows: list[CoverageRowOut]


class SiteDayEntry(BaseModel):
    appointment_id: int
    resident_id: int
    name: str
    dose_number: int
    status: str


class SiteDayOut(BaseModel):
    site_id: int
    day: date
    pools: list[dict[str, int]]
    appointments: list[SiteDayEntry]


class RemindersRun(BaseModel):
    queued: int


class ImportOut(BaseModel):
    id: int
    status: str
    already_imported: bool
    rows: int
    created: int
    updated: int
    problem_count: int
    problems: list[dict[str, Any]]
