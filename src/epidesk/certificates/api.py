"""JSON routes of the certificates domain: issuing (staff) and verifying (anyone).

Verification looks nothing up about the person and records nothing: no audit entry,
no log of who was verified, where or when.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from epidesk.certificates import service
from epidesk.certificates.deps import Manager, certificate_for, resident_in_scope
from epidesk.certificates.hcert import engine as hcert_engine
from epidesk.certificates.schemas import (
    CertificateOut,
    RecoveryIn,
    TestIn,
    VaccinationIn,
    VerifyIn,
    VerifyOut,
    certificate_out,
    verify_out,
)
from epidesk.kit.web import (
    CONFLICT_RESPONSE,
    PROBLEM_RESPONSES,
    PUBLIC_PROBLEM_RESPONSES,
    AuditDep,
    DbSession,
    Id,
)

router = APIRouter(tags=["certificates"],
                   responses={**PROBLEM_RESPONSES, **CONFLICT_RESPONSE})
public = APIRouter(tags=["public"],
                   responses=PUBLIC_PROBLEM_RESPONSES)


@public.post("/public/certificates/verify", response_model=VerifyOut,
             summary="Verify a certificate (public)")
def verify(body: VerifyIn, session: DbSession) -> Any:
    """Verify an `HC1:` certificate against this platform's trust list: valid or the
    step that failed, and only name, date of birth and what is certified."""
    return verify_out(service.verify_here(session, text=body.text, at=body.at))


@public.get("/public/certificates/trust-list", summary="The trust list (public)")
def trust_list(session: DbSession, response: Response) -> dict[str, Any]:
    """The signer certificates (kid, country, base64 DER) and revoked identifier hashes,
    for verifiers that work offline."""
    response.headers["Cache-Control"] = "public, max-age=300"
    return service.trust_list_document(session)


@public.get("/public/certificates/schemas", summary="The DCC schemas (public)")
def schemas(response: Response) -> dict[str, Any]:
    """Every DCC schema version the platform checks (major.minor -> the JSON schema), the
    very documents the server validates against, for verifiers that work offline."""
    response.headers["Cache-Control"] = "public, max-age=3600"
    return {"versions": hcert_engine.schema_documents()}


def _issued(session: DbSession, audit: AuditDep, certificate: Any) -> CertificateOut:
    audit("create", "certificate", certificate.id, person_id=certificate.resident_id)
    return certificate_out(certificate)


@router.post("/certificates/test", response_model=CertificateOut, status_code=201,
             summary="Issue a test certificate")
def issue_test(body: TestIn, session: DbSession, caller: Manager, audit: AuditDep) -> Any:
    """A test certificate of one of the resident's single-tube results."""
    resident_in_scope(session, caller, body.resident_id)
    return _issued(session, audit, service.issue_test(
        session, resident_id=body.resident_id, sample_code=body.sample_code,
        actor=caller.username))


@router.post("/certificates/recovery", response_model=CertificateOut, status_code=201,
             summary="Issue a recovery certificate")
def issue_recovery(body: RecoveryIn, session: DbSession, caller: Manager,
                   audit: AuditDep) -> Any:
    """A recovery certificate from the resident's first positive test."""
    resident_in_scope(session, caller, body.resident_id)
    return _issued(session, audit, service.issue_recovery(
        session, resident_id=body.resident_id, actor=caller.username))


@router.post("/certificates/vaccination", response_model=CertificateOut, status_code=201,
             summary="Issue a vaccination certificate")
def issue_vaccination(body: VaccinationIn, session: DbSession, caller: Manager,
                      audit: AuditDep) -> Any:
    """A vaccination certificate of one dose."""
    resident_in_scope(session, caller, body.resident_id)
    return _issued(session, audit, service.issue_vaccination(
        session, resident_id=body.resident_id, dose_number=body.dose_number,
        total_doses=body.total_doses, product=body.product, manufacturer=body.manufacturer,
        vaccine_type=body.vaccine_type, day=body.day, actor=caller.username))


@router.get("/certificates/{certificate_id}", response_model=CertificateOut,
            summary="A certificate")
def get_certificate(certificate_id: Id, session: DbSession, caller: Manager,
                    audit: AuditDep) -> Any:
    """An issued certificate with its HC1: text (audited)."""
    found = certificate_for(session, caller, certificate_id)
    audit("read", "certificate", found.id, person_id=found.resident_id)
    return certificate_out(found)


QR_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"image/png": {}, "image/svg+xml": {}},
          "description": "The QR code (alphanumeric mode, error correction Q)"}}


@router.get("/certificates/{certificate_id}/qr.png", response_class=Response,
            responses=QR_RESPONSES,
            summary="A certificate's QR code (PNG)")
def qr_png(certificate_id: Id, session: DbSession, caller: Manager, audit: AuditDep
           ) -> Response:
    from epidesk.certificates.engine import qr_png as make

    found = certificate_for(session, caller, certificate_id)
    audit("read", "certificate", found.id, person_id=found.resident_id)
    return Response(make(found.text), media_type="image/png")


@router.get("/certificates/{certificate_id}/qr.svg", response_class=Response,
            responses=QR_RESPONSES,
            summary="A certificate's QR code (SVG)")
def qr_svg(certificate_id: Id, session: DbSession, caller: Manager, audit: AuditDep
           ) -> Response:
    from epidesk.certificates.engine import qr_svg as make

    found = certificate_for(session, caller, certificate_id)
    audit("read", "certificate", found.id, person_id=found.resident_id)
    return Response(make(found.text), media_type="image/svg+xml")


router.include_router(public)
