"""Use cases of the certificates domain: signer keys, issuing, revoking, trust lists.

Vaccination calls `issue_vaccination`; test and recovery certificates are issued here
from testing's single-tube results and from cases' first positive test.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from sqlalchemy.orm import Session

from epidesk.cases import service as cases
from epidesk.certificates import repository, rules
from epidesk.certificates.engine import generate_signer, load_private_key
from epidesk.certificates.hcert import engine as hcert
from epidesk.certificates.hcert import trust as hcert_trust
from epidesk.certificates.hcert.rules import KINDS, Outcome, TrustList, revocation_hash
from epidesk.certificates.models import CertificateRevocation, IssuedCertificate, SignerKey
from epidesk.errors import ConflictError, NotFoundError, ValidationFailedError
from epidesk.kit import clock
from epidesk.kit.merges import Merge
from epidesk.kit.sealing import open_sealed, seal
from epidesk.people import repository as people
from epidesk.testing import service as testing

DEFAULT_COUNTRY = "CN"
DEFAULT_ISSUER = "Epidesk health authority"
ALL_USAGES = ("vaccination", "test", "recovery")
TRUST_LIST_FORMAT = "epidesk-dcc-trust-list"


def invalid_field(field: str, message: str) -> ValidationFailedError:
    """A 422 problem naming the field."""
    return ValidationFailedError(f"{field}: {message}", errors=[
        {"loc": ["body", field], "msg": message, "type": "value_error"}])


# ---------------------------------------------------------------------------- keys

def _check_key_input(country: str, days: int, usages: Sequence[str]) -> None:
    if len(country) != 2 or not country.isascii() or not country.isupper():
        raise invalid_field("country", "two capital letters (ISO 3166-1 alpha-2)")
    if not 1 <= days <= 3650:
        raise invalid_field("days", "between 1 and 3650")
    unknown = sorted(set(usages) - set(ALL_USAGES))
    if unknown or not usages:
        raise invalid_field("usages", f"some of {', '.join(ALL_USAGES)}")


def generate_key(session: Session, *, actor: str, country: str = DEFAULT_COUNTRY,
                 issuer: str = DEFAULT_ISSUER, days: int = 730,
                 usages: Sequence[str] = ALL_USAGES, now: datetime | None = None,
                 replace: bool = False) -> SignerKey:
    """A new active signer key. Refused while another key is active unless `replace`
    (a rotation), which retires the active keys: they sign nothing new and stay in the
    trust list until their certificates expire."""
    _check_key_input(country, days, usages)
    moment = now or clock.now()
    active = repository.active_keys(session)
    if active and not replace:
        raise ConflictError(f"key {active[0].kid} is active: rotate it instead")
    for key in active:
        key.state, key.retired_at = "retired", moment
    made = generate_signer(country=country, organisation=issuer[:64],
                           common_name=f"{issuer[:40]} DSC {moment:%Y%m%d%H%M%S}",
                           valid_from=moment - timedelta(minutes=5),
                           valid_until=moment + timedelta(days=days), usages=tuple(usages))
    key = SignerKey(kid=made.kid.hex(), country=country, issuer=issuer[:80],
                    usages=",".join(usages), certificate_der=made.certificate_der,
                    private_key_sealed=seal(made.private_key_pem),
                    valid_from=moment - timedelta(minutes=5),
                    valid_until=moment + timedelta(days=days), state="active",
                    created_at=moment, created_by=actor)
    session.add(key)
    session.flush()
    return key


def revoke_key(session: Session, *, kid: str, reason: str, actor: str,
               now: datetime | None = None) -> SignerKey:
    """Revoke a signer key: left out of every trust list exported from now on."""
    key = repository.signer_key(session, kid.lower())
    if key is None:
        raise NotFoundError(f"no signer key {kid}")
    if not reason.strip():
        raise invalid_field("reason", "say why the key is revoked")
    if key.state == "revoked":
        raise ConflictError(f"key {kid} is already revoked")
    key.state, key.revoked_at, key.revoked_by = "revoked", now or clock.now(), actor
    key.revocation_reason = reason.strip()
    session.flush()
    return key


def list_keys(session: Session) -> Sequence[SignerKey]:
    return repository.signer_keys(session)


def _signing_key(session: Session, kind: str, at: datetime) -> SignerKey:
    for key in repository.active_keys(session):
        if kind in key.usages.split(",") and clock.aware(key.valid_until) > at:
            return key
    raise ConflictError(f"no active signer key may sign {kind} certificates: run "
                        "`epidesk certificates keys generate` (or rotate)")


def trust_list_document(session: Session, *, at: datetime | None = None) -> dict[str, Any]:
    """This platform's trust list: the signer certificates to trust (the gateway's
    entries: kid, country, certificateType DSC, base64 DER) and the revoked identifier
    hashes (UCI hash type, base64 of the first 16 bytes of SHA-256)."""
    moment = at or clock.now()
    return {
        "format": TRUST_LIST_FORMAT, "version": 1,
        "generated": moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "certificates": gateway_entries(session, at=moment),
        "revoked": {"hashType": "UCI", "hashes": [
            base64.b64encode(bytes.fromhex(h)).decode("ascii")
            for h in repository.revoked_hashes(session)]},
    }


def gateway_entries(session: Session, *, at: datetime) -> list[dict[str, Any]]:
    """The trusted signer certificates in the gateway's JSON form, each with what a
    browser verifier reads without parsing X.509: the public key (base64 SPKI), the
    validity and the kinds it may sign (empty: every kind)."""
    out = []
    for k in repository.trusted_keys(session, at):
        signer = hcert_trust.signer_from_der(k.certificate_der, country=k.country)
        out.append({
            "kid": base64.b64encode(bytes.fromhex(k.kid)).decode("ascii"),
            "country": k.country, "certificateType": "DSC",
            "rawData": base64.b64encode(k.certificate_der).decode("ascii"),
            "timestamp": clock.aware(k.created_at).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "publicKey": base64.b64encode(signer.public_key.public_bytes(
                serialization.Encoding.DER,
                serialization.PublicFormat.SubjectPublicKeyInfo)).decode("ascii"),
            "notBefore": int(signer.valid_from), "notAfter": int(signer.valid_until),
            "usages": sorted(signer.usages)})
    return out


def trust_list(session: Session, *, at: datetime | None = None) -> TrustList:
    """The trust list as a verifier reads it."""
    trust = TrustList()
    for key in repository.trusted_keys(session, at or clock.now()):
        trust.add(hcert_trust.signer_from_der(key.certificate_der, country=key.country))
    trust.revoked = {bytes.fromhex(h) for h in repository.revoked_hashes(session)}
    return trust


# ---------------------------------------------------------------------------- issuing

@dataclass(frozen=True)
class Issued:
    certificate: IssuedCertificate
    payload: dict[str, Any]


def _holder(session: Session, resident_id: int) -> rules.Holder:
    found = people.resident_with_area(session, resident_id)
    if found is None:
        raise NotFoundError(f"no resident {resident_id}")
    resident = found[0]
    if resident.merged_into_id is not None:
        raise ConflictError(f"resident {resident_id} was merged into "
                            f"resident {resident.merged_into_id}")
    return rules.Holder(name=resident.name, name_latin=resident.name_latin,
                        birth_date=resident.birth_date)


def _issue(session: Session, *, kind: str, resident_id: int, source: str, event_day: date,
           payload: dict[str, Any], validity: rules.Validity, country: str, actor: str
           ) -> Issued:
    errors = hcert.schema_errors(payload)
    if errors:
        raise ValidationFailedError(f"the certificate would not follow the DCC schema: "
                                    f"{'; '.join(errors)}")
    key = _signing_key(session, kind, validity.issued_at)
    text = hcert.encode(payload, private_key=load_private_key(open_sealed(
        key.private_key_sealed)), kid=bytes.fromhex(key.kid), issuer_country=country,
        issued_at=int(validity.issued_at.timestamp()),
        expires_at=int(validity.expires_at.timestamp()))
    group = {v: k for k, v in KINDS.items()}[kind]
    certificate = IssuedCertificate(
        identifier=payload[group][0]["ci"], kind=kind, resident_id=resident_id,
        signer_key_id=key.id, source=source, event_day=event_day,
        issued_at=validity.issued_at, expires_at=validity.expires_at, issued_by=actor,
        text=text)
    session.add(certificate)
    session.flush()
    return Issued(certificate, payload)


def issue_vaccination(session: Session, *, resident_id: int, dose_number: int,
                      total_doses: int, product: str, manufacturer: str, vaccine_type: str,
                      day: date, country: str = DEFAULT_COUNTRY,
                      issuer: str = DEFAULT_ISSUER, actor: str,
                      now: datetime | None = None) -> IssuedCertificate:
    """A vaccination certificate of one dose, for the vaccination domain to call."""
    if not 1 <= dose_number <= 99:
        raise invalid_field("dose_number", "between 1 and 99")
    if not 1 <= total_doses <= 99:
        raise invalid_field("total_doses", "between 1 and 99")
    for name, value in (("product", product), ("manufacturer", manufacturer)):
        if not value.strip() or len(value) > 80:
            raise invalid_field(name, "1 to 80 characters")
    moment = now or clock.now()
    if day > moment.date() + timedelta(days=1):
        raise invalid_field("day", "a dose cannot be given in the future")
    holder = _holder(session, resident_id)
    identifier = rules.new_identifier(country, "vaccination")
    payload = rules.vaccination_payload(
        holder, identifier=identifier, dose_number=dose_number, total_doses=total_doses,
        product=product.strip(), manufacturer=manufacturer.strip(),
        vaccine_type=vaccine_type, day=day, country=country, issuer=issuer)
    return _issue(session, kind="vaccination", resident_id=resident_id,
                  source=f"dose:{dose_number}:{day.isoformat()}", event_day=day,
                  payload=payload, validity=rules.validity("vaccination", now=moment,
                                                           event=day),
                  country=country, actor=actor).certificate


def issue_test(session: Session, *, resident_id: int, sample_code: str,
               country: str = DEFAULT_COUNTRY, issuer: str = DEFAULT_ISSUER, actor: str,
               now: datetime | None = None) -> IssuedCertificate:
    """A test certificate of one of the resident's single-tube results (negative or
    positive); refused for a pooled tube, an invalid result, or a sample not theirs."""
    history = testing.testing_history(session, resident_id=resident_id)
    found = next(((s, t) for s, t in history.samples if s.code == sample_code), None)
    if found is None:
        raise invalid_field("sample_code", f"resident {resident_id} has no sample {sample_code}")
    sample, tube = found
    if tube.kind != "single":
        raise invalid_field("sample_code", "a pooled tube certifies no one: only single-tube "
                                      "results do")
    if tube.outcome not in rules.RESULTS:
        raise invalid_field("sample_code", f"the result is {tube.outcome}")
    moment = now or clock.now()
    sampled = clock.aware(sample.collected_at)
    holder = _holder(session, resident_id)
    payload = rules.test_payload(holder, identifier=rules.new_identifier(country, "test"),
                                 outcome=tube.outcome, sampled_at=sampled,
                                 centre=tube.collection_site, country=country, issuer=issuer)
    return _issue(session, kind="test", resident_id=resident_id,
                  source=f"sample:{sample.code}", event_day=sampled.date(), payload=payload,
                  validity=rules.validity("test", now=moment, event=sampled),
                  country=country, actor=actor).certificate


def issue_recovery(session: Session, *, resident_id: int, country: str = DEFAULT_COUNTRY,
                   issuer: str = DEFAULT_ISSUER, actor: str,
                   now: datetime | None = None) -> IssuedCertificate:
    """A recovery certificate from the resident's first positive test: the sampling
    day of their first case episode that was not withdrawn."""
    episodes = [e for e in cases.resident_cases(session, resident_id=resident_id)
                if e.status != "withdrawn"]
    if not episodes:
        raise invalid_field("resident_id", f"resident {resident_id} has no case: a recovery "
                                      "certificate needs a positive test")
    first = min(episodes, key=lambda e: (e.sampling_date, e.id))
    moment = now or clock.now()
    if rules.recovery_dates(first.sampling_date)[1] <= moment.date():
        raise invalid_field("resident_id", "the first positive test is more than 180 days ago")
    holder = _holder(session, resident_id)
    payload = rules.recovery_payload(holder, identifier=rules.new_identifier(
        country, "recovery"), first_positive=first.sampling_date, country=country,
        issuer=issuer)
    return _issue(session, kind="recovery", resident_id=resident_id,
                  source=f"case:{first.id}", event_day=first.sampling_date, payload=payload,
                  validity=rules.validity("recovery", now=moment, event=first.sampling_date),
                  country=country, actor=actor).certificate


# ---------------------------------------------------------------------------- reading

def certificate(session: Session, *, certificate_id: int) -> IssuedCertificate:
    found = repository.issued(session, certificate_id)
    if found is None:
        raise NotFoundError(f"no certificate {certificate_id}")
    return found


def resident_certificates(session: Session, *, resident_id: int
                          ) -> Sequence[IssuedCertificate]:
    return repository.resident_certificates(session, resident_id)


def is_revoked(session: Session, *, identifier: str) -> bool:
    return repository.revocation(session, revocation_hash(identifier).hex()) is not None


def revoke_certificate(session: Session, *, identifier: str, reason: str, actor: str,
                       now: datetime | None = None) -> CertificateRevocation:
    """Put a certificate identifier on the revocation list (as its hash)."""
    identifier = identifier.strip()
    if not identifier or len(identifier) > 80:
        raise invalid_field("identifier", "a certificate identifier of 1 to 80 characters")
    if not reason.strip():
        raise invalid_field("reason", "say why the certificate is revoked")
    digest = revocation_hash(identifier).hex()
    if repository.revocation(session, digest) is not None:
        raise ConflictError("this certificate is already revoked")
    revoked = CertificateRevocation(identifier_hash=digest, revoked_at=now or clock.now(),
                                    revoked_by=actor, reason=reason.strip())
    session.add(revoked)
    session.flush()
    return revoked


def verify_here(session: Session, *, text: str, at: datetime | None = None) -> Outcome:
    """Verify a certificate against this platform's own trust list."""
    moment = clock.aware(at) if at is not None else clock.now()
    trust = trust_list(session, at=moment)
    return hcert.verify(text, signers=trust.signers, revoked=trust.revoked,
                        at=int(moment.timestamp()))


def merge_person_rows(session: Session, merge: Merge) -> list[str]:
    moved = repository.move_certificates(session, from_id=merge.merged_id,
                                         to_id=merge.survivor_id)
    return [f"{moved} certificates moved"] if moved else []
