"""The vaccination pages: public booking, the staff overview, the campaign check, a site's
day with the dose form, and booking on a resident's behalf."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epidesk.auth.deps import PRESESSION_COOKIE
from epidesk.vaccination.booking import repository
from tests.vaccination.scene import LOT, scene


def _book(client: TestClient, **form: str):  # type: ignore[no-untyped-def]
    client.get("/vaccination/book")
    return client.post("/vaccination/book", data={
        **form, "csrf_token": client.cookies.get(PRESESSION_COOKIE) or ""})


def test_public_booking_with_identity_number_and_birth_date(db: Session,
                                                            anon_client: TestClient) -> None:
    s = scene(db)
    person = s.city.residents["li_qiang"]
    assert person.id_number
    page = anon_client.get("/vaccination/book")
    assert page.status_code == 200 and "Identity number" in page.text
    options = _book(anon_client, id_number=person.id_number,
                    birth_date=person.birth_date.isoformat())
    assert options.status_code == 200
    assert "Dose 1: free places" in options.text and "Rencheng health centre" in options.text
    assert person.name not in options.text  # nothing of the record beyond the proof
    booked = _book(anon_client, id_number=person.id_number,
                   birth_date=person.birth_date.isoformat(),
                   place=f"{s.site.id}/{s.today.isoformat()}", reminders="yes")
    assert booked.status_code == 200 and 'id="booked"' in booked.text
    found = repository.booked_for(db, person.id, 1)
    assert found is not None and found.channel == "public"
    assert repository.consent(db, person.id).opted_in  # type: ignore[union-attr]


def test_a_mismatch_reads_the_same_whether_or_not_the_number_exists(
        db: Session, anon_client: TestClient) -> None:
    s = scene(db)
    person = s.city.residents["li_qiang"]
    assert person.id_number
    wrong_birth = _book(anon_client, id_number=person.id_number, birth_date="1970-01-01")
    nobody = _book(anon_client, id_number="999999197001019999", birth_date="1970-01-01")
    assert wrong_birth.status_code == nobody.status_code == 422

    def shown(text: str) -> str:
        text = re.sub(r'name="csrf_token" value="[^"]*"', "", text)
        return text.replace(person.id_number or "", "N").replace("999999197001019999", "N")

    assert shown(wrong_birth.text) == shown(nobody.text)
    assert "could not confirm these details" in nobody.text
    bad_day = _book(anon_client, id_number="x", birth_date="31/12/1970")
    assert bad_day.status_code == 422 and "YYYY-MM-DD" in bad_day.text
    forged = anon_client.post("/vaccination/book", data={"id_number": "x",
                                                          "birth_date": "1970-01-01",
                                                          "csrf_token": "forged"})
    assert forged.status_code == 403


def test_the_public_page_speaks_chinese(db: Session, anon_client: TestClient) -> None:
    scene(db)
    page = anon_client.get("/vaccination/book", headers={"Accept-Language": "zh"})
    assert "预约" in page.text and 'lang="zh' in page.text


def test_a_dose_recorded_on_the_site_page(db: Session, client: TestClient) -> None:
    from epidesk.certificates import service as certificates

    s = scene(db)
    certificates.generate_key(db, actor="test")
    person = s.city.residents["chen_jie"].id
    client.get("/signin")
    page = client.get(f"/vaccination/sites/{s.site.id}", headers={"accept": "text/html"})
    assert page.status_code == 200 and LOT in page.text
    token = client.cookies.get(PRESESSION_COOKIE)
    done = client.post(f"/vaccination/sites/{s.site.id}/doses", data={
        "resident_id": str(person), "product": "coronavac", "lot": LOT, "vaccinator": "Dr Liu",
        "csrf_token": token or ""})
    assert done.status_code == 303
    after = client.get(done.headers["location"], headers={"accept": "text/html"})
    assert "Dose recorded." in after.text
    assert (s.today + timedelta(days=21)).isoformat() in after.text
    link = re.search(r'href="(/certificates/\d+/print)" id="certificate"', after.text)
    assert link is not None
    printed = client.get(link.group(1), headers={"accept": "text/html"})
    assert printed.status_code == 200 and "新冠疫苗接种证明" in printed.text
    assert "<svg" in printed.text
    assert [d.lot for d in repository.doses_of(db, person)] == [LOT]


def test_the_overview_and_the_campaign_check(db: Session, client: TestClient) -> None:
    s = scene(db)
    page = client.get("/vaccination", headers={"accept": "text/html"})
    assert page.status_code == 200 and 'id="coverage"' in page.text
    client.get("/signin")
    checked = client.post("/vaccination/campaigns", data={
        "district_id": str(s.city.districts[0].id), "first_day": s.today.isoformat(),
        "last_day": (s.today + timedelta(days=2)).isoformat(), "target_doses": "54000",
        "csrf_token": client.cookies.get(PRESESSION_COOKIE) or ""})
    assert checked.status_code == 200
    assert "Not feasible" in checked.text and 'id="suggestions"' in checked.text
    bad = client.post("/vaccination/campaigns", data={
        "district_id": str(s.city.districts[0].id), "first_day": "tomorrow",
        "last_day": "2026-12-01", "target_doses": "5",
        "csrf_token": client.cookies.get(PRESESSION_COOKIE) or ""})
    assert bad.status_code == 422 and "first_day" in bad.text


def test_booking_on_behalf_shows_only_the_bookable_dose(db: Session, anon_client: TestClient,
                                                        bearer) -> None:  # type: ignore[no-untyped-def]
    s = scene(db)
    anon_client.headers.update(bearer("worker", ["community_worker"], "community",
                                      s.city.communities[0].id))
    person = s.city.residents["wang_xiulan"]
    page = anon_client.get(f"/vaccination/residents/{person.id}/book",
                           headers={"accept": "text/html"})
    assert page.status_code == 200 and "Dose 1: site and day" in page.text
    assert person.name not in page.text and LOT not in page.text
