"""The certificates API and the printable page: issuing (audited), QR codes, and public
verification that records nothing."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.certificates import service
from epidesk.certificates.engine import read_qr_image
from tests.factories import tiny_city


def _audit_count(db: Session) -> int:
    from epidesk.auth.models import AuditEntry

    return int(db.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_issue_print_and_verify(db: Session, client: TestClient):
    city = tiny_city(db)
    service.generate_key(db, actor="test")
    resident = city.residents["chen_jing"]
    made = client.post("/api/certificates/vaccination", json={
        "resident_id": resident.id, "dose_number": 1, "total_doses": 2,
        "product": "BBIBP-CorV", "manufacturer": "ORG-100020693", "day": "2026-11-20"})
    assert made.status_code == 201, made.text
    issued = made.json()
    assert issued["text"].startswith("HC1:") and issued["kind"] == "vaccination"
    png = client.get(f"/api/certificates/{issued['id']}/qr.png")
    assert png.headers["content-type"] == "image/png"
    assert read_qr_image(png.content) == [issued["text"]]
    svg = client.get(f"/api/certificates/{issued['id']}/qr.svg")
    assert svg.text.startswith("<svg")
    page = client.get(f"/certificates/{issued['id']}/print", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert "新冠疫苗接种证明" in page.text and "COVID-19 vaccination certificate" in page.text
    assert "CHEN" in page.text and "1995-07-07" in page.text and "<svg" in page.text
    record = client.get(f"/api/people/{resident.id}").json()
    panel = next(p for p in record["panels"] if p["key"] == "certificates")
    assert [c["identifier"] for c in panel["data"]["certificates"]] == [issued["identifier"]]
    before = _audit_count(db)
    client.headers.pop("Authorization")
    checked = client.post("/api/public/certificates/verify", json={"text": issued["text"]})
    assert checked.status_code == 200
    body = checked.json()
    assert body["valid"] is True and body["dob"] == "1995-07-07"
    assert body["certified"]["dose"] == 1 and "resident_id" not in body
    bad = client.post("/api/public/certificates/verify", json={"text": "HC1:NOPE"})
    assert bad.json()["valid"] is False and bad.json()["step"] == "base45"
    assert _audit_count(db) == before  # verifying records nothing
    trust = client.get("/api/public/certificates/trust-list").json()
    assert len(trust["certificates"]) == 1 and trust["certificates"][0]["country"] == "CN"
    assert date.fromisoformat(trust["generated"][:10])


def test_bad_input_names_the_field_and_changes_nothing(db: Session, client: TestClient):
    city = tiny_city(db)
    service.generate_key(db, actor="test")
    resident = city.residents["chen_jing"]
    wrong = client.post("/api/certificates/vaccination", json={
        "resident_id": resident.id, "dose_number": 0, "total_doses": 2,
        "product": "BBIBP-CorV", "manufacturer": "ORG-100020693", "day": "2026-11-20"})
    assert wrong.status_code == 422 and "dose_number" in wrong.text
    no_sample = client.post("/api/certificates/test", json={"resident_id": resident.id,
                                                            "sample_code": "NOPE"})
    assert no_sample.status_code == 422 and "sample_code" in no_sample.text
    assert service.resident_certificates(db, resident_id=resident.id) == []
    too_long = client.post("/api/public/certificates/verify", json={"text": "HC1:" + "A" * 9000})
    assert too_long.status_code == 422
