"""Pydantic models of the placement API: runs, their lines, the shortfall forecast."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from epidesk.kit.inputs import OptionalDay


class RunIn(BaseModel):
    """A placement run for a day (default today: the facilities eligible that day)."""

    model_config = ConfigDict(extra="forbid")

    day: OptionalDay = None


class RunOut(BaseModel):
    """A placement run's figures."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    day: date
    state: str
    people: int
    households: int
    placed_people: int
    unplaced_people: int
    carers: int
    rooms_free: int
    cost: float
    lower_bound: float
    gap: float = Field(description="cost / lower_bound - 1")
    greedy_cost: float = Field(description="the greedy nearest-room baseline's cost")
    seconds: float
    check: dict[str, int] = Field(description="the independent checker's findings (all 0)")
    created_at: datetime
    created_by: str
    decided_at: datetime | None
    decided_by: str | None


class LineOut(BaseModel):
    """One person of a run: the room proposed, or why there is none."""

    resident_id: int | None = Field(description="None for a person outside your area")
    name: str
    household_id: int | None
    order_id: int | None
    role: str
    facility: str | None
    room: str | None
    travel_minutes: float | None
    reason: str | None


class RunDetail(RunOut):
    """A run with its lines."""

    lines: list[LineOut]


class ForecastOut(BaseModel):
    """Beds needed against beds available in one city on one day."""

    city_id: int
    city: str
    day: date
    needed: int
    available: int
    shortfall: int
