"""Geography pages and the server-drawn map."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.geography.pages import MapFeature, svg_map
from tests.factories import tiny_city

HTML = {"Accept": "text/html"}


def get(client: TestClient, url: str, status: int = 200) -> str:
    r = client.get(url, headers=HTML)
    assert r.status_code == status, r.text
    return r.text


def test_city_page(client: TestClient, db: Session):
    t = tiny_city(db)
    html = get(client, "/places")
    assert "<h1>Tinyville" in html
    assert f'<a href="/places/districts/{t.districts[0].id}">Rencheng</a>' in html
    assert "Nextdoor" in html
    assert "150 km" in html
    assert 'aria-current="page">Places' in html


def test_city_page_without_a_city(client: TestClient):
    html = get(client, "/places", 404)
    assert "no home city" in html


def test_district_page(client: TestClient, db: Session):
    t = tiny_city(db)
    html = get(client, f"/places/districts/{t.districts[0].id}")
    assert f'<a href="/places/subdistricts/{t.subdistricts[0].id}">Gulou</a>' in html
    assert 'aria-label="Breadcrumb"' in html
    assert '<a href="/places">Tinyville</a>' in html


def test_subdistrict_page(client: TestClient, db: Session):
    t = tiny_city(db)
    html = get(client, f"/places/subdistricts/{t.subdistricts[0].id}")
    assert f'<a href="/places/communities/{t.communities[0].id}">Willow Court</a>' in html
    assert f'<a href="/places/districts/{t.districts[0].id}">Rencheng</a>' in html


def test_unknown_places_show_an_error_page(client: TestClient):
    assert "district 999999 not found" in get(client, "/places/districts/999999", 404)
    assert "subdistrict 999999 not found" in get(client, "/places/subdistricts/999999", 404)
    assert "Invalid input" in get(client, "/places/districts/x", 422)


def test_svg_map_fits_the_shapes_north_up():
    outline = [(116.0, 35.0), (116.01, 35.0), (116.01, 35.01), (116.0, 35.01), (116.0, 35.0)]
    north = MapFeature(polygon=[(116.004, 35.008), (116.006, 35.008), (116.006, 35.009),
                                (116.004, 35.009), (116.004, 35.008)],
                       label="Building 1", text="1", href="/places/buildings/1")
    south = MapFeature(polygon=[(116.004, 35.001), (116.006, 35.001), (116.006, 35.002),
                                (116.004, 35.002), (116.004, 35.001)],
                       label="Building 2", text="2")
    drawing = svg_map(outline, [north, south], width=400, max_height=400, padding=10)
    assert drawing is not None
    assert drawing.width == 400
    xs, ys = [], []
    for ring in [drawing.outline] + [s.points for s in drawing.shapes]:
        for pair in ring.split():
            x, y = map(float, pair.split(","))
            xs.append(x)
            ys.append(y)
    assert min(xs) >= 10 - 0.1 and max(xs) <= 390 + 0.1
    assert min(ys) >= 10 - 0.1 and max(ys) <= drawing.height - 10 + 0.1
    # one degree of longitude is shorter than one of latitude at 35°N: taller than wide
    assert max(xs) - min(xs) < max(ys) - min(ys)
    first, second = drawing.shapes
    assert first.label_y < second.label_y
    assert first.href == "/places/buildings/1" and second.href is None


def test_svg_map_of_nothing():
    assert svg_map([], []) is None
