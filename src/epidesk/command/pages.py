"""The command centre page: the staff home after sign-in."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from starlette.responses import Response

from epidesk.command.deps import Day, Staff
from epidesk.kit.templating import render
from epidesk.kit.tiles import overview_tiles
from epidesk.kit.web import DbSession

router = APIRouter(include_in_schema=False)


@router.get("/overview")
def overview_page(request: Request, session: DbSession, caller: Staff, day: Day) -> Response:
    """Charts, a map and figures of every domain for the reader's area, each linked."""
    tiles = overview_tiles(session, caller=caller, today=day.day)
    charts = {t.key: t.data for t in tiles}
    return render(request, "command/overview.html", {
        "tiles": tiles, "day": day.day, "shown": day, "section": "overview",
        # Read by the page's script (a data block: never executed).
        "chart_data": json.dumps(charts, ensure_ascii=False).replace("</", "<\\/"),
    })
