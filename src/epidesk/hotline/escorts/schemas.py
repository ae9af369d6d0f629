"""Pydantic models of the escorted trips' API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from epidesk.kit.inputs import DIGITS, Day, Ge, Le, Moment, OptionalId, OptionalMoment, Text

Treatment = Literal["dialysis", "chemotherapy", "antenatal_care", "childbirth"]
Phone = Annotated[str, Field(max_length=32, pattern=r"^[0-9+ ()-]*$")]
Days = Annotated[int, Ge(1), Le(60), DIGITS]


class CrewIn(BaseModel):
    """The vehicle, its driver and the escort."""

    model_config = ConfigDict(extra="forbid")

    vehicle: Text = Field(min_length=1, max_length=32)
    driver_name: Text = Field(min_length=1, max_length=64)
    driver_phone: Phone = Field(min_length=1)
    escort_name: Text = Field(default="", max_length=64)
    escort_phone: Phone = ""


class EmergencyTripIn(CrewIn):
    """An escorted trip for a medical-emergency ticket."""

    destination: Text = Field(min_length=1, max_length=200,
                              description="The hospital the patient is taken to")
    arrives_at: Moment = Field(description="Expected arrival at the hospital")
    departs_at: OptionalMoment = Field(default=None, description="Pickup (default: now)")
    back_at: OptionalMoment = Field(
        default=None, description="Expected back home (default: six hours after arrival); "
                                  "not closed by then, the trip raises the missing alert")
    resident_id: OptionalId = Field(default=None,
                                    description="The patient, when not the ticket's resident")


class HandOffIn(BaseModel):
    """Who received the patient at the hospital."""

    model_config = ConfigDict(extra="forbid")

    received_by: Text = Field(min_length=1, max_length=120,
                              description="Name and service, e.g. Dr Wang, emergency dept.")


class ExpectBackIn(BaseModel):
    """When the patient is now expected back home."""

    model_config = ConfigDict(extra="forbid")

    back_at: Moment


class ReasonIn(BaseModel):
    """Why (an admission, a cancellation, a plan's end)."""

    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=1, max_length=2000)


class PlanIn(BaseModel):
    """A resident's recurring treatment while under restriction."""

    model_config = ConfigDict(extra="forbid")

    resident_id: Annotated[int, Ge(1), Le(2**31 - 1), DIGITS]
    kind: Treatment
    facility: Text = Field(min_length=1, max_length=200)
    starts_on: Day
    ends_on: Day
    departs: str = Field(pattern=r"^\d\d:\d\d$", description="Pickup at home, local HH:MM")
    arrives: str = Field(pattern=r"^\d\d:\d\d$", description="At the facility, local HH:MM")
    back: str = Field(pattern=r"^\d\d:\d\d$", description="Back home, local HH:MM")
    weekdays: str = Field(default="", max_length=16, pattern=r"^[1-7, ]*$",
                          description="ISO weekdays, e.g. 1,3,5 (Monday is 1)")
    dates: str = Field(default="", max_length=2000, pattern=r"^[0-9, -]*$",
                       description="Single days, e.g. 2026-12-08,2026-12-15")
    contact_phone: Phone = ""
    note: Text = Field(default="", max_length=2000)


class ScheduleIn(BaseModel):
    """How many days ahead the plans' sessions are turned into trips."""

    model_config = ConfigDict(extra="forbid")

    days: Days = 7


class TripOut(BaseModel):
    """An escorted trip as staff see it."""

    id: int
    kind: str
    status: str
    missed: str | None
    resident_id: int
    name: str
    restriction: str
    destination: str
    ticket_id: int | None
    plan_id: int | None
    session_on: date | None
    departs_at: datetime
    arrives_at: datetime
    back_at: datetime
    vehicle: str | None
    driver_name: str | None
    driver_phone: str | None
    escort_name: str
    escort_phone: str
    picked_up_at: datetime | None
    handed_off_at: datetime | None
    handed_off_to: str
    closed_at: datetime | None
    outcome_note: str
    out_manifest_id: int | None
    back_manifest_id: int | None


class StepOut(BaseModel):
    """A step of a trip, and whether this request changed anything (a repeat does not)."""

    trip: TripOut
    changed: bool


class PlanOut(BaseModel):
    """A treatment plan, and what scheduling it made."""

    id: int
    resident_id: int
    kind: str
    facility: str
    weekdays: str
    dates: str
    starts_on: date
    ends_on: date
    departs: str
    arrives: str
    back: str
    ended_at: datetime | None
    counts: dict[str, int] = Field(default_factory=dict)
