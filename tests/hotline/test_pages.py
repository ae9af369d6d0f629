"""The hotline's pages: the public form (CSRF, validation, two languages), following by
reference, the staff queue and ticket."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.auth.deps import PRESESSION_COOKIE
from epidesk.hotline.models import Ticket
from epidesk.quarantine import service as quarantine
from tests.factories import tiny_city
from tests.quarantine.helpers import load_facilities


def _file(client: TestClient, **fields: str) -> object:
    client.get("/hotline")
    form = {"category": "quarantine_conditions", "description": "no hot water in room 12",
            "contact_name": "Chen Jie", "contact_phone": "13700000003", "facility_id": "",
            "csrf_token": client.cookies.get(PRESESSION_COOKIE) or ""}
    form.update(fields)
    return client.post("/hotline", data=form)


def test_a_resident_files_the_form_and_follows_the_ticket(db: Session, anon_client: TestClient
                                                         ) -> None:
    hotel = load_facilities(db, tiny_city(db))["H1"]
    page = anon_client.get("/hotline", headers={"accept-language": "zh"})
    assert page.status_code == 200 and "市民热线" in page.text
    nowhere = _file(anon_client, facility_id="999999")
    assert nowhere.status_code == 422  # type: ignore[attr-defined]
    answer = _file(anon_client, facility_id=str(hotel))
    assert answer.status_code == 201, answer.text  # type: ignore[attr-defined]
    ticket = db.scalars(select(Ticket)).one()
    assert ticket.facility_id == hotel and ticket.channel == "web"
    # The complaint counts in the facility's record, by the ticket's number.
    assert quarantine.complaint_count(db, facility_id=hotel) == 1
    assert ticket.reference in answer.text  # type: ignore[attr-defined]
    followed = anon_client.get("/hotline/follow", params={"reference": ticket.reference},
                               headers={"accept-language": "en"})
    assert followed.status_code == 200 and "quarantine conditions" in followed.text
    assert "Chen Jie" not in followed.text and "13700000003" not in followed.text
    unknown = anon_client.get("/hotline/follow", params={"reference": "00000-00000"},
                              headers={"accept-language": "en"})
    wrong = anon_client.get("/hotline/follow", params={"reference": "x"},
                            headers={"accept-language": "en"})
    assert unknown.status_code == wrong.status_code == 404

    def alert(text: str) -> str:
        return re.findall(r'role="alert"[^>]*>([^<]*)<', text)[0]

    assert alert(unknown.text) == alert(wrong.text)


def test_the_public_form_needs_its_csrf_token_and_valid_fields(db: Session,
                                                             anon_client: TestClient) -> None:
    forged = _file(anon_client, csrf_token="forged")
    assert forged.status_code == 403  # type: ignore[attr-defined]
    bad = _file(anon_client, description="  ")
    assert bad.status_code == 422 and "What happened" in bad.text  # type: ignore[attr-defined]
    phone = _file(anon_client, contact_phone="call me")
    assert phone.status_code == 422  # type: ignore[attr-defined]
    assert db.scalar(select(Ticket.id)) is None


def test_staff_queue_and_ticket_pages(db: Session, client: TestClient,
                                      anon_client: TestClient) -> None:
    hotel = load_facilities(db, tiny_city(db))["H1"]
    _file(anon_client, facility_id=str(hotel))
    ticket = db.scalars(select(Ticket)).one()
    queue = client.get("/hotline/staff")
    assert queue.status_code == 200 and ticket.reference in queue.text and "Chen Jie" in queue.text
    page = client.get(f"/hotline/staff/tickets/{ticket.id}")
    assert page.status_code == 200 and "no hot water" in page.text
    assert f'href="/quarantine/facilities/{hotel}"' in page.text
