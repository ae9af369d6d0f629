"""The route matrix: certificates."""

from __future__ import annotations

from tests.factories import TinyCity
from tests.routes import (
    PERSONAL,
    PUBLIC,
    Probe,
    _resident,
)
from tests.routes.testing import (
    _tested,
)

PUBLIC.update({
    # Verifying a certificate records nothing and looks no one up; the trust list holds
    # signer certificates and hashes only.
    ("POST", "/api/public/certificates/verify"), ("GET", "/api/public/certificates/trust-list"),
    ("GET", "/certificates/verify"), ("GET", "/certificates/sw.js"),
    # The DCC schemas the platform checks, for verifiers that work offline.
    ("GET", "/api/public/certificates/schemas"),
})


def _certified(t: TinyCity) -> dict[str, int]:
    """A signer key, the vaccinator role for the worker over its community, and a
    vaccination certificate for a resident of each of the first two communities."""
    found: dict[str, int] | None = getattr(t, "certified", None)
    if found is not None:
        return found
    from datetime import date

    from sqlalchemy.orm import object_session

    from epidesk.auth import service as auth
    from epidesk.certificates import service as certificates

    _tested(t)
    session = object_session(t.city)
    assert session is not None
    auth.grant_role(session, username="worker", role="vaccinator", scope_kind="community",
                    scope_id=t.communities[0].id, granted_by="test")
    certificates.generate_key(session, actor="test")
    found = {}
    for inside in (True, False):
        found["inside" if inside else "outside"] = certificates.issue_vaccination(
            session, resident_id=_resident(t, inside), dose_number=1, total_doses=2,
            product="BBIBP-CorV", manufacturer="ORG-100020693", vaccine_type="inactivated",
            day=date(2026, 11, 20), actor="test").id
    t.certified = found  # type: ignore[attr-defined]
    return found


def _certificate(t: TinyCity, inside: bool) -> int:
    return _certified(t)["inside" if inside else "outside"]


def _certified_resident(t: TinyCity, inside: bool) -> int:
    return (_certified(t), _resident(t, inside))[1]


PERSONAL.update({
    # Certificates of residents inside the caller's area only (issuing names the resident
    # in the body: outside it, 422 naming the field, as for one that does not exist).
    ("GET", "/api/certificates/{certificate_id}"): Probe(
        lambda t, i: f"/api/certificates/{_certificate(t, i)}"),
    ("GET", "/certificates/{certificate_id}/print"): Probe(
        lambda t, i: f"/certificates/{_certificate(t, i)}/print"),
    ("GET", "/api/certificates/{certificate_id}/qr.png"): Probe(
        lambda t, i: f"/api/certificates/{_certificate(t, i)}/qr.png"),
    ("GET", "/api/certificates/{certificate_id}/qr.svg"): Probe(
        lambda t, i: f"/api/certificates/{_certificate(t, i)}/qr.svg"),
    ("POST", "/api/certificates/vaccination"): Probe(
        lambda t, i: "/api/certificates/vaccination", ok=201, refused=422,
        json=lambda t, i: {"resident_id": _certified_resident(t, i), "dose_number": 2,
                           "total_doses": 2, "product": "BBIBP-CorV",
                           "manufacturer": "ORG-100020693", "day": "2026-11-21"}),
    ("POST", "/api/certificates/test"): Probe(
        lambda t, i: "/api/certificates/test", ok=201, refused=422,
        json=lambda t, i: {"resident_id": _certified_resident(t, i),
                           "sample_code": "RS-IN" if i else "RS-OUT"}),
    ("POST", "/api/certificates/recovery"): Probe(
        lambda t, i: "/api/certificates/recovery", ok=201, refused=422,
        json=lambda t, i: {"resident_id": _certified_resident(t, i)}),
})
