"""The public trajectory pages (no account): search by place name and day, pick places
on a map; in Chinese and English."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from epidesk.config import get_settings
from epidesk.kit import clock, i18n
from epidesk.kit.inputs import OptionalDay
from epidesk.kit.templating import render
from epidesk.kit.web import DbSession
from epidesk.transparency.trajectories import service
from epidesk.transparency.trajectories.deps import chosen_places

router = APIRouter(include_in_schema=False)
Search = Annotated[str, Query(max_length=100)]
Places = Annotated[list[str] | None, Query(max_length=50)]


def _shown(entry: service.Entry) -> dict[str, Any]:
    """An entry as the page shows it, in the reader's language and the city's time."""
    zh = i18n.current() == "zh"
    return {"key": f"{entry.place_kind}:{entry.place_id}", "kind": entry.place_kind,
            "name": entry.name_local if zh else entry.name,
            "starts": clock.format_local(entry.starts_at),
            "ends": clock.format_local(entry.ends_at), "lat": entry.lat, "lon": entry.lon,
            "until": entry.expires_on}


def _map_data(entries: list[service.Entry]) -> str:
    places: dict[str, dict[str, Any]] = {}
    for e in entries:
        shown = _shown(e)
        place = places.setdefault(shown["key"], {
            "key": shown["key"], "name": shown["name"], "point": [e.lat, e.lon], "windows": []})
        place["windows"].append(f"{shown['starts']} - {shown['ends']}")
    return json.dumps(list(places.values()), ensure_ascii=False).replace("</", "<\\/")


@router.get("/public/trajectories")
def trajectories_page(request: Request, session: DbSession, q: Search = "",
                      on: Annotated[OptionalDay, Query()] = None, place: Places = None
                      ) -> Response:
    """Places and times where cases were while infectious: search by name and day."""
    places = chosen_places(place)
    today = clock.city_today()
    published, entries = service.shown(session, today=today, text=q, on=on, places=places)
    searched = bool(q.strip() or on or places)
    return render(request, "transparency/trajectories/list.html", {
        "entries": [_shown(e) for e in entries], "published": published, "q": q, "on": on,
        "places": place or [], "searched": searched, "days": service.days_kept(),
        "hotline": get_settings().hotline_number})


@router.get("/public/trajectories/map")
def trajectories_map(request: Request, session: DbSession) -> Response:
    """The same places on a map: pick some, then list their times."""
    published, entries = service.shown(session, today=clock.city_today())
    places = {s["key"]: s for s in map(_shown, entries)}
    return render(request, "transparency/trajectories/map.html", {
        "published": published, "map_data": _map_data(entries),
        "places": sorted(places.values(), key=lambda s: s["name"])})


@router.get("/public/trajectories.{suffix}")
def trajectories_file(session: DbSession,
                      suffix: Annotated[str, Path(pattern="^(csv|json)$")]) -> Response:
    """The entries shown today as an open-data file (CSV or JSON; columns in
    service.FILE_COLUMNS). Expired entries are gone from it the day they expire."""
    _published, entries = service.shown(session, today=clock.city_today())
    media = "text/csv; charset=utf-8" if suffix == "csv" else "application/json"
    return Response(service.file_bytes(entries, f".{suffix}"), media_type=media, headers={
        "Cache-Control": "public, max-age=60",
        "Content-Disposition": f'attachment; filename="trajectories.{suffix}"'})
