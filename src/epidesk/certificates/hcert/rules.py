"""The hcert 1.3 format's constants, the outcome of a verification and the signers a
verifier trusts: pure values.

A certificate travels as `HC1:` + base45(zlib(COSE_Sign1)). The COSE_Sign1 payload is a
CBOR Web Token whose claims are the issuing country (1, `iss`), the expiry (4, `exp`),
the issue time (6, `iat`) and the certificate itself under claim -260, key 1: the JSON
payload of the EU Digital COVID Certificate schema (`ver`, `nam`, `dob` and exactly one
of `v`, `t` or `r`). The signer is named by its key id: the first 8 bytes of the SHA-256
of its X.509 certificate (DER), in the protected header (or, tolerated, the
unprotected one).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

PREFIX = "HC1:"
SCHEMA_VERSION = "1.3.0"

# CWT claims and COSE header labels.
CLAIM_ISS = 1
CLAIM_EXP = 4
CLAIM_IAT = 6
CLAIM_HCERT = -260
HCERT_EU_DCC = 1
HEADER_ALG = 1
HEADER_KID = 4
COSE_SIGN1_TAG = 18
CWT_TAG = 61

# Signature algorithms (COSE numbers).
ES256 = -7
PS256 = -37
ALGORITHMS = {ES256: "ES256", PS256: "PS256"}

# What a certificate certifies: the payload's group key.
KINDS = {"v": "vaccination", "t": "test", "r": "recovery"}
GROUPS = {kind: group for group, kind in KINDS.items()}

# The DCC extended key usages of a signer certificate (both published forms). A signer
# certificate naming none of them may sign every kind.
KEY_USAGE_OIDS: dict[str, str] = {
    "1.3.6.1.4.1.1847.2021.1.1": "test",
    "1.3.6.1.4.1.1847.2021.1.2": "vaccination",
    "1.3.6.1.4.1.1847.2021.1.3": "recovery",
    "1.3.6.1.4.1.0.1847.2021.1.1": "test",
    "1.3.6.1.4.1.0.1847.2021.1.2": "vaccination",
    "1.3.6.1.4.1.0.1847.2021.1.3": "recovery",
}
USAGE_OID = {"test": "1.3.6.1.4.1.1847.2021.1.1",
             "vaccination": "1.3.6.1.4.1.1847.2021.1.2",
             "recovery": "1.3.6.1.4.1.1847.2021.1.3"}

# Bounds on what a verifier reads: a QR code holds at most 4,296 alphanumeric
# characters; the decompressed token is refused past 64 KiB.
MAX_TEXT = 8192
MAX_INFLATED = 65536

# Each step of verification and what its failure means, in the order they run.
STEPS: dict[str, str] = {
    "prefix": "the text does not start with HC1:",
    "base45": "the text after HC1: is not valid base45",
    "zlib": "the decoded bytes are not a zlib stream of an acceptable size",
    "cose": "the content is not a COSE_Sign1 structure",
    "algorithm": "the signature algorithm is missing or neither ES256 nor PS256",
    "kid": "the key id is missing or names no signer certificate in the trust list",
    "signature": "the signature does not verify with any signer certificate of the key id",
    "cwt": "the signed payload is not a CBOR Web Token with issue and expiry times",
    "not_yet_valid": "the certificate's issue time is after the validation time",
    "expired": "the certificate expired before the validation time",
    "payload": "the token holds no EU DCC payload under claim -260/1",
    "version": "the payload states a schema version this verifier does not know",
    "schema": "the payload does not follow the DCC schema of its version",
    "signer_validity": "the signer certificate is not valid at the validation time",
    "key_usage": "the signer certificate may not sign this kind of certificate",
    "revoked": "the certificate identifier is on the revocation list",
}


def key_id(certificate_der: bytes) -> bytes:
    """The DCC key id of a signer certificate: first 8 bytes of SHA-256 of its DER."""
    return hashlib.sha256(certificate_der).digest()[:8]


def revocation_hash(certificate_identifier: str) -> bytes:
    """The DCC revocation hash of a certificate identifier (the UCI hash type): the first
    16 bytes of the SHA-256 of the identifier as written in the payload."""
    return hashlib.sha256(certificate_identifier.encode("utf-8")).digest()[:16]


@dataclass(frozen=True, eq=False)
class Signer:
    """One trusted signer certificate, parsed once when the trust list is read."""

    kid: bytes
    country: str
    certificate_der: bytes
    public_key: Any  # an EllipticCurvePublicKey or RSAPublicKey of `cryptography`
    not_before: datetime
    not_after: datetime
    usages: frozenset[str]  # empty: every kind
    algorithm: int | None  # ES256 for a P-256 key, PS256 for an RSA key, else None
    valid_from: float = 0.0  # not_before and not_after as Unix times
    valid_until: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "valid_from", self.not_before.timestamp())
        object.__setattr__(self, "valid_until", self.not_after.timestamp())

    def may_sign(self, kind: str) -> bool:
        return not self.usages or kind in self.usages


@dataclass
class TrustList:
    """Signer certificates by key id (several may share one) and revoked identifiers."""

    signers: dict[bytes, list[Signer]] = field(default_factory=dict)
    revoked: set[bytes] = field(default_factory=set)

    def add(self, signer: Signer) -> None:
        known = self.signers.setdefault(signer.kid, [])
        if all(s.certificate_der != signer.certificate_der for s in known):
            known.append(signer)

    def merge(self, other: TrustList) -> None:
        for signers in other.signers.values():
            for signer in signers:
                self.add(signer)
        self.revoked |= other.revoked

    def __len__(self) -> int:
        return sum(len(s) for s in self.signers.values())


@dataclass(slots=True)
class Outcome:
    """What verification found: valid, or the step that failed and why."""

    valid: bool
    step: str  # "ok" when valid, else a key of STEPS
    reason: str
    kind: str | None = None
    payload: dict[str, Any] | None = None
    kid: bytes | None = None
    country: str | None = None
    issued_at: int | None = None
    expires_at: int | None = None

    def minimum(self) -> dict[str, Any]:
        """The fields a verifier may show: name, date of birth, what is certified."""
        if self.payload is None:
            return {}
        name = self.payload.get("nam") or {}
        group = GROUPS.get(self.kind or "", "")
        entry = (self.payload.get(group) or [{}])[0]
        certified: dict[str, Any] = {"kind": self.kind}
        if self.kind == "vaccination":
            certified |= {"dose": entry.get("dn"), "of": entry.get("sd"),
                          "date": entry.get("dt"), "product": entry.get("mp")}
        elif self.kind == "test":
            certified |= {"result": entry.get("tr"), "type": entry.get("tt"),
                          "sampled": entry.get("sc")}
        elif self.kind == "recovery":
            certified |= {"first_positive": entry.get("fr"), "valid_from": entry.get("df"),
                          "valid_until": entry.get("du")}
        return {
            "name": {k: name.get(k) for k in ("fn", "gn", "fnt", "gnt") if name.get(k)},
            "dob": self.payload.get("dob"),
            "certified": certified,
        }


def failed(step: str, detail: str = "") -> Outcome:
    reason = f"{step}: {STEPS[step]}" + (f" ({detail})" if detail else "")
    return Outcome(valid=False, step=step, reason=reason)
