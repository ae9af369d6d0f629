"""Trust lists: signer certificates read from this platform's export, the gateway's JSON
form, PEM or DER, and revoked certificate identifiers."""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from epidesk.certificates.hcert.rules import (
    ES256,
    KEY_USAGE_OIDS,
    PS256,
    Signer,
    TrustList,
    key_id,
)


def certificate_usages(certificate: x509.Certificate) -> frozenset[str]:
    try:
        eku = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        return frozenset()
    return frozenset(KEY_USAGE_OIDS[o.dotted_string] for o in eku
                     if o.dotted_string in KEY_USAGE_OIDS)


def key_algorithm(public_key: Any) -> int | None:
    """The signature algorithm a signer's key can verify: ES256 for a P-256 key, PS256
    for an RSA key, None for any other (its certificates never verify)."""
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        return ES256 if isinstance(public_key.curve, ec.SECP256R1) else None
    return PS256 if isinstance(public_key, rsa.RSAPublicKey) else None


def signer_from_der(der: bytes, *, country: str | None = None) -> Signer:
    """A trusted signer from an X.509 certificate (DER); ValueError if unreadable."""
    certificate = x509.load_der_x509_certificate(der)
    if country is None:
        names = certificate.subject.get_attributes_for_oid(x509.NameOID.COUNTRY_NAME)
        country = str(names[0].value) if names else ""
    public_key = certificate.public_key()
    return Signer(kid=key_id(der), country=country, certificate_der=der,
                  public_key=public_key, algorithm=key_algorithm(public_key),
                  not_before=certificate.not_valid_before_utc,
                  not_after=certificate.not_valid_after_utc,
                  usages=certificate_usages(certificate))


def der_of_pem(data: bytes) -> list[bytes]:
    """Every certificate of a PEM file, as DER."""
    return [c.public_bytes(serialization.Encoding.DER)
            for c in x509.load_pem_x509_certificates(data)]


def read_trust_list(data: bytes) -> TrustList:
    """A trust list from a file's bytes: this platform's export (a JSON object with
    `certificates` and `revoked`), the gateway's JSON form (an array of objects with
    `kid`, `country` and `rawData`, the base64 DER certificate), or one or more X.509
    certificates as PEM or DER. ValueError naming what is wrong."""
    trust = TrustList()
    stripped = data.lstrip()
    if stripped.startswith(b"-----BEGIN"):
        try:
            for der in der_of_pem(data):
                trust.add(signer_from_der(der))
        except ValueError as exc:
            raise ValueError(f"not a PEM certificate: {exc}") from exc
        return trust
    if stripped[:1] in (b"[", b"{"):
        try:
            document = json.loads(data)
        except (ValueError, UnicodeError) as exc:
            raise ValueError(f"not JSON: {exc}") from exc
        entries = document.get("certificates") if isinstance(document, dict) else document
        if not isinstance(entries, list):
            raise ValueError("a JSON trust list is an array of certificates, or an object "
                             "whose `certificates` is one")
        for number, entry in enumerate(entries, 1):
            trust.add(_gateway_entry(entry, number))
        if isinstance(document, dict):
            trust.revoked |= _revocations(document.get("revoked"))
        return trust
    try:
        trust.add(signer_from_der(data))
    except ValueError as exc:
        raise ValueError("neither JSON, PEM nor a DER certificate") from exc
    return trust


def _gateway_entry(entry: Any, number: int) -> Signer:
    if not isinstance(entry, dict) or not isinstance(entry.get("rawData"), str):
        raise ValueError(f"certificate {number}: no rawData (base64 DER certificate)")
    if entry.get("certificateType", "DSC") != "DSC":
        raise ValueError(f"certificate {number}: certificateType is not DSC")
    try:
        der = base64.b64decode(entry["rawData"], validate=True)
        signer = signer_from_der(der, country=entry.get("country"))
        kid = base64.b64decode(entry["kid"], validate=True) if entry.get("kid") else signer.kid
    except (ValueError, TypeError) as exc:
        raise ValueError(f"certificate {number}: {exc}") from exc
    return dataclasses.replace(signer, kid=kid)


def _revocations(section: Any) -> set[bytes]:
    if section is None:
        return set()
    if not isinstance(section, dict) or section.get("hashType") != "UCI":
        raise ValueError("revoked: an object with hashType UCI and base64 hashes")
    try:
        return {base64.b64decode(h, validate=True) for h in section.get("hashes", [])}
    except (ValueError, TypeError) as exc:
        raise ValueError(f"revoked: {exc}") from exc
