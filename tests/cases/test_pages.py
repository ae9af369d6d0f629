"""Cases pages and the upload form, under a signed-in page session with its CSRF token."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.cases.models import CaseEpisode
from tests.conftest import TEST_PASSWORD
from tests.factories import TinyCity, tiny_city
from tests.testing import tables as testing
from tests.testing.batches import csv_bytes, single

HTML = {"Accept": "text/html"}


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


@pytest.fixture
def browser(anon_client: TestClient, make_user) -> TestClient:  # type: ignore[no-untyped-def]
    """A client signed in through the form as a city-wide epidemiologist."""
    make_user("epi", ["epidemiologist"])
    form = anon_client.get("/signin")
    r = anon_client.post("/signin", data={"username": "epi", "password": TEST_PASSWORD,
                                          "csrf_token": csrf_of(form.text), "next": "/testing"})
    assert r.status_code == 303
    anon_client.headers.update(HTML)
    return anon_client


def upload(client: TestClient, content: bytes, token: str | None = None):  # type: ignore[no-untyped-def]
    token = token if token is not None else csrf_of(client.get("/testing").text)
    return client.post("/testing/batches", data={"csrf_token": token},
                       files={"file": ("lab.csv", content, "text/csv")})


def rows(city: TinyCity) -> bytes:
    r = city.residents
    return csv_bytes([single("S1", r["li_na"].id, outcome="positive", ct=(22, 23)),
                      single("S2", r["chen_jie"].id)])


def test_uploading_a_good_batch_shows_it_accepted(browser: TestClient, db: Session):
    city = tiny_city(db)
    r = upload(browser, rows(city))
    assert r.status_code == 303
    assert re.fullmatch(r"/testing/batches/\d+\?uploaded=accepted", r.headers["location"])
    html = browser.get(r.headers["location"]).text
    assert "Accepted: 2 samples in 2 tubes" in html
    again = upload(browser, rows(city))
    assert again.headers["location"].endswith("uploaded=already")
    assert "already ingested" in browser.get(again.headers["location"]).text


def test_uploading_a_bad_batch_shows_the_report_and_writes_nothing(browser: TestClient,
                                                                   db: Session):
    city = tiny_city(db)
    bad = csv_bytes([single("S1", city.residents["li_na"].id, outcome="positive"),
                     single("S2", 31337)])
    r = upload(browser, bad)
    assert r.headers["location"].endswith("uploaded=rejected")
    html = browser.get(r.headers["location"]).text
    assert "Rejected: nothing of this file was written" in html
    assert "no registered resident has the id 31337" in html
    assert "a positive outcome needs the Ct value" in html
    assert testing.table_counts(db)["sample"] == 0


def test_upload_without_the_csrf_token_is_refused(browser: TestClient, db: Session):
    city = tiny_city(db)
    assert upload(browser, rows(city), token="forged").status_code == 403
    assert testing.table_counts(db)["lab_batch"] == 0


def test_case_list_page_and_case_page_with_forms(browser: TestClient, db: Session):
    city = tiny_city(db)
    upload(browser, rows(city))
    case = db.query(CaseEpisode).one()
    html = browser.get("/cases").text
    assert f'data-case="{case.id}"' in html and "李娜" in html
    assert "李娜" in browser.get("/cases", params={"resident_id": case.resident_id}).text
    assert "No case matches" in browser.get("/cases", params={"status": "withdrawn"}).text
    page = browser.get(f"/cases/{case.id}").text
    assert "asymptomatic infection" in page
    assert f'action="/cases/{case.id}/reclassify"' in page
    token = csrf_of(page)
    r = browser.post(f"/cases/{case.id}/reclassify",
                     data={"csrf_token": token, "on": "2026-11-22", "onset_date": "2026-11-21"})
    assert r.status_code == 303
    page = browser.get(f"/cases/{case.id}").text
    assert "confirmed case" in page
    assert "<dt>Reported asymptomatic</dt><dd>2026-11-21</dd>" in page
    assert "<dt>Confirmed</dt><dd>2026-11-22</dd>" in page
    short = browser.post(f"/cases/{case.id}/withdraw", data={"csrf_token": token,
                                                             "reason": "x"})
    assert short.status_code == 422 and "reason of at least 5" in short.text
    r = browser.post(f"/cases/{case.id}/withdraw",
                     data={"csrf_token": token, "reason": "false positive, lab mix-up"})
    assert r.status_code == 303
    page = browser.get(f"/cases/{case.id}").text
    assert "withdrawn" in page and "false positive, lab mix-up" in page
    assert browser.post(f"/cases/{case.id}/withdraw",
                        data={"csrf_token": "forged", "reason": "again"}).status_code == 403


def test_bulletin_page_and_csv(browser: TestClient, db: Session):
    city = tiny_city(db)
    upload(browser, rows(city))
    html = browser.get("/cases/bulletin", params={"day": "2026-11-21"}).text
    assert "Daily bulletin of 2026-11-21" in html
    assert '<span class="n" id="total-asymptomatic">1</span>' in html
    assert 'data-district="TD1"' in html and "Rencheng" in html
    assert 'href="/cases/bulletin.csv?day=2026-11-21"' in html
    csv = browser.get("/cases/bulletin.csv", params={"day": "2026-11-21"})
    assert csv.headers["content-type"].startswith("text/csv")
    assert "2026-11-21,TD1,Rencheng,local,0,1,0,0" in csv.text
    past = browser.get("/cases/bulletin", params={"day": "2026-11-21",
                                                  "as_of": "2026-11-01T00:00"}).text
    assert '<span class="n" id="total-asymptomatic">0</span>' in past
    assert browser.get("/cases/bulletin", params={"day": "nope"}).status_code == 422
    # Without a day: the latest day with data (the batch's 21 November), said as such.
    opened = browser.get("/cases/bulletin").text
    assert "Daily bulletin of 2026-11-21" in opened
    assert 'id="shown-day" data-kind="latest_with_data"' in opened
    assert "Showing 2026-11-21: the latest day with data" in opened
    assert 'id="shown-day"' not in html
