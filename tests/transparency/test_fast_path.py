"""The publication spike's fast path: a cached public page or dated file is answered from
memory before routing, with the same headers as the route, compressed once."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.transparency import pages, service
from epidesk.transparency.deps import page_cache
from tests.factories import TinyCity, tiny_city
from tests.transparency.scene import DAY, add_cases

NOON = datetime(2026, 11, 21, 12, tzinfo=UTC)


@pytest.fixture
def published(db: Session) -> TinyCity:
    page_cache.clear()
    city = tiny_city(db)
    add_cases(db, city, district=0, reported=DAY, n=6)
    service.publish(db, day=DAY, actor="test", now=NOON)
    return city


def _no_route(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every public route that runs (the fast path runs none)."""
    ran: list[str] = []
    original = pages._published_page

    def counted(request: Any, session: Any, path: str, *args: Any) -> Any:
        ran.append(path)
        return original(request, session, path, *args)

    monkeypatch.setattr(pages, "_published_page", counted)
    return ran


@pytest.mark.usefixtures("published")
def test_a_cached_page_is_answered_before_routing(anon_client: TestClient,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    ran = _no_route(monkeypatch)
    first = anon_client.get("/public", headers={"accept-encoding": "identity"})
    assert first.status_code == 200 and ran == ["/public"]
    fast = anon_client.get("/public", headers={"accept-encoding": "gzip"})
    assert ran == ["/public"], "the second view did not go through the routes"
    assert fast.status_code == 200 and fast.content == first.content
    assert fast.headers["content-encoding"] == "gzip"
    for name in ("etag", "cache-control", "content-language", "content-security-policy",
                 "x-content-type-options"):
        assert fast.headers[name] == first.headers[name], name
    again = anon_client.get("/public", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304 and again.content == b""
    chinese = anon_client.get("/public", headers={"accept-language": "zh"})
    assert chinese.headers["content-language"] == "zh-Hans" and chinese.content != first.content


@pytest.mark.usefixtures("published")
def test_a_dated_file_is_answered_from_memory_once_read(anon_client: TestClient,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    listing = anon_client.get("/api/public/data").json()
    url = next(f["url"] for f in listing[0]["files"] if f["format"] == "csv")
    first = anon_client.get(url)
    assert first.status_code == 200

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("read again")

    monkeypatch.setattr(service, "data_file", refuse)
    monkeypatch.setattr(pages, "_answer", refuse)  # the route cannot answer either
    fast = anon_client.get(url, headers={"accept-encoding": "gzip"})
    assert fast.status_code == 200 and fast.content == first.content
    assert fast.headers["content-disposition"] == first.headers["content-disposition"]
    raw = pages.CachedPublicPages(None)  # type: ignore[arg-type]
    assert raw._found(url + "x") is None and raw._found("/public/data/x/v1/a.csv") is None
    assert gzip.decompress(gzip.compress(fast.content)) == first.content


@pytest.mark.usefixtures("published")
def test_a_new_publication_is_served_within_a_second(anon_client: TestClient,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    ran = _no_route(monkeypatch)
    anon_client.get("/public")
    monkeypatch.setattr(page_cache, "checked", page_cache.checked - 2.0)
    anon_client.get("/public")
    assert ran == ["/public", "/public"], "a stale stamp goes back through the route"
