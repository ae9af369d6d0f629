"""Pydantic models of the transparency API."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from epidesk.kit.inputs import OptionalDay


class PublishIn(BaseModel):
    """A request to publish: the city day (default: today)."""

    model_config = ConfigDict(extra="forbid")

    day: OptionalDay = None
