"""Escorted trips on the staff pages: the dispatch form on a medical-emergency ticket, the
phone-sized trip page with its steps (a refused step says why and changes nothing; a
repeated hand-off changes nothing), the board, the plan form."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.auth.deps import PRESESSION_COOKIE
from epidesk.hotline.models import EscortTrip
from epidesk.kit import clock
from tests.hotline.escorts.scene import emergency


def _post(client: TestClient, url: str, **form: str) -> Any:
    client.get("/signin")
    return client.post(url, data={**form, "csrf_token": client.cookies.get(PRESESSION_COOKIE)},
                       follow_redirects=True)


def test_an_operator_dispatches_from_the_ticket_and_the_escort_steps_through(
        db: Session, client: TestClient) -> None:
    _, ticket = emergency(db)
    page = client.get(f"/hotline/staff/tickets/{ticket.id}")
    assert page.status_code == 200 and f"/hotline/staff/tickets/{ticket.id}/escort" in page.text
    sent = _post(client, f"/hotline/staff/tickets/{ticket.id}/escort",
                 destination="No. 1 People's Hospital", arrives_in="25", vehicle="Ambulance 3",
                 driver_name="Liu Yang", driver_phone="13600000001", escort_name="Nurse Sun")
    trip = db.scalars(select(EscortTrip)).one()
    assert sent.status_code == 200 and str(sent.url).endswith(f"/hotline/escorts/{trip.id}")
    assert "Zhao Lei" in sent.text or "赵磊" in sent.text
    assert 'value="pickup"' in sent.text and 'value="handoff"' in sent.text
    steps = f"/hotline/escorts/{trip.id}/steps"
    assert "done=changed" in str(_post(client, steps, step="pickup").url)
    refused = _post(client, steps, step="handoff", received_by=" ")
    assert refused.status_code == 422 and 'id="refused"' in refused.text
    assert trip.handed_off_at is None
    first = _post(client, steps, step="handoff", received_by="Dr Wang, emergency")
    again = _post(client, steps, step="handoff", received_by="Dr Li")
    assert "done=changed" in str(first.url) and "done=already" in str(again.url)
    assert trip.handed_off_to == "Dr Wang, emergency"
    assert 'value="back"' in again.text and 'value="admitted"' in again.text
    admitted = _post(client, steps, step="admitted", reason="cardiology ward")
    assert admitted.status_code == 200 and trip.status == "admitted"
    ticket_page = client.get(f"/hotline/staff/tickets/{ticket.id}")
    assert f'href="/hotline/escorts/{trip.id}"' in ticket_page.text
    board = client.get("/hotline/escorts")
    assert board.status_code == 200 and f'/hotline/escorts/{trip.id}"' in board.text


def test_the_plan_form_schedules_and_refuses_a_free_household(db: Session,
                                                             client: TestClient) -> None:
    city, _ = emergency(db)
    form = client.get("/hotline/escort-plans/new")
    assert form.status_code == 200 and 'name="weekdays"' in form.text
    fields = {"kind": "dialysis", "facility": "Renal unit", "weekdays": "1,2,3,4,5,6,7",
              "starts_on": "2026-12-01", "ends_on": "2027-01-31", "departs": "07:30",
              "arrives": "08:00", "back": "12:00"}
    free = _post(client, "/hotline/escort-plans",
                 resident_id=str(city.residents["wang_fang"].id), **fields)
    assert free.status_code == 422 and db.scalar(select(EscortTrip.id)) is None
    made = _post(client, "/hotline/escort-plans",
                 resident_id=str(city.residents["li_na"].id), **fields)
    assert made.status_code == 200
    # The zone is in force today but planned to have ended: only today's session is
    # escorted, later ones are left until the zone is seen to continue.
    trips = db.scalars(select(EscortTrip)).all()
    assert [(t.session_on, t.status) for t in trips] == [(clock.city_today(), "scheduled")]


def test_the_trip_page_reads_in_chinese_and_english(db: Session, client: TestClient) -> None:
    from tests.hotline.escorts.scene import dispatched

    _, _, trip = dispatched(db)
    chinese = client.get(f"/hotline/escorts/{trip.id}", headers={"accept-language": "zh"})
    english = client.get(f"/hotline/escorts/{trip.id}", headers={"accept-language": "en"})
    assert f"护送行程 {trip.id}" in chinese.text and "已在家门口接上" in chinese.text
    assert f"Escorted trip {trip.id}" in english.text and "Picked up at the door" in english.text
    assert '<meta name="viewport"' in english.text
