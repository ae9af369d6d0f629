"""Tracing pages and forms, under a signed-in page session with its CSRF token."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import TEST_PASSWORD
from tests.tracing.helpers import Scene, scene, visit_csv

HTML = {"Accept": "text/html"}


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def browser(anon_client: TestClient, make_user) -> TestClient:
    """A client signed in through the form as a city-wide epidemiologist."""
    make_user("epi", ["epidemiologist"])
    form = anon_client.get("/signin")
    r = anon_client.post("/signin", data={"username": "epi", "password": TEST_PASSWORD,
                                          "csrf_token": csrf_of(form.text), "next": "/tracing"})
    assert r.status_code == 303
    anon_client.headers.update(HTML)
    return anon_client


@pytest.fixture
def s(db: Session) -> Scene:
    return scene(db)


def run(browser: TestClient, case_ids: str = "") -> str:
    token = csrf_of(browser.get("/tracing").text)
    r = browser.post("/tracing/runs", data={"csrf_token": token, "case_ids": case_ids})
    assert r.status_code == 303 and re.fullmatch(r"/tracing\?ran=\d+", r.headers["location"])
    return browser.get(r.headers["location"]).text


def test_an_investigator_runs_tracing_and_reads_why(browser: TestClient, s: Scene):
    html = run(browser)
    assert "classified 1 case: 7 contacts identified" in html
    assert "Now 5 close and 2 sub-close contacts" in html
    assert f'href="/tracing/cases/{s.case.id}"' in html
    go = browser.get(f"/tracing/go?case_id={s.case.id}")
    assert go.status_code == 303 and go.headers["location"] == f"/tracing/cases/{s.case.id}"
    # The case's contacts by tier.
    html = browser.get(f"/tracing/cases/{s.case.id}").text
    assert '<span class="n" id="close-count">5</span>' in html
    assert '<span class="n" id="sub-close-count">2</span>' in html
    for key in ("wang_xiuying", "li_na", "chen_jing", "wang_fang", "li_qiang", "chen_jie"):
        assert f'href="/tracing/contacts/{s.id(key)}"' in html
    assert "Zhao Lei" not in html
    # Why, and the follow-up.
    html = browser.get(f"/tracing/contacts/{s.id('chen_jing')}").text
    assert "Was at Willow Market at the same time with asymptomatic case" in html
    assert "contacts.venue_co_visit" in html and 'id="follow-up"' in html
    assert f'/tracing/contacts/{s.id("chen_jing")}/letter' in html
    letter = browser.get(f"/tracing/contacts/{s.id('chen_jing')}/letter?lang=en").text
    assert "You were at Willow Market at the same time" in letter
    assert "Xiulan" not in letter and f"case {s.case.id}" not in letter
    assert "Missed follow-up tests" in browser.get("/tracing/follow-up").text


def test_uploading_visit_logs(browser: TestClient, s: Scene):
    token = csrf_of(browser.get("/tracing").text)
    venue = s.city.venue.id
    bad = visit_csv([(s.id("li_na"), venue, "2026-11-20T09:30:00+08:00",
                      "2026-11-20T09:00:00+08:00")])
    r = browser.post("/tracing/visit-logs", data={"csrf_token": token},
                     files={"file": ("bad.csv", bad, "text/csv")})
    assert r.status_code == 303 and r.headers["location"].endswith("uploaded=rejected")
    html = browser.get(r.headers["location"]).text
    assert "Rejected: nothing of this file was written" in html
    assert "is not after arrival" in html
    good = visit_csv([(s.id("li_na"), venue, "2026-11-20T09:00:00+08:00",
                       "2026-11-20T09:30:00+08:00")])
    r = browser.post("/tracing/visit-logs", data={"csrf_token": token},
                     files={"file": ("good.csv", good, "text/csv")})
    assert "Accepted: 1 visits" in browser.get(r.headers["location"]).text
    refused = browser.post("/tracing/visit-logs", data={"csrf_token": "forged"},
                           files={"file": ("good.csv", good, "text/csv")})
    assert refused.status_code == 403


def test_recording_an_exposure_from_the_case_page(browser: TestClient, s: Scene):
    token = csrf_of(browser.get(f"/tracing/cases/{s.case.id}").text)
    form = {"csrf_token": token, "case_id": str(s.case.id),
            "resident_b_id": str(s.id("zhang_min")), "at": "2026-11-19T18:30",
            "setting": "shared_vehicle", "place": "bus 12"}
    r = browser.post("/tracing/exposures", data=form)
    assert r.status_code == 303 and r.headers["location"].endswith("recorded=1")
    run(browser)
    html = browser.get(f"/tracing/contacts/{s.id('zhang_min')}").text
    assert "Had a recorded exposure (Same vehicle, within 1 m; bus 12)" in html
    assert "2026-11-19 18:30" in html
    wrong = browser.post("/tracing/exposures", data={**form, "setting": "hug"})
    assert wrong.status_code == 422 and "unknown setting" in wrong.text


def test_the_overview_offers_to_trace_changed_cases(browser: TestClient, s: Scene):
    html = browser.get("/tracing").text
    assert '<p class="notice" role="status" id="pending">1 case has been reported' in html
    token = csrf_of(html)
    r = browser.post("/tracing/runs", data={"csrf_token": token, "changes": "true"})
    assert r.status_code == 303
    after = browser.get(r.headers["location"]).text
    assert "classified 1 case: 7 contacts identified" in after
    assert '<p class="hint" id="pending">Every case change has been traced.</p>' in after
    # Nothing left to follow: the same form now answers with the reason.
    again = browser.post("/tracing/runs", data={"csrf_token": token, "changes": "true"})
    assert again.status_code == 409 and "since the last tracing run" in again.text


def test_an_exposure_recorded_after_tracing_is_offered_to_the_next_run(browser: TestClient,
                                                                      s: Scene):
    token = csrf_of(browser.get("/tracing").text)
    assert browser.post("/tracing/runs", data={"csrf_token": token,
                                               "changes": "true"}).status_code == 303
    # The drive on 2026-11-21 lies inside the case's window (to the end of that day).
    form = {"csrf_token": token, "case_id": str(s.case.id),
            "resident_b_id": str(s.id("zhang_min")), "at": "2026-11-21T09:00",
            "setting": "shared_vehicle", "place": "bus 12"}
    assert browser.post("/tracing/exposures", data=form).status_code == 303
    html = browser.get("/tracing").text
    assert "1 case to classify: 1 with evidence that arrived after it was traced." in html
    r = browser.post("/tracing/runs", data={"csrf_token": token, "changes": "true"})
    assert "2 contacts identified" in browser.get(r.headers["location"]).text
