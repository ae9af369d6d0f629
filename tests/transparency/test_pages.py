"""The public pages and files as served: stored at publication, cached, in both languages,
never recomputed on a view; bad input is a 422 naming the field."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.transparency import service
from epidesk.transparency.deps import page_cache
from tests.factories import TinyCity, tiny_city
from tests.transparency.scene import DAY, add_cases

NOON = datetime(2026, 11, 21, 12, tzinfo=UTC)
PAGES = ("/public", "/public/districts", "/public/changes", "/public/snapshots",
         "/public/data", f"/public/snapshots/{DAY.isoformat()}")


@pytest.fixture
def published(db: Session) -> TinyCity:
    page_cache.clear()
    city = tiny_city(db)
    add_cases(db, city, district=0, reported=DAY, n=6)
    add_cases(db, city, district=1, reported=DAY, n=2)
    service.publish(db, day=DAY, actor="test", now=NOON)
    return city


def test_nothing_published_yet_says_so(anon_client: TestClient, db: Session) -> None:
    page_cache.clear()
    answer = anon_client.get("/public")
    assert answer.status_code == 404
    assert "Nothing has been published yet" in answer.text


def test_every_public_page_is_served_without_an_account(anon_client: TestClient,
                                                        published: TinyCity) -> None:
    for path in PAGES:
        answer = anon_client.get(path)
        assert answer.status_code == 200, path
        assert answer.headers["cache-control"] == "public, max-age=60"
        assert answer.headers["etag"].startswith('"')
        assert "Accept-Language" in answer.headers["vary"]
        assert "<main" in answer.text and "Public figures" in answer.text
    landing = anon_client.get("/public").text
    assert 'id="public-trends"' in landing and "/assets/chart.js/" in landing
    assert "New cases by sampling day" in landing and "New cases by report day" in landing
    assert 'href="/zones"' in landing


def test_a_page_is_answered_in_the_readers_language(anon_client: TestClient,
                                                     published: TinyCity) -> None:
    chinese = anon_client.get("/public", headers={"Accept-Language": "zh-CN"})
    assert chinese.headers["content-language"] == "zh-Hans"
    assert "全市新增病例" in chinese.text
    english = anon_client.get("/public")
    assert "New cases in the city" in english.text
    assert chinese.headers["etag"] != english.headers["etag"]


def test_an_unchanged_page_answers_304(anon_client: TestClient, published: TinyCity) -> None:
    first = anon_client.get("/public/districts")
    again = anon_client.get("/public/districts",
                            headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_a_page_view_renders_and_computes_nothing(anon_client: TestClient, published: TinyCity,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a page view must not compute or render")

    monkeypatch.setattr("epidesk.kit.publication.public_tables", refuse)
    monkeypatch.setattr("epidesk.transparency.site.service.render_pages", refuse)
    monkeypatch.setattr("epidesk.kit.templating.render_text", refuse)
    reads: list[str] = []
    stored = service.stored_page

    def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(kwargs["path"])
        return stored(*args, **kwargs)

    monkeypatch.setattr(service, "stored_page", counted)
    for _ in range(3):
        assert anon_client.get("/public").status_code == 200
    assert reads == ["/public"]  # read from the database once, then from memory


def test_a_dated_file_is_immutable_and_matches_its_listed_digest(anon_client: TestClient,
                                                                 published: TinyCity) -> None:
    listing = anon_client.get("/api/public/data").json()
    [publication] = listing
    assert publication["day"] == DAY.isoformat() and publication["version"] == 1
    names = {f["name"] for f in publication["files"]}
    for table in ("cases_city_daily", "cases_by_district_weekly", "tests_city_daily",
                  "zones_city_daily"):
        for fmt in ("csv", "json", "parquet"):
            assert f"{table}.{fmt}" in names and f"{table}_{DAY.isoformat()}.{fmt}" in names
    assert {"dictionary.csv", "dictionary.json"} <= names
    for f in publication["files"]:
        answer = anon_client.get(f["url"])
        assert answer.status_code == 200
        assert hashlib.sha256(answer.content).hexdigest() == f["sha256"]
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    csv = anon_client.get(f"/public/data/{DAY.isoformat()}/v1/cases_city_daily.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0] == ("day,new_cases,new_cases_by_sampling_day,"
                                        "newly_confirmed")


def test_the_latest_file_redirects_to_its_dated_address(anon_client: TestClient,
                                                        published: TinyCity) -> None:
    answer = anon_client.get("/public/data/latest/cases_city_daily.csv")
    assert answer.status_code == 307
    assert answer.headers["location"] == (
        f"/public/data/{DAY.isoformat()}/v1/cases_city_daily.csv")


@pytest.mark.parametrize(("path", "field"), [
    ("/public/snapshots/2026-13-01", "day"),
    ("/public/snapshots/20261121", "day"),
    ("/public/data/2026-11-21/v0/cases_city_daily.csv", "version"),
    ("/public/data/2026-11-21/v1/..secret", "name"),
    ("/public/data/2026-11-21/v1/Cases.CSV", "name"),
    ("/public/data/latest/a%20b", "name"),
])
def test_bad_input_is_a_422_naming_the_field(anon_client: TestClient, published: TinyCity,
                                             path: str, field: str) -> None:
    answer = anon_client.get(path)
    assert answer.status_code == 422, answer.text
    assert field in answer.text


@pytest.mark.parametrize("path", [
    "/public/snapshots/2020-01-01", "/public/data/2026-11-21/v9/cases_city_daily.csv",
    "/public/data/2026-11-21/v1/no_such_table.csv",
])
def test_what_was_never_published_is_a_404(anon_client: TestClient, published: TinyCity,
                                           path: str) -> None:
    assert anon_client.get(path).status_code == 404


def test_the_landing_charts_one_series_per_count_by_day(anon_client: TestClient,
                                                         published: TinyCity) -> None:
    import json
    import re

    landing = anon_client.get("/public").text
    block = re.search(r'<script type="application/json" id="public-trends">(.*?)</script>',
                      landing, re.S)
    assert block is not None
    trends = {t["name"]: t for t in json.loads(block.group(1))}
    assert set(trends) == {"cases_city_daily", "tests_city_daily"}  # zones: a table only
    cases = trends["cases_city_daily"]
    assert cases["days"] == [DAY.isoformat()]
    assert [s["data"] for s in cases["series"]] == [[8], [8], [0]]
    assert 'id="chart-zones_city_daily"' not in landing
    assert 'id="chart-cases_city_daily"' in landing
