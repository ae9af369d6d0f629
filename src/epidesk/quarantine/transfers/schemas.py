"""Pydantic models of the transfers API: manifests, lines, check-out, check-in, alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from epidesk.kit.inputs import DIGITS, Ge, Le, Moment, OptionalMoment, RecordId, Text

Seats = Annotated[int, Ge(1), Le(100), DIGITS]


class ManifestIn(BaseModel):
    """A vehicle's manifest: who travels (their orders, in seat order) to which facility."""

    model_config = ConfigDict(extra="forbid")

    vehicle: Text = Field(max_length=32)
    seats: Seats
    route: Text = Field(max_length=500)
    facility_id: RecordId
    departs_at: Moment
    expected_at: Moment
    driver_name: Text = Field(max_length=64)
    driver_phone: Text = Field(max_length=20)
    order_ids: list[RecordId] = Field(min_length=1, max_length=100)


class DispatchIn(BaseModel):
    """Dispatch details to change; a field left out stays as it is. Before departure any
    may change; after it only the driver's phone and the note."""

    model_config = ConfigDict(extra="forbid")

    vehicle: Text | None = Field(None, max_length=32, description="Plate or name")
    seats: Seats | None = Field(None, description="Never below the people on board")
    driver_name: Text | None = Field(None, max_length=64)
    driver_phone: Text | None = Field(None, max_length=20,
                                     description="5 to 15 digits; spaces, dashes, a leading +")
    route: Text | None = Field(None, max_length=500)
    departs_at: OptionalMoment = None
    expected_at: OptionalMoment = Field(None, description="After the departure")
    note: Text | None = Field(None, max_length=1000)


class PeopleIn(BaseModel):
    """People to add to a manifest that has not left: their centralized orders in force."""

    model_config = ConfigDict(extra="forbid")

    order_ids: list[RecordId] = Field(min_length=1, max_length=100)


class CheckOutIn(BaseModel):
    """A manifest line boarding at pickup."""

    model_config = ConfigDict(extra="forbid")

    line_no: Seats


class CheckInIn(BaseModel):
    """A person arriving at the facility."""

    model_config = ConfigDict(extra="forbid")

    resident_id: RecordId


class ResolveIn(BaseModel):
    """What happened to a person who did not arrive."""

    model_config = ConfigDict(extra="forbid")

    resolution: str = Field(max_length=24, description="arrived_late, hospital, "
                            "other_facility, home_order or not_travelling")
    note: Text = Field(max_length=1000)


class ManifestOut(BaseModel):
    """A manifest's vehicle, times and counts."""

    id: int
    purpose: str = Field(description="to_facility, return_home (from the facility to "
                         "the home building, at release) or medical_escort (a resident "
                         "under restriction to or from hospital)")
    vehicle: str
    seats: int
    route: str
    facility: str
    departs_at: datetime
    expected_at: datetime
    driver_name: str
    driver_phone: str
    departed_at: datetime | None
    note: str
    needs_driver: bool = Field(description="Not yet left without a driver's name or phone, "
                               "and a return home or departing within the set hours")
    people: int
    checked_out: int
    checked_in: int
    missing: int


class LineOut(BaseModel):
    """A person on a manifest (unnamed outside your area)."""

    id: int
    line_no: int
    resident_id: int | None
    name: str
    state: str
    room: str | None
    checked_out_at: datetime | None
    checked_in_at: datetime | None
    resolution: str | None


class ChangeOut(BaseModel):
    """One change of a manifest's dispatch details."""

    field: str
    old_value: str
    new_value: str
    at: datetime
    actor: str


class ManifestDetail(ManifestOut):
    """A manifest with its lines and the changes of its dispatch details."""

    lines: list[LineOut]
    changes: list[ChangeOut]


class LineChange(BaseModel):
    """A line after a check-out, a check-in or a resolution; `changed` is false when the
    request repeated one already recorded."""

    manifest_id: int
    line_no: int
    state: str
    changed: bool


class AlertOut(BaseModel):
    """Someone not checked in by the expected arrival plus the grace period."""

    line_id: int
    manifest_id: int
    line_no: int
    vehicle: str
    expected_at: datetime
    resident_id: int | None
    name: str


class CountsOut(BaseModel):
    """People dispatched, arrived and missing now."""

    dispatched: int
    arrived: int
    missing: int
