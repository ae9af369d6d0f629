"""The hcert core: base45, signing, and every step of verification failing on its own."""

from __future__ import annotations

import base64
import json
import zlib
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives import serialization
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from epidesk.certificates import rules
from epidesk.certificates.engine import NewSigner, generate_signer, load_private_key
from epidesk.certificates.hcert import engine
from epidesk.certificates.hcert import rules as rules_hc
from epidesk.certificates.hcert import trust as hcert_trust
from epidesk.certificates.hcert.rules import TrustList, key_id, revocation_hash

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
AT = int(NOW.timestamp())


@cache
def signer(usages: tuple[str, ...] = ("vaccination", "test", "recovery"),
           days: int = 365) -> NewSigner:
    return generate_signer(country="CN", organisation="Test", common_name="Test DSC",
                           valid_from=NOW - timedelta(days=30),
                           valid_until=NOW + timedelta(days=days), usages=usages)


def trust(*signers: NewSigner, revoked: set[bytes] | None = None) -> TrustList:
    found = TrustList()
    for s in signers:
        found.add(hcert_trust.signer_from_der(s.certificate_der))
    found.revoked = revoked or set()
    return found


HOLDER = rules.Holder(name="张伟", name_latin="Zhang Wei", birth_date=date(1980, 5, 17))


def payload(ci: str = "URN:UVCI:01:CN:V0123456789ABCDEF#X") -> dict[str, Any]:
    return rules.vaccination_payload(HOLDER, identifier=ci, dose_number=2, total_doses=2,
                                     product="BBIBP-CorV", manufacturer="ORG-100020693",
                                     vaccine_type="inactivated", day=date(2026, 11, 20),
                                     country="CN", issuer="Test")


def issue(hcert: dict[str, Any] | None = None, s: NewSigner | None = None, *,
          iat: int = AT - 3600, exp: int = AT + 86400) -> str:
    s = s or signer()
    return engine.encode(hcert or payload(), private_key=load_private_key(s.private_key_pem),
                         kid=s.kid, issuer_country="CN", issued_at=iat, expires_at=exp)


def check(text: str, t: TrustList | None = None, at: int = AT) -> Any:
    t = t or trust(signer())
    return engine.verify(text, signers=t.signers, revoked=t.revoked, at=at)


# ---------------------------------------------------------------------------- base45

def test_base45_matches_the_published_examples():
    # RFC 9285, section 4.
    assert engine.b45encode(b"AB") == "BB8"
    assert engine.b45encode(b"Hello!!") == "%69 VD92EX0"
    assert engine.b45encode(b"base-45") == "UJCLQE7W581"
    assert engine.b45decode("QED8WEX0") == b"ietf!"


@given(st.binary(max_size=600))
def test_base45_round_trips(data: bytes):
    assert engine.b45decode(engine.b45encode(data)) == data


@pytest.mark.parametrize("text", ["GGW", "ZZZ", ":::", "A", "AAAA", "abc", "BB8é", "GG"])
def test_base45_refuses_what_is_not_base45(text: str):
    # GGW is 65535 + 1; ZZZ and ::: exceed two bytes; GG exceeds one byte.
    with pytest.raises(ValueError):
        engine.b45decode(text)


@given(st.binary(min_size=5460, max_size=7000))
@settings(max_examples=10)
def test_base45_decodes_texts_longer_than_a_certificate_may_be(data: bytes):
    # The decoder's precomputed mask covers the longest text verification accepts;
    # a longer text (decoded for display, never verified) still decodes whole.
    assert engine.b45decode(engine.b45encode(data).encode("ascii")) == data


@given(st.binary(min_size=64, max_size=64))
def test_the_es256_signature_becomes_the_same_der_as_the_integer_encoder(raw: bytes):
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    for signature in (raw, bytes(1) + raw[1:], bytes(33) + raw[33:], bytes(64)):
        assert engine.es256_der(signature) == encode_dss_signature(
            int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))


@given(protected=st.binary(max_size=30),
       payload=st.one_of(st.binary(max_size=300), st.binary(min_size=65000, max_size=66000)),
       signature=st.binary(min_size=60, max_size=70))
@settings(max_examples=80, suppress_health_check=[HealthCheck.too_slow])
def test_the_usual_cose_shape_is_read_as_the_cbor_decoder_reads_it(
        protected: bytes, payload: bytes, signature: bytes):
    token = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))
    items = (protected, {}, payload, signature)
    usual = len(protected) < 24 and 24 <= len(payload) < 65536 and len(signature) == 64
    assert engine._usual_sign1(token) == (items if usual else None)
    assert engine._any_sign1(token) == items  # and what it leaves, the decoder reads
    # Cut short, or with anything after it, it is not the usual shape: the general
    # decoder then reads it and says what is wrong.
    assert engine._usual_sign1(token[:-1]) is None
    assert engine._usual_sign1(token + b"\x00") is None
    if usual:  # a header in the unprotected map: not the usual shape
        at = 3 + len(protected)
        assert engine._usual_sign1(token[:at] + b"\xa1" + token[at + 1:]) is None


def test_other_cose_shapes_go_to_the_general_decoder():
    protected, payload, signature = cbor2.dumps({1: -7}), b"claims", bytes(64)
    untagged = cbor2.dumps([protected, {}, payload, signature])
    headers = cbor2.dumps(cbor2.CBORTag(18, [protected, {4: b"k" * 8}, payload, signature]))
    as_cwt = cbor2.dumps(cbor2.CBORTag(61, cbor2.CBORTag(18, [protected, {}, payload,
                                                                signature])))
    for token in (untagged, headers, as_cwt, b"", b"\xd2", b"\xd2\x84"):
        assert engine._usual_sign1(token) is None
    for token in (untagged, headers, as_cwt):
        assert engine._any_sign1(token)[2] == payload
    assert engine._any_sign1(b"\xd2\x84").step == "cose"


# ---------------------------------------------------------------------------- a valid one

def test_an_issued_certificate_verifies_and_shows_only_the_minimum():
    text = issue()
    assert text.startswith("HC1:")
    outcome = check(text)
    assert outcome.valid, outcome.reason
    assert outcome.kind == "vaccination"
    shown = outcome.minimum()
    assert shown == {"name": {"fn": "张", "gn": "伟", "fnt": "ZHANG", "gnt": "WEI"},
                     "dob": "1980-05-17",
                     "certified": {"kind": "vaccination", "dose": 2, "of": 2,
                                   "date": "2026-11-20", "product": "BBIBP-CorV"}}


def test_the_key_id_is_the_first_8_bytes_of_the_certificates_sha256():
    import hashlib

    s = signer()
    assert s.kid == hashlib.sha256(s.certificate_der).digest()[:8] == key_id(s.certificate_der)
    _, sign1 = _parts(issue())
    assert cbor2.loads(sign1[0]) == {1: -7, 4: s.kid}


def _parts(text: str) -> tuple[bytes, list[Any]]:
    token = zlib.decompress(engine.b45decode(text[4:]))
    tagged = cbor2.loads(token)
    assert tagged.tag == 18
    return token, list(tagged.value)


def test_the_payload_follows_the_published_schema_and_the_claims_are_there():
    _, sign1 = _parts(issue())
    claims = cbor2.loads(sign1[2])
    assert claims[1] == "CN" and claims[6] == AT - 3600 and claims[4] == AT + 86400
    assert claims[-260][1]["ver"] == "1.3.0"
    assert engine.schema_errors(claims[-260][1]) == []
    assert engine.schema_errors({**payload(), "dob": "17 May 1980"}) != []


# ---------------------------------------------------------------------------- each failure

def _resign(sign1: list[Any], s: NewSigner | None = None, *, protected: bytes | None = None,
            payload_bytes: bytes | None = None) -> str:
    s = s or signer()
    prot = sign1[0] if protected is None else protected
    body = sign1[2] if payload_bytes is None else payload_bytes
    sig = engine.sign_es256(load_private_key(s.private_key_pem),
                            engine.sig_structure(prot, body))
    token = cbor2.dumps(cbor2.CBORTag(18, [prot, sign1[1], body, sig]))
    return "HC1:" + engine.b45encode(zlib.compress(token))


def test_each_failure_names_its_own_step():
    good = issue()
    token, sign1 = _parts(good)
    other = signer(("vaccination", "test", "recovery"), 366)  # another key, not trusted
    claims = cbor2.loads(sign1[2])
    expected = {
        "prefix": good[4:],
        "base45": "HC1:" + good[4:-1] + "a",
        "zlib": "HC1:" + engine.b45encode(b"not zlib at all"),
        "cose": "HC1:" + engine.b45encode(zlib.compress(cbor2.dumps([1, 2]))),
        "algorithm": _resign(sign1, protected=cbor2.dumps({1: -8, 4: signer().kid})),
        "kid": issue(s=other),
        "signature": _tampered(sign1),
        "cwt": _resign(sign1, payload_bytes=cbor2.dumps({1: "CN"})),
        "not_yet_valid": issue(iat=AT + 60),
        "expired": issue(exp=AT - 60),
        "payload": _resign(sign1, payload_bytes=cbor2.dumps({**claims, -260: {}})),
        "version": issue({**payload(), "ver": "9.9.0"}),
        "schema": issue({**payload(), "dob": "17 May 1980"}),
        "revoked": good,
    }
    t = trust(signer(), revoked={revocation_hash(payload()["v"][0]["ci"])})
    for step, text in expected.items():
        outcome = check(text, t if step == "revoked" else None)
        assert not outcome.valid and outcome.step == step, (step, outcome.reason)
        assert outcome.reason.startswith(step + ":")
    assert check(good).valid and token


def _tampered(sign1: list[Any]) -> str:
    claims = cbor2.loads(sign1[2])
    claims[-260][1]["nam"]["fnt"] = "LI"
    token = cbor2.dumps(cbor2.CBORTag(18, [sign1[0], sign1[1], cbor2.dumps(claims),
                                           sign1[3]]))
    return "HC1:" + engine.b45encode(zlib.compress(token))


def test_a_signer_certificate_outside_its_validity_or_key_usage_is_refused():
    tests_only = signer(("test",))
    outcome = check(issue(s=tests_only), trust(tests_only))
    assert outcome.step == "key_usage"
    later = int((NOW + timedelta(days=400)).timestamp())
    outcome = check(issue(exp=later + 10), at=later)
    assert outcome.step == "signer_validity"


def test_several_certificates_with_one_key_id_are_all_tried():
    s = signer()
    t = trust(s)
    impostor = signer(("vaccination",), 200)
    decoy = hcert_trust.signer_from_der(impostor.certificate_der)
    t.signers[s.kid].insert(0, type(decoy)(**{**decoy.__dict__, "kid": s.kid}))
    assert check(issue(), t).valid


def _self_signed(private_key: Any) -> bytes:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ed25519

    name = x509.Name([x509.NameAttribute(x509.NameOID.COUNTRY_NAME, "CN")])
    return (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(private_key.public_key()).serial_number(1)
            .not_valid_before(NOW - timedelta(days=1)).not_valid_after(NOW + timedelta(days=1))
            .sign(private_key, None if isinstance(private_key, ed25519.Ed25519PrivateKey)
                  else hashes.SHA256()).public_bytes(serialization.Encoding.DER))


def test_a_signer_key_that_cannot_verify_the_algorithm_is_not_tried_with_it():
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    p384 = hcert_trust.signer_from_der(_self_signed(ec.generate_private_key(ec.SECP384R1())))
    rsa_key = hcert_trust.signer_from_der(_self_signed(
        rsa.generate_private_key(public_exponent=65537, key_size=2048)))
    ed = hcert_trust.signer_from_der(_self_signed(ed25519.Ed25519PrivateKey.generate()))
    assert hcert_trust.signer_from_der(signer().certificate_der).algorithm == rules_hc.ES256
    assert (p384.algorithm, rsa_key.algorithm, ed.algorithm) == (None, rules_hc.PS256, None)
    s = signer()
    for wrong in (p384, rsa_key, ed):
        only_wrong = TrustList()
        only_wrong.add(type(wrong)(**{**wrong.__dict__, "kid": s.kid}))
        outcome = check(issue(), only_wrong)
        assert (outcome.valid, outcome.step) == (False, "signature")
        both = trust(s)
        both.signers[s.kid].insert(0, only_wrong.signers[s.kid][0])
        assert check(issue(), both).valid


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_any_truncation_or_flipped_character_is_refused(data: st.DataObject):
    text = issue()
    cut = data.draw(st.integers(0, len(text) - 1))
    assert not check(text[:cut]).valid
    where = data.draw(st.integers(4, len(text) - 1))
    replacement = data.draw(st.sampled_from(engine.ALPHABET).filter(lambda c: c != text[where]))
    changed = text[:where] + replacement + text[where + 1:]
    outcome = check(changed)
    assert not outcome.valid
    assert outcome.step in {"base45", "zlib", "cose", "algorithm", "kid", "signature"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.just("valid"), st.just("other_key"), st.just("expired"),
                          st.integers(0, 400), st.text(max_size=40)), max_size=12),
       st.integers(1, 5))
def test_several_at_once_give_what_each_gives_alone(kinds: list[Any], at_once: int):
    # Valid, foreign, expired, cut short and arbitrary texts mixed, in chunks of any size:
    # verify_many answers for each exactly what verify answers, in the same order.
    good = issue()
    texts = [good if k == "valid" else issue(s=signer(days=2)) if k == "other_key"
             else issue(iat=AT - 10, exp=AT - 1) if k == "expired"
             else good[:k] if isinstance(k, int) else k for k in kinds]
    t = trust(signer())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(engine, "MANY_AT_ONCE", at_once)
        together = engine.verify_many(texts, signers=t.signers, revoked=t.revoked, at=AT)
    alone = [engine.verify(text, signers=t.signers, revoked=t.revoked, at=AT) for text in texts]
    assert together == alone
    assert [o.valid for o in together] == [k == "valid" for k in kinds]


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=300))
def test_arbitrary_text_never_verifies_nor_crashes(text: str):
    outcome = check(text)
    assert not outcome.valid and outcome.reason


@settings(max_examples=30, deadline=None)
@given(st.integers(-10**6, 10**6))
def test_times_are_judged_against_the_validation_time(offset: int):
    outcome = check(issue(iat=AT, exp=AT + 1000), at=AT + offset)
    if offset < 0:
        assert outcome.step == "not_yet_valid"
    elif offset >= 1000:
        assert outcome.step == "expired"
    else:
        assert outcome.valid


# ---------------------------------------------------------------------------- interoperability

def _pycose_sign(hcert: dict[str, Any], *, rsa: bool, kid_unprotected: bool
                 ) -> tuple[str, bytes]:
    """A certificate made by an independent COSE library, with its own key and
    certificate."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric import rsa as rsa_keys
    from cryptography.x509.oid import NameOID
    from pycose.headers import KID, Algorithm
    from pycose.keys import EC2Key, RSAKey
    from pycose.messages import Sign1Message

    key: Any = (rsa_keys.generate_private_key(65537, 2048) if rsa
                else ec.generate_private_key(ec.SECP256R1()))
    name = x509.Name([x509.NameAttribute(NameOID.COUNTRY_NAME, "DE"),
                      x509.NameAttribute(NameOID.COMMON_NAME, "Other issuer")])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(7)
            .not_valid_before(NOW - timedelta(days=1))
            .not_valid_after(NOW + timedelta(days=30)).sign(key, hashes.SHA256()))
    der = cert.public_bytes(serialization.Encoding.DER)
    kid = key_id(der)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption()).decode("ascii")
    cose_key = RSAKey.from_pem_private_key(pem) if rsa else EC2Key.from_pem_private_key(pem)
    alg = "PS256" if rsa else "ES256"
    phdr: dict[Any, Any] = {Algorithm: alg}
    uhdr: dict[Any, Any] = {}
    (uhdr if kid_unprotected else phdr)[KID] = kid
    claims = cbor2.dumps({1: "DE", 6: AT - 60, 4: AT + 3600, -260: {1: hcert}})
    message = Sign1Message(phdr=phdr, uhdr=uhdr, payload=claims)
    message.key = cose_key
    return "HC1:" + engine.b45encode(zlib.compress(message.encode())), der


@pytest.mark.parametrize(("rsa", "kid_unprotected"),
                         [(False, False), (False, True), (True, False)])
def test_certificates_signed_by_pycose_verify(rsa: bool, kid_unprotected: bool):
    hcert = json.loads(json.dumps(payload("URN:UVCI:01:DE:ABC#1")))
    hcert["v"][0]["co"] = "DE"
    text, der = _pycose_sign(hcert, rsa=rsa, kid_unprotected=kid_unprotected)
    t = hcert_trust.read_trust_list(json.dumps([{
        "kid": base64.b64encode(key_id(der)).decode(), "country": "DE",
        "certificateType": "DSC", "rawData": base64.b64encode(der).decode()}]).encode())
    outcome = check(text, t)
    assert outcome.valid, outcome.reason
    assert outcome.country == "DE" and outcome.minimum()["name"]["fnt"] == "ZHANG"
    # The same certificate against a trust list without its signer.
    assert check(text).step == "kid"


def test_trust_lists_are_read_from_pem_der_and_this_platforms_export():
    s = signer()
    pem = hcert_trust.der_of_pem(_pem(s.certificate_der).encode())
    assert pem == [s.certificate_der]
    for data in (_pem(s.certificate_der).encode(), s.certificate_der):
        assert check(issue(), hcert_trust.read_trust_list(data)).valid
    exported = {"format": "epidesk-dcc-trust-list", "certificates": [{
        "kid": base64.b64encode(s.kid).decode(), "country": "CN",
        "certificateType": "DSC", "rawData": base64.b64encode(s.certificate_der).decode()}],
        "revoked": {"hashType": "UCI", "hashes": [
            base64.b64encode(revocation_hash(payload()["v"][0]["ci"])).decode()]}}
    read = hcert_trust.read_trust_list(json.dumps(exported).encode())
    assert check(issue(), read).step == "revoked"
    for bad in (b"{}", b"[{}]", b"not a certificate", b"-----BEGIN CERTIFICATE-----\nxx"):
        with pytest.raises(ValueError):
            hcert_trust.read_trust_list(bad)


def _pem(der: bytes) -> str:
    from epidesk.certificates.engine import certificate_pem

    return certificate_pem(der)


# ---------------------------------------------------------------------------- rules

def test_recovery_is_valid_from_day_11_to_day_180():
    p = rules.recovery_payload(HOLDER, identifier="URN:UVCI:01:CN:R1#A",
                               first_positive=date(2026, 11, 1), country="CN", issuer="T")
    assert p["r"][0]["df"] == "2026-11-12" and p["r"][0]["du"] == "2027-04-30"
    assert engine.schema_errors(p) == []


def test_test_certificates_name_the_result_and_expire_after_72_hours():
    sampled = datetime(2026, 11, 30, 8, 15, tzinfo=UTC)
    p = rules.test_payload(HOLDER, identifier="URN:UVCI:01:CN:T1#A", outcome="negative",
                           sampled_at=sampled, centre="Site 1", country="CN", issuer="T")
    assert p["t"][0]["tr"] == "260415000" and p["t"][0]["sc"] == "2026-11-30T08:15:00Z"
    assert engine.schema_errors(p) == []
    assert rules.validity("test", now=NOW, event=sampled).expires_at == sampled + timedelta(
        hours=72)


def test_identifiers_carry_a_luhn_mod_n_check_character():
    made = rules.new_identifier("CN", "vaccination")
    body, check_char = made.removeprefix("URN:UVCI:").split("#")
    assert rules.luhn_mod_n(body) == check_char
    assert made != rules.new_identifier("CN", "vaccination")
    assert rules.transliterate("Ōu-yáng  Ming") == "OU<YANG<MING"


_latin = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family=_latin, given_name=_latin, born=st.dates(date(1900, 1, 1), date(2026, 1, 1)),
       dose=st.integers(1, 9), ci=st.text(alphabet="0123456789ABCDEF", min_size=4,
                                          max_size=40))
def test_any_certificate_verifies_and_fails_only_when_resigned_or_revoked(
        family: str, given_name: str, born: date, dose: int, ci: str):
    holder = rules.Holder(name=f"{family} {given_name}", name_latin=f"{family} {given_name}",
                          birth_date=born)
    identifier = f"URN:UVCI:01:CN:{ci}"
    hcert = rules.vaccination_payload(holder, identifier=identifier, dose_number=dose,
                                      total_doses=9, product="CoronaVac", manufacturer="Sinovac",
                                      vaccine_type="inactivated", day=date(2026, 11, 20),
                                      country="CN", issuer="Test")
    text = issue(hcert)
    outcome = check(text)
    assert outcome.valid and outcome.minimum()["name"]["fnt"] == family
    assert outcome.minimum()["dob"] == born.isoformat()
    # Signed by a key that is not the signer's, under the signer's key id.
    impostor = signer(("vaccination", "test", "recovery"), 367)
    forged = engine.encode(hcert, private_key=load_private_key(impostor.private_key_pem),
                           kid=signer().kid, issuer_country="CN", issued_at=AT - 60,
                           expires_at=AT + 60)
    assert check(forged).step == "signature"
    revoked = trust(signer(), revoked={revocation_hash(identifier)})
    assert check(text, revoked).step == "revoked"
    assert check(text, trust(signer(), revoked={revocation_hash(identifier + "0")})).valid
