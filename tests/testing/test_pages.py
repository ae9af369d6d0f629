"""Testing pages: batches with the upload form, a report, a tube, a history, retests."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.testing import service
from epidesk.testing.ingest import service as ingesting
from tests.factories import TinyCity, tiny_city
from tests.testing.batches import NOW, csv_bytes, pool, preset, single

HTML = {"Accept": "text/html"}


def get(client: TestClient, url: str, status: int = 200, **params: object) -> str:
    r = client.get(url, params=params, headers=HTML)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("text/html")
    return r.text


def seed(db: Session) -> tuple[TinyCity, ingesting.IngestResult, ingesting.IngestResult]:
    city = tiny_city(db)
    people = [r.id for r in city.residents.values()]
    good = ingesting.ingest_batch(db, content=csv_bytes(
        pool("P1", people[:5], outcome="positive", ct=(20, 21)) + pool("P2", people[6:11])),
        filename="good.csv", received_by="lab", preset=preset(), now=NOW)
    bad = ingesting.ingest_batch(db, content=csv_bytes(
        [single("S8", people[0]), single("S9", 987654, outcome="bogus")]),
        filename="bad.csv", received_by="lab", preset=preset(), now=NOW)
    return city, good, bad


def test_batches_page_lists_batches_with_the_upload_form(client: TestClient, db: Session):
    _city, good, bad = seed(db)
    html = get(client, "/testing")
    assert 'enctype="multipart/form-data"' in html and 'name="file"' in html
    assert f'href="/testing/batches/{good.batch.id}"' in html
    assert f'data-batch="{bad.batch.id}"' in html
    assert "rejected" in html and "accepted" in html


def test_a_rejected_batch_shows_its_report(client: TestClient, db: Session):
    _city, _good, bad = seed(db)
    html = get(client, f"/testing/batches/{bad.batch.id}")
    assert "Rejected: nothing of this file was written" in html
    assert re.search(r'<tr data-kind="unknown_resident"><td class="num">3</td>'
                     r"<td><code>resident_id</code></td><td>no registered resident has the id "
                     r"987654</td></tr>", html)
    assert 'data-kind="unknown_outcome"' in html


def test_an_accepted_batch_lists_its_positive_tubes(client: TestClient, db: Session):
    _city, good, _bad = seed(db)
    html = get(client, f"/testing/batches/{good.batch.id}")
    assert "Accepted: 10 samples in 2 tubes" in html
    tube_id = service.tube_id_of(db, code="P1")
    assert f'href="/testing/tubes/{tube_id}">P1</a>' in html
    assert "P2</a>" not in html


def test_tube_page_and_tube_search(client: TestClient, db: Session):
    city, _good, _bad = seed(db)
    tube_id = service.tube_id_of(db, code="P1")
    r = client.get("/testing/tubes", params={"code": "P1"}, headers=HTML)
    assert r.status_code == 303 and r.headers["location"] == f"/testing/tubes/{tube_id}"
    html = get(client, f"/testing/tubes/{tube_id}")
    assert "Tube P1" in html and "王秀英" in html
    assert f'href="/testing/residents/{city.residents["wang_xiuying"].id}"' in html
    assert "pool positive, open" in html
    get(client, "/testing/tubes", 404, code="NOPE")


def test_history_page_shows_the_retest_state(client: TestClient, db: Session):
    city, _good, _bad = seed(db)
    who = city.residents["wang_xiuying"].id
    r = client.get("/testing/residents", params={"resident_id": who}, headers=HTML)
    assert r.headers["location"] == f"/testing/residents/{who}"
    html = get(client, f"/testing/residents/{who}")
    assert 'State: <strong>pool positive, retest</strong>' in html
    assert "P1</a>" in html and 'data-outcome="positive"' in html


def test_retests_page(client: TestClient, db: Session):
    seed(db)
    html = get(client, "/testing/retests")
    assert html.count("pool positive") == 5
    negative = client.get("/testing/retests", params={"status": "negative"}, headers=HTML)
    assert "No negative retest order" in negative.text


def test_pages_outside_the_area_are_not_found(anon_client: TestClient, db: Session, bearer):  # type: ignore[no-untyped-def]
    city, _good, _bad = seed(db)
    pine = bearer("pine-epi", ["epidemiologist"], "community", city.communities[1].id)
    who = city.residents["wang_xiuying"].id
    r = anon_client.get(f"/testing/residents/{who}", headers={**HTML, **pine})
    assert r.status_code == 404
    html = anon_client.get("/testing", headers={**HTML, **pine}).text
    assert 'name="file"' in html
    worker = bearer("cw", ["community_worker"])
    assert anon_client.get("/testing", headers={**HTML, **worker}).status_code == 403


def test_staff_pages_need_a_sign_in(anon_client: TestClient):
    r = anon_client.get("/testing", headers=HTML)
    assert r.status_code == 303 and r.headers["location"].startswith("/signin")
