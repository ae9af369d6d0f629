"""HTML routes of the geography domain: the city, districts, subdistricts; the map drawing."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import APIRouter, Request
from starlette.responses import Response

from epidesk.geography import service
from epidesk.geography.deps import PLACES_READER
from epidesk.geography.schemas import Point
from epidesk.kit.templating import render
from epidesk.kit.web import DbSession, Id

router = APIRouter(include_in_schema=False, dependencies=[PLACES_READER])



@router.get("/places")
def city_page(request: Request, session: DbSession) -> Response:
    """The city overview: districts with population and counts, and neighbouring cities."""
    overview = service.city_overview(session)
    return render(request, "geography/city.html", {"overview": overview, "section": "places"})


@router.get("/places/districts/{district_id}")
def district_page(request: Request, district_id: Id, session: DbSession) -> Response:
    """A district and its subdistricts."""
    district = service.district_detail(session, district_id=district_id)
    return render(request, "geography/district.html",
                  {"district": district, "section": "places"})


@router.get("/places/subdistricts/{subdistrict_id}")
def subdistrict_page(request: Request, subdistrict_id: Id, session: DbSession) -> Response:
    """A subdistrict and its communities."""
    subdistrict = service.subdistrict_detail(session, subdistrict_id=subdistrict_id)
    return render(request, "geography/subdistrict.html",
                  {"subdistrict": subdistrict, "section": "places"})


# ------------------------------------------------------------------------------ map


@dataclass(frozen=True)
class MapShape:
    """A polygon of the map in SVG coordinates, with its link and label."""

    points: str
    label: str
    href: str | None
    label_x: float
    label_y: float
    text: str


@dataclass(frozen=True)
class SvgMap:
    """A map ready to draw as inline SVG: an outline and shapes inside it."""

    width: int
    height: int
    outline: str
    shapes: list[MapShape]


@dataclass(frozen=True)
class MapFeature:
    """A polygon to draw: its ring of [lon, lat] points, label, short text and link."""

    polygon: Sequence[Point]
    label: str
    text: str
    href: str | None = None


def svg_map(
    outline: Sequence[Point],
    features: Sequence[MapFeature],
    *,
    width: int = 640,
    max_height: int = 480,
    padding: int = 16,
) -> SvgMap | None:
    """Project lon/lat polygons to SVG coordinates fitted to the width; None with no points.

    An equirectangular projection scaled by the cosine of the latitude: exact enough
    for one residential compound, and it needs no map library.
    """
    every = list(outline) + [p for f in features for p in f.polygon]
    if not every:
        return None
    lat0 = sum(p[1] for p in every) / len(every)
    shrink = math.cos(math.radians(lat0))
    xs = [p[0] * shrink for p in every]
    ys = [p[1] for p in every]
    min_x, max_x, min_y, max_y = min(xs), max(xs), min(ys), max(ys)
    span_x = max(max_x - min_x, 1e-9)
    span_y = max(max_y - min_y, 1e-9)
    inner_w = width - 2 * padding
    scale = min(inner_w / span_x, (max_height - 2 * padding) / span_y)
    height = round(span_y * scale + 2 * padding)

    def project(ring: Sequence[Point]) -> list[tuple[float, float]]:
        return [
            (padding + (lon * shrink - min_x) * scale + (inner_w - span_x * scale) / 2,
             padding + (max_y - lat) * scale)
            for lon, lat in ring
        ]

    def points(xy: list[tuple[float, float]]) -> str:
        return " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)

    shapes = []
    for feature in features:
        xy = project(feature.polygon)
        if not xy:
            continue
        ring = xy[:-1] if len(xy) > 1 and xy[0] == xy[-1] else xy
        cx = sum(x for x, _ in ring) / len(ring)
        cy = sum(y for _, y in ring) / len(ring)
        shapes.append(MapShape(points=points(xy), label=feature.label, href=feature.href,
                               label_x=round(cx, 1), label_y=round(cy, 1), text=feature.text))
    return SvgMap(width=width, height=height, outline=points(project(outline)), shapes=shapes)
