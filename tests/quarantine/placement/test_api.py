"""Placement runs through the API and the staff pages: run, review, commit, discard, the
forecast; refusals change nothing."""

from __future__ import annotations

import re
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.kit import clock
from epidesk.quarantine.models import RoomAssignment
from tests.conftest import TEST_PASSWORD
from tests.quarantine.helpers import inspect, load_facilities
from tests.quarantine.scene import traced


def _ready(db: Session) -> None:
    s, _ = traced(db)
    ids = load_facilities(db, s.city)
    today = clock.local_day(clock.now())
    for code in ids:
        inspect(db, ids[code], on=min(today, date.today()))


def _assignments(db: Session) -> int:
    return int(db.scalar(select(func.count(RoomAssignment.id))) or 0)


def test_run_review_and_commit_through_the_api(db: Session, client: TestClient) -> None:
    _ready(db)
    made = client.post("/api/quarantine/placement/runs", json={})
    assert made.status_code == 201, made.text
    run = made.json()
    assert run["state"] == "proposed" and run["people"] >= 1
    assert run["check"] == dict.fromkeys(run["check"], 0)
    assert run["cost"] >= run["lower_bound"]
    detail = client.get(f"/api/quarantine/placement/runs/{run['id']}").json()
    placed = [line for line in detail["lines"] if line["room"]]
    assert placed and all(line["name"] for line in detail["lines"])
    assert _assignments(db) == 0
    listed = client.get("/api/quarantine/placement/runs").json()
    assert [r["id"] for r in listed][:1] == [run["id"]]
    done = client.post(f"/api/quarantine/placement/runs/{run['id']}/commit")
    assert done.status_code == 200 and done.json()["state"] == "committed"
    assert _assignments(db) == len(placed)
    again = client.post(f"/api/quarantine/placement/runs/{run['id']}/commit")
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    assert "committed" in again.json()["detail"]
    assert _assignments(db) == len(placed)


def test_bad_input_is_refused_and_changes_nothing(db: Session, client: TestClient) -> None:
    _ready(db)
    bad = client.post("/api/quarantine/placement/runs", json={"day": "2026-13-40"})
    assert bad.status_code == 422
    assert "day" in bad.text
    unknown = client.post("/api/quarantine/placement/runs", json={"when": "today"})
    assert unknown.status_code == 422
    assert client.get("/api/quarantine/placement/runs").json() == []
    assert client.get("/api/quarantine/placement/runs/2147483000").status_code == 404
    assert client.post("/api/quarantine/placement/runs/2147483000/commit").status_code == 404


def test_a_district_grant_may_review_but_not_run(db: Session, anon_client: TestClient,
                                                 bearer) -> None:  # type: ignore[no-untyped-def]
    _ready(db)
    from epidesk.geography.models import District

    district = db.scalars(select(District)).first()
    assert district is not None
    anon_client.headers.update(bearer("manager", ["facility_manager"], "district", district.id))
    refused = anon_client.post("/api/quarantine/placement/runs", json={})
    assert refused.status_code == 403
    assert "city-wide" in refused.json()["detail"]


def test_the_forecast_counts_beds_per_city_and_day(db: Session, client: TestClient) -> None:
    _ready(db)
    rows = client.get("/api/quarantine/placement/forecast?days=3").json()
    assert rows
    assert len({r["day"] for r in rows}) == 3
    assert any(r["available"] > 0 for r in rows)
    assert all(r["shortfall"] == max(0, r["needed"] - r["available"]) for r in rows)
    assert client.get("/api/quarantine/placement/forecast?days=99").status_code == 422


def test_the_review_page_commits_and_shows_a_refusal(db: Session, anon_client: TestClient,
                                                     make_user) -> None:  # type: ignore[no-untyped-def]
    _ready(db)
    make_user("planner", ["facility_manager"])
    form = anon_client.get("/signin")
    signed = anon_client.post("/signin", data={
        "username": "planner", "password": TEST_PASSWORD, "next": "/quarantine/placement",
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)})
    assert signed.status_code == 303
    client = anon_client
    client.headers["accept"] = "text/html"
    page = client.get("/quarantine/placement")
    assert page.status_code == 200 and "Run the placement" in page.text
    token = re.search(r'name="csrf_token" value="([^"]*)"', page.text)
    assert token is not None
    made = client.post("/quarantine/placement/runs", data={"csrf_token": token.group(1)})
    assert made.status_code == 303
    review = client.get(made.headers["location"], headers={"accept": "text/html"})
    assert "Commit: assign these rooms" in review.text
    run_id = made.headers["location"].rsplit("/", 1)[1]
    client.post(f"/quarantine/placement/runs/{run_id}/discard",
                data={"csrf_token": token.group(1)})
    refused = client.post(f"/quarantine/placement/runs/{run_id}/commit",
                          data={"csrf_token": token.group(1)})
    assert refused.status_code == 409
    assert "is discarded, not proposed" in refused.text
    assert _assignments(db) == 0
