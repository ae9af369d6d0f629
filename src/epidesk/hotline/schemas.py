"""Pydantic models of the hotline's API."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from epidesk.kit.inputs import DIGITS, Ge, Le, OptionalDay, OptionalId, Text

Category = Literal["medical_emergency", "supplies", "quarantine_conditions",
                   "classification_appeal", "zone_question", "information", "other"]
StaffChannel = Literal["phone", "web", "sms", "community_worker"]
Language = Literal["zh", "en"]
Outcome = Literal["confirmed", "changed", "withdrawn"]
Minutes = Annotated[int, Ge(1), Le(43_200), DIGITS]


class PublicTicketIn(BaseModel):
    """A ticket filed by a resident (no account needed)."""

    category: Category
    description: Text = Field(min_length=1, max_length=4000, description="What it is about")
    contact_name: Text = Field(default="", max_length=64)
    contact_phone: str = Field(default="", max_length=32, pattern=r"^[0-9+ ()-]*$",
                               description="A phone number to call back on (digits)")
    address_text: Text = Field(default="", max_length=200, description="Where, in words")
    language: Language = "zh"
    facility_id: OptionalId = Field(default=None, description="A quarantine facility the "
                                                              "complaint is about")


class TicketIn(PublicTicketIn):
    """A ticket entered by an operator or a community worker for a resident."""

    channel: StaffChannel = "phone"
    resident_id: OptionalId = Field(default=None, description="The resident, when known")
    community_id: OptionalId = Field(default=None, description="The community, when no "
                                                               "resident is named")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class ResponseIn(BaseModel):
    """An answer to the resident (public) or a note for staff."""

    note: Text = Field(min_length=1, max_length=4000)
    public: bool = True


class ResolveIn(BaseModel):
    """How the ticket was resolved; an appeal's outcome."""

    note: Text = Field(min_length=1, max_length=4000)
    outcome: Outcome | None = None


class AppealIn(BaseModel):
    """How an appeal ends: the decision confirmed, changed, or the appeal withdrawn, with
    the reason (shown to whoever follows the ticket)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome
    reason: Text = Field(min_length=1, max_length=2000)
    tier: Literal["close", "sub_close", "none"] | None = Field(
        default=None, description="A changed classification: the new tier, or none (the "
                                  "classification withdrawn)")
    end_on: OptionalDay = Field(default=None, description="A changed classification: the new "
                                                          "end of quarantine")
    zone_id: OptionalId = Field(default=None, description="A changed zone: the zone")
    to_key: str | None = Field(default=None, min_length=3, max_length=40,
                               pattern=r"^[a-z]+:[0-9]+$",
                               description="A changed zone: its new area, e.g. building:12")


class EscalateIn(BaseModel):
    """Why the ticket is passed up."""

    note: Text = Field(min_length=1, max_length=2000)


class TargetsIn(BaseModel):
    """A category's targets for tickets received from now on, in minutes."""

    first_response_minutes: Minutes
    resolution_minutes: Minutes
