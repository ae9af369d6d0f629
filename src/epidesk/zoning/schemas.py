"""Pydantic models of zoning's API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from epidesk.kit.inputs import OptionalDay, Text

# The categories of zoning.rules.OVERRIDE_CATEGORIES.
Category = Literal["unlinked_cases", "shared_facilities", "data_correction", "other"]


class AreaChangeIn(BaseModel):
    """Widen or narrow a zone to another area, with a written reason."""

    to: str = Field(min_length=3, max_length=40, pattern=r"^[a-z]+:[0-9]+$",
                    description="The new area, e.g. building:12 or unit:40")
    reason: Text = Field(min_length=1, max_length=2000, description="Why (kept in the history)")
    override_reason: Text = Field(default="", max_length=2000,
                                 description="An administrator's reason to go beyond the "
                                             "preset's units")
    category: Category | None = Field(default=None,
                                      description="The override's public category of reason")


class StepDownIn(BaseModel):
    """The daily job for a city day (default: today)."""

    day: OptionalDay = Field(default=None, description="The city day (YYYY-MM-DD)")
