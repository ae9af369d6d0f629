"""What goes into a certificate: the DCC payload of a dose, a test or a recovery, its
identifier, its validity. Pure functions on plain values.

- **Vaccination**: one dose (`dn` of `sd`), product, manufacturer, vaccine type and day;
  valid for a year after issue.
- **Test**: a single-tube nucleic-acid (NAA) result of the resident's own sample,
  negative or positive; valid 72 hours after sampling (the certificate expires then).
- **Recovery**: the resident's first positive NAA test (`fr`, the sampling day of the
  case); per the DCC rules valid from 11 days after it (`df`) until 180 days after it
  (`du`), and the token expires at `du`.

Names: the resident's name as written (`fn`, `gn`: the first character is read as the
family name of a Chinese name) and transliterated from the latin form ("ZHANG", "WEI",
ICAO 9303: A-Z, other characters as `<`).
"""

from __future__ import annotations

import secrets
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from epidesk.certificates.hcert.rules import SCHEMA_VERSION

DISEASE = "840539006"  # COVID-19 (SNOMED CT)
TEST_NAA = "LP6464-4"  # nucleic acid amplification with probe detection (LOINC)
RESULTS = {"negative": "260415000", "positive": "260373001"}  # not detected / detected
VACCINE_TYPES = {"inactivated": "J07BX03", "mrna": "1119349007", "antigen": "1119305005",
                 "other": "J07BX03"}
RECOVERY_FROM_DAYS = 11
RECOVERY_UNTIL_DAYS = 180
TEST_VALID_HOURS = 72
VACCINATION_VALID_DAYS = 365
UVCI_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ/:"


@dataclass(frozen=True)
class Holder:
    name: str
    name_latin: str
    birth_date: date


@dataclass(frozen=True)
class Validity:
    issued_at: datetime
    expires_at: datetime


def transliterate(text: str) -> str:
    """ICAO 9303 machine-readable form: upper-case A-Z, every other character `<`."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    out = "".join(c if "A" <= c <= "Z" else "<" for c in plain.upper().strip())
    while "<<" in out:
        out = out.replace("<<", "<")
    return out.strip("<")[:80]


def person_fields(holder: Holder) -> dict[str, Any]:
    """`nam` and `dob` of a holder."""
    latin = holder.name_latin.strip().split(None, 1)
    name = holder.name.strip()
    if name.isascii():
        parts = name.split(None, 1)
        family, given = parts[0], parts[1] if len(parts) > 1 else ""
    else:
        family, given = name[:1], name[1:]
    nam: dict[str, str] = {"fn": family[:80], "fnt": transliterate(latin[0]) if latin else ""}
    if given:
        nam["gn"] = given[:80]
    if len(latin) > 1:
        nam["gnt"] = transliterate(latin[1])
    return {"nam": nam, "dob": holder.birth_date.isoformat()}


def luhn_mod_n(text: str) -> str:
    """The Luhn mod N check character of a UVCI over its alphabet."""
    n = len(UVCI_ALPHABET)
    factor, total = 2, 0
    for char in reversed(text):
        addend = factor * UVCI_ALPHABET.index(char)
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return UVCI_ALPHABET[(n - total % n) % n]


def new_identifier(country: str, kind: str) -> str:
    """A new unique certificate identifier: `URN:UVCI:01:CN:<kind letter><random>#<check>`."""
    opaque = kind[0].upper() + secrets.token_hex(12).upper()
    body = f"01:{country}:{opaque}"
    return f"URN:UVCI:{body}#{luhn_mod_n(body)}"


def _payload(holder: Holder, group: str, entry: dict[str, Any]) -> dict[str, Any]:
    return {"ver": SCHEMA_VERSION, **person_fields(holder), group: [entry]}


def vaccination_payload(holder: Holder, *, identifier: str, dose_number: int,
                        total_doses: int, product: str, manufacturer: str,
                        vaccine_type: str, day: date, country: str, issuer: str
                        ) -> dict[str, Any]:
    return _payload(holder, "v", {
        "tg": DISEASE, "vp": VACCINE_TYPES.get(vaccine_type, vaccine_type), "mp": product,
        "ma": manufacturer, "dn": dose_number, "sd": total_doses, "dt": day.isoformat(),
        "co": country, "is": issuer[:80], "ci": identifier})


def test_payload(holder: Holder, *, identifier: str, outcome: str, sampled_at: datetime,
                 centre: str, country: str, issuer: str) -> dict[str, Any]:
    return _payload(holder, "t", {
        "tg": DISEASE, "tt": TEST_NAA, "sc": sampled_at.astimezone(UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"), "tr": RESULTS[outcome], "tc": centre[:80],
        "co": country, "is": issuer[:80], "ci": identifier})


def recovery_dates(first_positive: date) -> tuple[date, date]:
    """Valid from and valid until of a recovery certificate (DCC rules)."""
    return (first_positive + timedelta(days=RECOVERY_FROM_DAYS),
            first_positive + timedelta(days=RECOVERY_UNTIL_DAYS))


def recovery_payload(holder: Holder, *, identifier: str, first_positive: date, country: str,
                     issuer: str) -> dict[str, Any]:
    valid_from, valid_until = recovery_dates(first_positive)
    return _payload(holder, "r", {
        "tg": DISEASE, "fr": first_positive.isoformat(), "co": country, "is": issuer[:80],
        "df": valid_from.isoformat(), "du": valid_until.isoformat(), "ci": identifier})


def validity(kind: str, *, now: datetime, event: datetime | date) -> Validity:
    """When a certificate is issued and when its token expires."""
    if kind == "test":
        assert isinstance(event, datetime)
        return Validity(now, event + timedelta(hours=TEST_VALID_HOURS))
    if kind == "recovery":
        assert isinstance(event, date)
        until = recovery_dates(event)[1]
        return Validity(now, datetime.combine(until, time(23, 59, 59), UTC))
    return Validity(now, now + timedelta(days=VACCINATION_VALID_DAYS))
