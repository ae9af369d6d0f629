"""Signer keys, issuing from testing, cases and vaccination, revoking, trust lists."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.cases import service as cases
from epidesk.certificates import service
from epidesk.certificates.hcert import engine
from epidesk.certificates.hcert import trust as hcert_trust
from epidesk.certificates.models import SignerKey
from epidesk.errors import ConflictError, NotFoundError, ValidationFailedError
from tests.factories import tiny_city
from tests.testing.batches import csv_bytes, single

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _verify(db: Session, text: str, at: datetime = NOW) -> object:
    return service.verify_here(db, text=text, at=at)


def test_keys_are_generated_rotated_and_revoked(db: Session):
    first = service.generate_key(db, actor="test", now=NOW)
    assert first.state == "active" and len(first.kid) == 16
    assert first.private_key_sealed and "PRIVATE" not in first.private_key_sealed
    with pytest.raises(ConflictError):
        service.generate_key(db, actor="test", now=NOW)
    second = service.generate_key(db, actor="test", now=NOW, replace=True)
    assert (first.state, second.state) == ("retired", "active")
    document = service.trust_list_document(db, at=NOW)
    assert {c["country"] for c in document["certificates"]} == {"CN"}
    assert len(document["certificates"]) == 2  # the retired key still verifies its own
    service.revoke_key(db, kid=first.kid, reason="key material exposed", actor="test")
    kids = [c["kid"] for c in service.trust_list_document(db, at=NOW)["certificates"]]
    assert len(kids) == 1
    with pytest.raises(ValidationFailedError):
        service.revoke_key(db, kid=second.kid, reason=" ", actor="test")
    with pytest.raises(NotFoundError):
        service.revoke_key(db, kid="00" * 8, reason="x", actor="test")
    for bad in ({"country": "China"}, {"days": 0}, {"usages": ("passport",)}):
        with pytest.raises(ValidationFailedError):
            service.generate_key(db, actor="test", now=NOW, replace=True,
                                 **bad)  # type: ignore[arg-type]


def test_a_vaccination_certificate_is_issued_verified_and_revoked(db: Session):
    city = tiny_city(db)
    service.generate_key(db, actor="test", now=NOW)
    resident = city.residents["li_na"]
    issued = service.issue_vaccination(
        db, resident_id=resident.id, dose_number=1, total_doses=2, product="BBIBP-CorV",
        manufacturer="ORG-100020693", vaccine_type="inactivated", day=date(2026, 11, 20),
        actor="vaccinator", now=NOW)
    outcome = _verify(db, issued.text)
    assert outcome.valid, outcome.reason  # type: ignore[attr-defined]
    assert outcome.minimum()["name"] == {"fn": "李", "gn": "娜", "fnt": "LI",  # type: ignore[attr-defined]
                                         "gnt": "NA"}
    assert [c.id for c in service.resident_certificates(db, resident_id=resident.id)] == [
        issued.id]
    service.revoke_certificate(db, identifier=issued.identifier, reason="issued in error",
                               actor="test")
    assert _verify(db, issued.text).step == "revoked"  # type: ignore[attr-defined]
    stored = service.trust_list_document(db, at=NOW)["revoked"]
    assert stored["hashType"] == "UCI" and len(stored["hashes"]) == 1
    assert issued.identifier not in json.dumps(stored)
    with pytest.raises(ConflictError):
        service.revoke_certificate(db, identifier=issued.identifier, reason="again",
                                   actor="test")
    with pytest.raises(ValidationFailedError):
        service.issue_vaccination(db, resident_id=resident.id, dose_number=0, total_doses=2,
                                  product="x", manufacturer="y", vaccine_type="inactivated",
                                  day=date(2026, 11, 20), actor="v", now=NOW)


def test_nothing_is_issued_without_an_active_key(db: Session):
    city = tiny_city(db)
    with pytest.raises(ConflictError):
        service.issue_vaccination(
            db, resident_id=city.residents["li_na"].id, dose_number=1, total_doses=2,
            product="BBIBP-CorV", manufacturer="ORG-100020693", vaccine_type="inactivated",
            day=date(2026, 11, 20), actor="v", now=NOW)


def test_test_and_recovery_certificates_come_from_results_and_cases(db: Session):
    city = tiny_city(db)
    service.generate_key(db, actor="test", now=NOW)
    li, wang = city.residents["li_na"], city.residents["wang_xiulan"]
    rows = [single("CN-NEG", li.id, outcome="negative"),
            single("CN-POS", wang.id, outcome="positive", ct=(24.0, 25.0))]
    result = cases.ingest_results(db, content=csv_bytes(rows), filename="c.csv",
                                  received_by="test")
    assert result.accepted, result.report
    negative = service.issue_test(db, resident_id=li.id, sample_code="CN-NEG", actor="t",
                                  now=NOW)
    outcome = _verify(db, negative.text)
    assert outcome.valid and outcome.minimum()["certified"]["result"] == "260415000"  # type: ignore[attr-defined]
    # 72 hours after sampling (2026-11-21 00:00 UTC) the test certificate has expired.
    assert _verify(db, negative.text, NOW + timedelta(days=3)).step == "expired"  # type: ignore[attr-defined]
    with pytest.raises(ValidationFailedError):  # not li's sample
        service.issue_test(db, resident_id=li.id, sample_code="CN-POS", actor="t", now=NOW)
    with pytest.raises(ValidationFailedError):  # no case
        service.issue_recovery(db, resident_id=li.id, actor="t", now=NOW)
    recovered = service.issue_recovery(db, resident_id=wang.id, actor="t",
                                       now=NOW + timedelta(days=12))
    shown = _verify(db, recovered.text, NOW + timedelta(days=12)).minimum()  # type: ignore[attr-defined]
    assert shown["certified"] == {"kind": "recovery", "first_positive": "2026-11-21",
                                  "valid_from": "2026-12-02", "valid_until": "2027-05-20"}
    assert recovered.source.startswith("case:")


def test_the_signer_key_is_sealed_and_certificates_verify_with_the_exported_list(db: Session):
    city = tiny_city(db)
    key = service.generate_key(db, actor="test", now=NOW, usages=("vaccination",))
    issued = service.issue_vaccination(
        db, resident_id=city.residents["zhao_lei"].id, dose_number=3, total_doses=3,
        product="CoronaVac", manufacturer="Sinovac", vaccine_type="inactivated",
        day=date(2026, 11, 21), actor="v", now=NOW)
    exported = json.dumps(service.trust_list_document(db, at=NOW)).encode()
    trust = hcert_trust.read_trust_list(exported)
    outcome = engine.verify(issued.text, signers=trust.signers, revoked=trust.revoked,
                            at=int(NOW.timestamp()))
    assert outcome.valid and outcome.kid and outcome.kid.hex() == key.kid
    stored = db.scalars(select(SignerKey)).one()
    assert "BEGIN" not in stored.private_key_sealed
    with pytest.raises(ConflictError):  # the key may sign vaccination certificates only
        service._signing_key(db, "recovery", NOW)
