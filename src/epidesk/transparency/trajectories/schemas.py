"""The public trajectories' JSON shapes: a place and a window, never a case."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class TrajectoryOut(BaseModel):
    """A place and a time window where a case was while infectious."""

    place_kind: str = Field(description="venue, building or compound")
    place_id: int
    district_id: int
    name: str
    name_local: str
    lat: float
    lon: float
    starts_at: datetime
    ends_at: datetime
    last_day: date = Field(description="City day of the last exposure")
    expires_on: date = Field(description="First day the entry is no longer published")


class TrajectoriesOut(BaseModel):
    """The latest publication's entries still shown today."""

    published_on: date | None
    days_kept: int
    entries: list[TrajectoryOut]
