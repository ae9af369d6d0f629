"""Publishing through the API: permission, idempotence, bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.transparency.deps import page_cache
from tests.factories import TinyCity, tiny_city
from tests.transparency.scene import DAY, add_cases


@pytest.fixture
def city(db: Session) -> TinyCity:
    page_cache.clear()
    found = tiny_city(db)
    add_cases(db, found, district=0, reported=DAY, n=6)
    return found


def test_an_administrator_publishes_once_per_unchanged_day(client: TestClient,
                                                           city: TinyCity) -> None:
    first = client.post("/api/transparency/publications", json={"day": DAY.isoformat()})
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["created"] and body["version"] == 1 and body["files"] > 0
    again = client.post("/api/transparency/publications", json={"day": DAY.isoformat()})
    assert again.json()["created"] is False and again.json()["version"] == 1
    assert client.get("/public").status_code == 200


def test_publishing_needs_the_permission(anon_client: TestClient, bearer,  # type: ignore[no-untyped-def]
                                         city: TinyCity) -> None:
    assert anon_client.post("/api/transparency/publications", json={}).status_code == 401
    worker = bearer("worker", ["community_worker"])
    answer = anon_client.post("/api/transparency/publications", json={}, headers=worker)
    assert answer.status_code == 403
    assert anon_client.get("/transparency", headers=worker).status_code == 403


@pytest.mark.parametrize("body", [{"day": "2026-02-30"}, {"day": 20261121}, {"when": "x"}])
def test_a_bad_day_is_refused_and_publishes_nothing(client: TestClient, city: TinyCity,
                                                    body: dict[str, object]) -> None:
    answer = client.post("/api/transparency/publications", json=body)
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert ("day" in answer.text) or ("when" in answer.text)
    assert client.get("/api/public/data").json() == []


def test_the_staff_page_lists_the_publications(client: TestClient, city: TinyCity) -> None:
    client.post("/api/transparency/publications", json={"day": DAY.isoformat()})
    page = client.get("/transparency")
    assert page.status_code == 200
    assert DAY.isoformat() in page.text and "Publish now" in page.text
