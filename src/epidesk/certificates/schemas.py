"""API input and output of the certificates domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from annotated_types import Ge, Le
from pydantic import BaseModel, Field

from epidesk.certificates.hcert.rules import Outcome
from epidesk.certificates.models import IssuedCertificate
from epidesk.kit.inputs import DIGITS, Day, OptionalMoment, RecordId

Dose = Annotated[int, Ge(1), Le(99), DIGITS]


class VerifyIn(BaseModel):
    text: str = Field(max_length=8192, description="The certificate: HC1: text")
    at: OptionalMoment = Field(None, description="Validation time (default now)")


class VerifyOut(BaseModel):
    valid: bool
    step: str = Field(description="'ok', or the step of verification that failed")
    reason: str
    kind: str | None = None
    name: dict[str, str] = Field(default_factory=dict)
    dob: str | None = None
    certified: dict[str, Any] = Field(default_factory=dict)


class TestIn(BaseModel):
    resident_id: RecordId
    sample_code: str = Field(min_length=1, max_length=32)


class RecoveryIn(BaseModel):
    resident_id: RecordId


class VaccinationIn(BaseModel):
    resident_id: RecordId
    dose_number: Dose
    total_doses: Dose
    product: str = Field(min_length=1, max_length=80)
    manufacturer: str = Field(min_length=1, max_length=80)
    vaccine_type: str = Field("inactivated", pattern="^(inactivated|mrna|antigen|other)$")
    day: Day


class CertificateOut(BaseModel):
    id: int
    identifier: str
    kind: str
    resident_id: int
    event_day: date
    issued_at: datetime
    expires_at: datetime
    text: str


def verify_out(outcome: Outcome) -> VerifyOut:
    shown = outcome.minimum()
    return VerifyOut(valid=outcome.valid, step=outcome.step, reason=outcome.reason,
                     kind=outcome.kind, name=shown.get("name", {}), dob=shown.get("dob"),
                     certified=shown.get("certified", {}))


def certificate_out(c: IssuedCertificate) -> CertificateOut:
    return CertificateOut(id=c.id, identifier=c.identifier, kind=c.kind,
                          resident_id=c.resident_id, event_day=c.event_day,
                          issued_at=c.issued_at, expires_at=c.expires_at, text=c.text)
