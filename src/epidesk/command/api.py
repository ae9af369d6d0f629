"""JSON route of the command centre: every domain's tiles for the caller's area."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from epidesk.command.deps import Day, Staff
from epidesk.kit.tiles import overview_tiles
from epidesk.kit.web import PROBLEM_RESPONSES, DbSession

router = APIRouter(responses=PROBLEM_RESPONSES, tags=["overview"])


class TileOut(BaseModel):
    """One figure of the overview, with the link to the work behind it."""

    key: str
    title: str
    link: str
    data: dict[str, Any]


class OverviewOut(BaseModel):
    """The state of the response in the caller's area on a day."""

    day: str = Field(description="The city's day shown (YYYY-MM-DD)")
    today: str = Field(description="The city's today (YYYY-MM-DD)")
    shown: str = Field(description=(
        "Why this day: 'chosen' (asked for), 'today' (today, which has data), "
        "'latest_with_data' (today has none yet), 'no_data' (today; no day has data)"))
    label: str = Field(description="What the page says about the day it shows")
    tiles: list[TileOut]


@router.get("/overview", response_model=OverviewOut, summary="The command centre")
def overview(session: DbSession, caller: Staff, day: Day) -> OverviewOut:
    """Aggregates of every domain for the caller's area: no person is named."""
    tiles = overview_tiles(session, caller=caller, today=day.day)
    return OverviewOut(day=day.day.isoformat(), today=day.today.isoformat(), shown=day.kind,
                       label=day.label, tiles=[
        TileOut(key=t.key, title=t.title, link=t.link, data=t.data) for t in tiles])
