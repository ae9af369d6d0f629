"""Pydantic models of the home monitoring API: a check, a person under monitoring."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

from epidesk.kit.inputs import OptionalDay, Text


class CheckIn(BaseModel):
    """One check of a person home under monitoring: reached (temperature and symptoms)
    or not (with the reason)."""

    model_config = ConfigDict(extra="forbid")

    method: str = Field(max_length=16, description="visit, phone or self_report (reported "
                        "by the resident through a worker)")
    reached: bool = True
    temperature: float | None = Field(None, description="Degrees Celsius (34-43); 37.3 or "
                                      "more is a fever and flags a test")
    symptoms: list[str] = Field(default_factory=list, max_length=6, description="fever, "
                                "cough, sore_throat, taste_smell, breath, other; any flags "
                                "a test")
    other_symptom: Text = Field("", max_length=200, description="What the other symptom is")
    reason: Text = Field("", max_length=500, description="Why they were not reached")
    checked_on: OptionalDay = Field(None, description="The day checked (default today)")


class CheckOut(BaseModel):
    """A recorded check."""

    id: int
    order_id: int
    resident_id: int
    checked_on: dt.date
    at: dt.datetime
    by: str
    method: str
    reached: bool
    reason: str
    temperature: float | None
    symptoms: list[str]
    other_symptom: str
    flagged: bool
    cleared_at: dt.datetime | None
    cleared_by: str | None
    cleared_reason: str | None


class MonitoredOut(BaseModel):
    """A person home under monitoring today."""

    resident_id: int
    name: str
    order_id: int
    home_on: dt.date
    until: dt.date
    state: str = Field(description="done (reached today), due, or missed (nobody reached "
                       "them yesterday)")
    needs_test: bool
    flagged_at: dt.datetime | None
    last_check_at: dt.datetime | None
    last_temperature: float | None
    not_reached_today: int


class ClearIn(BaseModel):
    """Why the person needs no test after all."""

    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(max_length=500)


class ClearOut(BaseModel):
    """The flags lifted (0 when none was open: a repeat changes nothing)."""

    resident_id: int
    cleared: int
