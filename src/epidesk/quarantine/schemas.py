"""Pydantic models of the quarantine API: facilities, rooms, inspections, complaints,
capacity and the room reserve, orders and releases."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from epidesk.kit.inputs import Day, OptionalDay, Text

ChecklistItem = Literal["doors_windows", "bedding", "mould", "heating_cooling", "hot_water",
                        "meals", "medical_access", "phone_signal", "separate_areas",
                        "staff_hygiene_transit"]


class RoomOut(BaseModel):
    """A room of a facility."""

    id: int
    number: str
    room_type: str
    beds: int
    own_bathroom: bool
    accessible: bool
    infant_suitable: bool
    carer_suitable: bool
    in_service: bool


class EligibilityOut(BaseModel):
    """Whether a facility takes new placements on a day, and why not."""

    eligible: bool
    reason: str
    failed_items: list[str] = []
    inspection_expires_on: date | None = None


class FacilitySummary(BaseModel):
    """A facility as listed: where, what, how many rooms and beds, who is there."""

    id: int
    code: str
    name: str
    city: str
    district: str | None
    kind: str
    use: str
    status: str
    medical_staff: int
    rooms: int
    beds: int
    occupied_beds: int
    free_beds: int
    complaints: int
    eligibility: EligibilityOut


class InspectionItemOut(BaseModel):
    """One checklist item of an inspection."""

    item: str
    passed: bool
    note: str


class InspectionOut(BaseModel):
    """An inspection of a facility."""

    id: int
    facility_id: int
    inspected_on: date
    inspector: str
    passed: bool
    note: str
    items: list[InspectionItemOut]
    recorded_by: str


class ComplaintOut(BaseModel):
    """A complaint about a facility's conditions."""

    id: int
    source: str
    reference: str
    topic: str | None
    summary: str
    received_at: datetime
    resolved_at: datetime | None


class FacilityDetail(FacilitySummary):
    """A facility with its rooms, inspections and complaints."""

    address: str
    lat: float
    lon: float
    separate_areas: bool
    manager_name: str
    manager_phone: str
    opened_on: date
    closed_on: date | None
    room_list: list[RoomOut]
    inspections: list[InspectionOut]
    complaint_list: list[ComplaintOut]


class CapacityDay(BaseModel):
    """One facility's capacity on one day."""

    facility_id: int
    code: str
    day: date
    open: bool
    rooms: int
    beds: int
    occupied_beds: int
    free_beds: int


class ReserveRow(BaseModel):
    """A district's quarantine rooms against the national reserve target."""

    district_id: int | None
    district: str
    residents: int
    target_rooms: int
    rooms: int
    shortfall: int


class Reserve(BaseModel):
    """The room reserve per district, under the preset's rule."""

    rooms_per_10k_residents: int
    rule: str
    rows: list[ReserveRow]


class ItemIn(BaseModel):
    """One checklist item as found."""

    item: ChecklistItem
    passed: bool
    note: Text = Field(default="", max_length=2000)


class InspectionIn(BaseModel):
    """An inspection against the whole checklist."""

    inspected_on: Day = Field(description="The day of the inspection (YYYY-MM-DD)")
    inspector: Text = Field(min_length=1, max_length=64)
    note: Text = Field(default="", max_length=4000)
    items: list[ItemIn] = Field(min_length=1, max_length=20)


class ComplaintIn(BaseModel):
    """Link a complaint (a hotline ticket, a staff report) to a facility."""

    source: Literal["hotline", "inspection", "staff"]
    reference: Text = Field(min_length=1, max_length=64)
    topic: ChecklistItem | None = None
    summary: Text = Field(min_length=1, max_length=4000)


class CapacityQuery(BaseModel):
    """A day to count capacity on."""

    day: OptionalDay = None


class EndChangeIn(BaseModel):
    """Extend or shorten an order: the new last day and why."""

    end_on: Day = Field(description="The order's new last day (YYYY-MM-DD)")
    reason: Text = Field(min_length=1, max_length=2000, description="Why (kept in the history)")


class DeliveryIn(BaseModel):
    """How the order reached the resident."""

    method: Literal["in_person", "phone", "letter", "on_behalf"]
    received_by: Text | None = Field(default=None, max_length=64,
                                     description="For on_behalf: who received it")
    relation: Text | None = Field(default=None, max_length=32,
                                  description="For on_behalf: how they relate (parent, carer)")
