"""API input of the supplies domain."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from epidesk.kit.inputs import DIGITS, Ge, Le, OptionalDay, RecordId, Text

Item = Literal["food_pack", "infant_formula", "nappies", "diet_pack", "medicine",
               "disinfectant", "masks", "gloves"]
Urgency = Literal["normal", "urgent", "medical"]
Quantity = Annotated[int, Ge(1), Le(10_000), DIGITS]
NeedKind = Literal["diet", "medication", "disability", "infant", "other"]


class RequestIn(BaseModel):
    """A request filed on a household's behalf (phone or community worker)."""

    household_id: RecordId = Field(description="The household, found by address, name or "
                                               "phone (GET /api/supplies/households)")
    channel: Literal["phone", "community"] = "phone"
    items: list[Item] = Field(min_length=1, max_length=8)
    urgency: Urgency = "normal"
    contact_name: Text = Field(min_length=1, max_length=64)
    contact_phone: Text = Field(min_length=5, max_length=20)
    note: Text = Field(default="", max_length=1000)


class NeedIn(BaseModel):
    """A need a community worker records for a household."""

    kind: NeedKind
    note: Text = Field(default="", max_length=500)


class DayIn(BaseModel):
    """A city day (default: today)."""

    day: OptionalDay = Field(default=None, description="The city day (YYYY-MM-DD)")


class FailIn(BaseModel):
    """Why a delivery failed (it is queued again)."""

    reason: Text = Field(min_length=1, max_length=500)


class DepotIn(BaseModel):
    """A new depot."""

    code: Text = Field(min_length=1, max_length=24)
    name: Text = Field(min_length=1, max_length=100)
    district_id: RecordId


class AdjustmentIn(BaseModel):
    """A counted correction of one lot, with its reason."""

    item: Item
    lot: Text = Field(min_length=1, max_length=40)
    direction: Literal["add", "remove"] = Field(description="Units found (add) or lost, "
                                                            "damaged or expired (remove)")
    quantity: Quantity
    reason: Text = Field(min_length=1, max_length=500)
    expires_on: OptionalDay = None


class TransferIn(BaseModel):
    """Stock sent to another depot (first expired, first out)."""

    to_depot_id: RecordId
    item: Item
    quantity: Quantity
    reason: Text = Field(default="", max_length=500)
