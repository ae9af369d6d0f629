"""Every moment in an API answer carries an explicit UTC offset, on both databases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.tracing.models import VisitLog
from tests.tracing.helpers import scene

MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
UTC_SUFFIX = re.compile(r"(Z|\+00:00)$")


def moments(value: Any) -> Iterator[str]:
    """Every string in a JSON answer that looks like a date and time."""
    if isinstance(value, dict):
        for v in value.values():
            yield from moments(v)
    elif isinstance(value, list):
        for v in value:
            yield from moments(v)
    elif isinstance(value, str) and MOMENT.match(value):
        yield value


def test_api_moments_are_utc_with_an_offset(client: TestClient, db: Session) -> None:
    made = scene(db)
    assert client.post("/api/auth/tokens", json={"name": "times"}).status_code == 201
    assert client.post("/api/tracing/runs", json={}).status_code == 201
    log_id = db.scalar(select(VisitLog.id).order_by(VisitLog.id.desc()))
    seen: list[str] = []
    for path in ["/api/auth/tokens", "/api/audit", "/api/tracing/runs",
                 f"/api/tracing/contacts/{made.id('li_na')}", f"/api/cases/{made.case.id}",
                 f"/api/tracing/visit-logs/{log_id}"]:
        response = client.get(path)
        assert response.status_code == 200, (path, response.text)
        seen.extend(moments(response.json()))
    assert len(seen) > 10
    assert [m for m in seen if not UTC_SUFFIX.search(m)] == []
