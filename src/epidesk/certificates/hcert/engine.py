"""Encoding, signing and verifying hcert 1.3 certificates, written for speed.

The verifier runs every step of the chain on every certificate (base45, zlib, COSE,
signature, CBOR, schema) and keeps nothing between calls but what it was given: the trust
list and the compiled schema. Several certificates at once (`verify_many`) go through the
same steps a step at a time. Base45 is decoded with a translation table and a few operations on
one integer holding every digit; a COSE_Sign1 of the usual shape is read by slicing (any
other shape goes to the CBOR decoder); the ES256 signature becomes DER by slicing too;
the schema is checked by a compiled validator (jsonschema_rs).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import cache, lru_cache
from importlib import resources
from typing import Any

import cbor2
import jsonschema_rs
import numpy as np
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from epidesk.certificates.hcert.rules import (
    CLAIM_EXP,
    CLAIM_HCERT,
    CLAIM_IAT,
    CLAIM_ISS,
    COSE_SIGN1_TAG,
    CWT_TAG,
    ES256,
    HCERT_EU_DCC,
    HEADER_ALG,
    HEADER_KID,
    KINDS,
    MAX_INFLATED,
    MAX_TEXT,
    PREFIX,
    PS256,
    Outcome,
    Signer,
    failed,
    revocation_hash,
)

# ---------------------------------------------------------------------------- base45

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_ALPHA = np.frombuffer(ALPHABET.encode("ascii"), np.uint8)
_TABLE = bytes(ALPHABET.index(chr(i)) if chr(i) in ALPHABET else 0xFF for i in range(256))


def b45encode(data: bytes) -> str:
    """RFC 9285 base45 of the bytes."""
    buf = np.frombuffer(data, np.uint8)
    full, rest = divmod(buf.size, 2)
    words = buf[: full * 2].view(">u2").astype(np.uint32)
    digits = np.empty((full, 3), np.uint8)
    digits[:, 0] = words % 45
    digits[:, 1] = (words // 45) % 45
    digits[:, 2] = words // 2025
    out = _ALPHA[digits.ravel()].tobytes()
    if rest:
        last = int(buf[-1])
        out += bytes((_ALPHA[last % 45], _ALPHA[last // 45]))
    return out.decode("ascii")


_MASKED_GROUPS = MAX_TEXT // 3 + 1
_LOW_BYTES = int.from_bytes(b"\xff\x00\x00" * _MASKED_GROUPS, "little")
_HIGH_BYTES = int.from_bytes(b"\x00\x00\xff" * _MASKED_GROUPS, "little")


def b45decode(text: str | bytes) -> bytes:
    """The bytes of RFC 9285 base45 text; ValueError for a character outside the
    alphabet, a dangling single character or a group above its byte range."""
    raw = text.encode("ascii") if isinstance(text, str) else text
    digits = raw.translate(_TABLE)
    if not digits.isascii():  # the table maps every other character to 0xFF
        raise ValueError("a character outside the base45 alphabet")
    full, rest = divmod(len(digits), 3)
    if rest == 1:
        raise ValueError("a base45 text cannot end in a single character")
    # Every group of three digits at once, as one integer: the digits read as a
    # big-endian number, so that each group's first digit is its most significant
    # byte; a mask of every third byte picks out each group's third, second and first
    # digits, weighed 2025, 45 and 1 and added, which leaves each group's value (at most
    # 91,124) in its own three bytes, big-endian. A group's top byte set means a value
    # above 65,535; dropping the top bytes leaves the decoded bytes in order.
    number = int.from_bytes(digits[:3 * full] if rest else digits, "big")
    low, high = (_LOW_BYTES, _HIGH_BYTES) if full < _MASKED_GROUPS else (
        int.from_bytes(b"\xff\x00\x00" * full, "little"),
        int.from_bytes(b"\x00\x00\xff" * full, "little"))
    value = ((number >> 16) & low) + 45 * ((number >> 8) & low) + 2025 * (number & low)
    if value & high:
        raise ValueError("a base45 group above 65535")
    out = bytearray(value.to_bytes(3 * full, "big"))
    del out[0::3]
    if rest:
        last = digits[-2] + 45 * digits[-1]
        if last > 0xFF:
            raise ValueError("a base45 pair above 255")
        out.append(last)
    return bytes(out)


# ---------------------------------------------------------------------------- COSE

def _bstr_head(length: int) -> bytes:
    """The CBOR head of a byte string of that length."""
    if length < 24:
        return bytes((0x40 | length,))
    if length < 0x100:
        return bytes((0x58, length))
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2, "big")
    return b"\x5a" + length.to_bytes(4, "big")


_SIG1_HEAD = b"\x84\x6aSignature1"


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """The COSE Sig_structure signed for a COSE_Sign1 (no external data)."""
    return b"".join((_SIG1_HEAD, _bstr_head(len(protected)), protected, b"\x40",
                     _bstr_head(len(payload)), payload))


def sign_es256(private_key: ec.EllipticCurvePrivateKey, data: bytes) -> bytes:
    """An ES256 signature as COSE writes it: r and s, 32 bytes each."""
    r, s = decode_dss_signature(private_key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def cose_sign1(payload: bytes, *, private_key: ec.EllipticCurvePrivateKey, kid: bytes) -> bytes:
    """A tagged COSE_Sign1 of the payload, ES256, the key id in the protected header."""
    protected = cbor2.dumps({HEADER_ALG: ES256, HEADER_KID: kid})
    signature = sign_es256(private_key, sig_structure(protected, payload))
    return cbor2.dumps(cbor2.CBORTag(COSE_SIGN1_TAG, [protected, {}, payload, signature]))


def cwt_payload(hcert: dict[str, Any], *, issuer_country: str, issued_at: int,
                expires_at: int) -> bytes:
    return cbor2.dumps({CLAIM_ISS: issuer_country, CLAIM_IAT: issued_at,
                        CLAIM_EXP: expires_at, CLAIM_HCERT: {HCERT_EU_DCC: hcert}})


def encode(hcert: dict[str, Any], *, private_key: ec.EllipticCurvePrivateKey, kid: bytes,
           issuer_country: str, issued_at: int, expires_at: int) -> str:
    """The `HC1:` text of a DCC payload signed with the key."""
    payload = cwt_payload(hcert, issuer_country=issuer_country, issued_at=issued_at,
                          expires_at=expires_at)
    token = cose_sign1(payload, private_key=private_key, kid=kid)
    return PREFIX + b45encode(zlib.compress(token, 9))


# ---------------------------------------------------------------------------- schema

_SCHEMA_FILES = {"1.3": "DCC.combined-schema-1.3.0.json"}


@cache
def schema_validator(version: str) -> Any:
    """The compiled validator of a schema version (major.minor), or None if unknown."""
    name = _SCHEMA_FILES.get(version)
    if name is None:
        return None
    text = resources.files("epidesk.certificates.hcert").joinpath("schemas", name).read_text()
    return jsonschema_rs.validator_for(json.loads(text), validate_formats=True)


@cache
def schema_documents() -> dict[str, Any]:
    """Every schema version this platform checks (major.minor -> the JSON schema): the
    same documents the server's validator is compiled from, for verifiers elsewhere."""
    folder = resources.files("epidesk.certificates.hcert").joinpath("schemas")
    return {version: json.loads(folder.joinpath(name).read_text())
            for version, name in sorted(_SCHEMA_FILES.items())}


@lru_cache(maxsize=64)
def _validator_of_text(version: str) -> Any:
    if version.count(".") != 2:
        return None
    return schema_validator(version[: version.rfind(".")])


def _validator_of(version: Any) -> Any:
    """The validator of a stated version `major.minor.patch` (None when unknown)."""
    return _validator_of_text(version) if type(version) is str else None


def schema_errors(hcert: dict[str, Any]) -> list[str]:
    """Why a payload does not follow the schema its `ver` states (empty when it does)."""
    version = hcert.get("ver")
    validator = schema_validator(".".join(str(version).split(".")[:2]))
    if validator is None:
        return [f"unknown schema version {version!r}"]
    return [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(hcert)]


# ---------------------------------------------------------------------------- verify

_ECDSA = ec.ECDSA(hashes.SHA256())
_MAPS = (dict, cbor2.frozendict)
_ES256_KID_HEADER = b"\xa2\x01\x26\x04\x48"  # map(2), 1: -7, 4: bytes(8)
_PSS = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=padding.PSS.AUTO)
_SHA256 = hashes.SHA256()


def _der_integer(value: bytes) -> bytes:
    """A DER INTEGER of an unsigned big-endian number."""
    value = value.lstrip(b"\0") or b"\0"
    if value[0] & 0x80:
        value = b"\0" + value
    return bytes((2, len(value))) + value


_DER_INTEGER = (b"\x02\x20", b"\x02\x21\x00")  # a 32-byte INTEGER, with a sign byte
_DER_SEQUENCE = (b"\x30\x44", b"\x30\x45", b"\x30\x46")  # of 0, 1 or 2 sign bytes


def es256_der(signature: bytes) -> bytes:
    """COSE's ES256 signature (r and s, 32 bytes each) as the DER sequence X.509 tools
    verify, built from the bytes as they are."""
    r0, s0 = signature[0], signature[32]
    if r0 and s0:  # no leading zero to drop (the rare case below)
        r_sign, s_sign = r0 >> 7, s0 >> 7
        return b"".join((_DER_SEQUENCE[r_sign + s_sign], _DER_INTEGER[r_sign],
                         signature[:32], _DER_INTEGER[s_sign], signature[32:]))
    body = _der_integer(signature[:32]) + _der_integer(signature[32:])
    return bytes((0x30, len(body))) + body


def _signature_ok(signer: Signer, alg: int, signature: bytes, data: bytes) -> bool:
    if signer.algorithm != alg:  # the key's kind was found once, when the list was read
        return False
    try:
        if alg == ES256:
            if len(signature) != 64:
                return False
            signer.public_key.verify(es256_der(signature), data, _ECDSA)
        else:
            signer.public_key.verify(signature, data, _PSS, _SHA256)
    except InvalidSignature:
        return False
    return True


def _epoch(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value == value and abs(value) < 1e15:
        return int(value)
    if isinstance(value, datetime):  # tagged (CBOR tag 1) times decode to datetimes
        return int(value.timestamp())
    return None


def _usual_sign1(token: bytes) -> tuple[bytes, Any, bytes, bytes] | None:
    """The items of a COSE_Sign1 in its usual shape (tag 18; an array of a protected
    header under 24 bytes, an empty unprotected map, the payload and a 64-byte
    signature), read without a CBOR decoder; None for any other shape, which the general
    decoder then reads."""
    size = len(token)
    if size < 70 or token[:2] != b"\xd2\x84" or token[size - 66:size - 64] != b"\x58\x40":
        return None
    head = token[2]
    if not 0x40 <= head < 0x58 or token[3 + head - 0x40] != 0xA0:
        return None
    start = 4 + head - 0x40  # the payload's head
    kind = token[start]
    if kind == 0x58:
        length, first = token[start + 1], start + 2
    elif kind == 0x59:
        length, first = int.from_bytes(token[start + 1:start + 3], "big"), start + 3
    else:
        return None
    if first + length != size - 66:
        return None
    return token[3:start - 1], {}, token[first:size - 66], token[size - 64:]


def _any_sign1(token: bytes) -> tuple[bytes, Any, bytes, bytes] | Outcome:
    """The items of a COSE_Sign1 in any shape CBOR allows (tagged as a CWT or not), or
    the failure that says why the token is not one."""
    try:
        sign1 = cbor2.loads(token)
    except Exception as exc:  # cbor2 raises several error types for malformed input
        return failed("cose", type(exc).__name__)
    if isinstance(sign1, cbor2.CBORTag) and sign1.tag == CWT_TAG:
        sign1 = sign1.value
    if isinstance(sign1, cbor2.CBORTag):
        if sign1.tag != COSE_SIGN1_TAG:
            return failed("cose", f"CBOR tag {sign1.tag}")
        sign1 = sign1.value
    if not isinstance(sign1, (list, tuple)) or len(sign1) != 4:
        return failed("cose", "not an array of four items")
    protected_raw, unprotected, payload, signature = sign1
    if not (isinstance(protected_raw, bytes) and isinstance(payload, bytes)
            and isinstance(signature, bytes) and isinstance(unprotected, _MAPS)):
        return failed("cose", "an item of the wrong type")
    return protected_raw, unprotected, payload, signature


def _unbase45(text: Any) -> bytes | Outcome:
    """The compressed token of an `HC1:` text, or why it is not one."""
    if not isinstance(text, str) or not text.startswith(PREFIX):
        return failed("prefix")
    if len(text) > MAX_TEXT:
        return failed("base45", f"longer than {MAX_TEXT} characters")
    try:
        return b45decode(text[4:])
    except (ValueError, UnicodeError) as exc:
        return failed("base45", str(exc))


def _inflate(compressed: bytes) -> bytes | Outcome:
    """The COSE token, inflated (at most MAX_INFLATED bytes), or why it cannot be."""
    try:
        inflater = zlib.decompressobj()
        token = inflater.decompress(compressed, MAX_INFLATED)
        if inflater.unconsumed_tail or not inflater.eof:
            return failed("zlib", "truncated or too large")
    except zlib.error as exc:
        return failed("zlib", str(exc))
    return token


def _open(token: bytes) -> tuple[int, bytes, bytes, bytes, bytes] | Outcome:
    """The algorithm, key id, signed Sig_structure, payload and signature of a COSE_Sign1
    token, or the failure that says which step refused it."""
    sign1 = _usual_sign1(token) or _any_sign1(token)
    if isinstance(sign1, Outcome):
        return sign1
    protected_raw, unprotected, payload, signature = sign1
    if len(protected_raw) == 13 and protected_raw.startswith(_ES256_KID_HEADER):
        # The usual header, {1: -7, 4: h'<8 bytes>'}, read without a CBOR decoder.
        alg: Any = ES256
        kid: Any = protected_raw[5:]
    else:
        try:
            protected = cbor2.loads(protected_raw) if protected_raw else {}
        except Exception:
            return failed("cose", "the protected header is not CBOR")
        if not isinstance(protected, _MAPS):
            return failed("cose", "the protected header is not a map")
        alg = protected.get(HEADER_ALG, unprotected.get(HEADER_ALG))
        kid = protected.get(HEADER_KID, unprotected.get(HEADER_KID))
    if alg not in (ES256, PS256) or isinstance(alg, bool):
        return failed("algorithm", f"alg {alg!r}")
    if not isinstance(kid, bytes):
        return failed("kid", "no key id in either header")
    return alg, kid, sig_structure(protected_raw, payload), payload, signature


def _signer_of(opened: tuple[int, bytes, bytes, bytes, bytes],
               signers: dict[bytes, list[Signer]]) -> Signer | Outcome:
    """The trusted signer whose key verifies the signature (every signer certificate with
    the key id is tried), or the failure."""
    alg, kid, data, _, signature = opened
    candidates = signers.get(kid)
    if not candidates:
        return failed("kid", f"key id {kid.hex()} is not in the trust list")
    for signer in candidates:
        if _signature_ok(signer, alg, signature, data):
            return signer
    return failed("signature", f"tried {len(candidates)} signer certificate(s)")


def _claims(payload: bytes, at: int) -> tuple[Any, dict[str, Any], int, int] | Outcome:
    """The CWT claims, the DCC payload and the issue and expiry times, judged at `at`."""
    try:
        claims = cbor2.loads(payload)
    except Exception as exc:
        return failed("cwt", type(exc).__name__)
    if not isinstance(claims, _MAPS):
        return failed("cwt", "the claims are not a map")
    issued_at = claims.get(CLAIM_IAT)
    if type(issued_at) is not int:
        issued_at = _epoch(issued_at)
    expires_at = claims.get(CLAIM_EXP)
    if type(expires_at) is not int:
        expires_at = _epoch(expires_at)
    if issued_at is None or expires_at is None:
        return failed("cwt", "iat or exp missing or not a time")
    if issued_at > at:
        return failed("not_yet_valid", f"issued at {_iso(issued_at)}")
    if expires_at <= at:
        return failed("expired", f"expired at {_iso(expires_at)}")
    container = claims.get(CLAIM_HCERT)
    hcert = container.get(HCERT_EU_DCC) if isinstance(container, _MAPS) else None
    if type(hcert) is not dict:
        if not isinstance(hcert, _MAPS):
            return failed("payload")
        hcert = dict(hcert)
    return claims, hcert, issued_at, expires_at


def _conclude(read: tuple[Any, dict[str, Any], int, int], kid: bytes, signer: Signer,
              revoked: set[bytes] | frozenset[bytes], at: int) -> Outcome:
    """The steps after the claims: the DCC payload's schema, the signer certificate's
    validity and key usage, revocation."""
    claims, hcert, issued_at, expires_at = read
    version = hcert.get("ver")
    validator = _validator_of(version)
    if validator is None:
        return failed("version", f"ver {version!r}")
    if not validator.is_valid(hcert):
        error = next(validator.iter_errors(hcert), None)
        detail = f"{error.instance_path}: {error.message}"[:200] if error else ""
        return failed("schema", detail)
    group = "v" if "v" in hcert else "t" if "t" in hcert else "r"
    kind = KINDS[group]
    if not signer.valid_from <= at <= signer.valid_until:
        return failed("signer_validity", f"valid {signer.not_before:%Y-%m-%d} to "
                                         f"{signer.not_after:%Y-%m-%d}")
    if not signer.may_sign(kind):
        return failed("key_usage", f"not allowed to sign {kind} certificates")
    if revoked and revocation_hash(hcert[group][0]["ci"]) in revoked:
        return failed("revoked")
    iss = claims.get(CLAIM_ISS)
    # Positional: a valid outcome is built for every certificate, keywords cost more.
    return Outcome(True, "ok", "valid", kind, hcert, kid,
                   iss if isinstance(iss, str) else signer.country, issued_at, expires_at)


def verify(text: str, *, signers: dict[bytes, list[Signer]], revoked: set[bytes] | frozenset[bytes],
           at: int) -> Outcome:
    """Verify one `HC1:` text at the Unix time `at` against trusted signers by key id and
    revoked identifier hashes. Every failure names its step (see `rules.STEPS`)."""
    compressed = _unbase45(text)
    if isinstance(compressed, Outcome):
        return compressed
    token = _inflate(compressed)
    if isinstance(token, Outcome):
        return token
    opened = _open(token)
    if isinstance(opened, Outcome):
        return opened
    signer = _signer_of(opened, signers)
    if isinstance(signer, Outcome):
        return signer
    read = _claims(opened[3], at)
    if isinstance(read, Outcome):
        return read
    return _conclude(read, opened[1], signer, revoked, at)


MANY_AT_ONCE = 100  # certificates taken a step at a time; measured best between 64 and 128


def verify_many(texts: Sequence[str], *, signers: dict[bytes, list[Signer]],
                revoked: set[bytes] | frozenset[bytes], at: int) -> list[Outcome]:
    """Verify several `HC1:` texts: the same outcome for each as `verify`, found a step at
    a time over up to `MANY_AT_ONCE` of them (each text's base45, then each zlib stream,
    each COSE structure, each signature, each claims map, each payload's schema and the
    rest), so that each step's code and tables stay in the processor's caches from one
    certificate to the next instead of being evicted by the other steps'."""
    outcomes: list[Outcome] = []
    for start in range(0, len(texts), MANY_AT_ONCE):
        step: list[Any] = [_unbase45(text) for text in texts[start:start + MANY_AT_ONCE]]
        step = [s if isinstance(s, Outcome) else _inflate(s) for s in step]
        opened: list[Any] = [s if isinstance(s, Outcome) else _open(s) for s in step]
        signed: list[Any] = [o if isinstance(o, Outcome) else _signer_of(o, signers)
                             for o in opened]
        read = [s if isinstance(s, Outcome) else _claims(o[3], at)
                for o, s in zip(opened, signed, strict=True)]
        outcomes.extend(r if isinstance(r, Outcome) else _conclude(r, o[1], s, revoked, at)
                        for o, s, r in zip(opened, signed, read, strict=True))
    return outcomes


def _iso(epoch: int) -> str:
    try:
        return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):
        return str(epoch)


def decode_unverified(text: str) -> tuple[dict[str, Any], dict[int, Any]]:
    """The protected header and the claims of an `HC1:` text, without any check of the
    signature: for showing what a certificate says, never for trusting it."""
    token = zlib.decompress(b45decode(text.removeprefix(PREFIX)))
    sign1 = cbor2.loads(token)
    sign1 = sign1.value if isinstance(sign1, cbor2.CBORTag) else sign1
    return cbor2.loads(sign1[0]), cbor2.loads(sign1[2])
