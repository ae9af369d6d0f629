"""HTML routes of the certificates domain: the printable bilingual certificate and the
public verification page (with its service worker) that verifies in the browser."""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from epidesk.certificates.deps import Manager, certificate_for
from epidesk.certificates.engine import qr_svg
from epidesk.certificates.hcert.engine import decode_unverified
from epidesk.kit.i18n import _l
from epidesk.kit.templating import render
from epidesk.kit.web import AuditDep, DbSession, Id

router = APIRouter(include_in_schema=False)

# What each failing step of verification means, for the people at a door.
STEP_TEXTS = {
    "prefix": _l("this is not a certificate (it does not start with HC1:)"),
    "base45": _l("the code is damaged or incomplete"),
    "zlib": _l("the code is damaged or incomplete"),
    "cose": _l("the code does not hold a signed certificate"),
    "algorithm": _l("the certificate is signed in a way this page does not accept"),
    "kid": _l("the certificate's signer is not in the list of trusted signers"),
    "signature": _l("the signature does not match: the certificate was altered or forged"),
    "cwt": _l("the certificate has no issue or expiry time"),
    "not_yet_valid": _l("the certificate is not valid yet"),
    "expired": _l("the certificate has expired"),
    "payload": _l("the certificate holds no health certificate"),
    "version": _l("the certificate is of a version this page does not know"),
    "schema": _l("the certificate's contents are not in the expected form"),
    "signer_validity": _l("the signer's own certificate is not valid now"),
    "key_usage": _l("the signer may not sign this kind of certificate"),
    "revoked": _l("the certificate was revoked"),
}


@router.get("/certificates/verify")
def verify_page(request: Request) -> Response:
    """Verify a certificate in the browser: camera or picture, offline after one visit.
    Public; the server sees nothing of what is verified."""
    return render(request, "certificates/verify.html",
                  {"steps": {k: str(v) for k, v in STEP_TEXTS.items()}})


@router.get("/certificates/sw.js")
def service_worker() -> Response:
    """The verification page's service worker (its scope: /certificates/)."""
    script = resources.files("epidesk.web").joinpath("static", "dcc-sw.js").read_text()
    return Response(script, media_type="text/javascript")


@router.get("/certificates/{certificate_id}/print")
def print_page(request: Request, certificate_id: Id, session: DbSession, caller: Manager,
               audit: AuditDep) -> Response:
    """A certificate to print or hand over: the QR code and the minimum fields, in
    Chinese and English."""
    found = certificate_for(session, caller, certificate_id)
    audit("read", "certificate", found.id, person_id=found.resident_id)
    _, claims = decode_unverified(found.text)
    hcert = claims[-260][1]
    group = {"vaccination": "v", "test": "t", "recovery": "r"}[found.kind]
    # The SVG is made here from the certificate's own text: no markup from input.
    return render(request, "certificates/print.html", {
        "certificate": found, "name": hcert["nam"], "dob": hcert["dob"],
        "entry": hcert[group][0], "qr": Markup(qr_svg(found.text, scale=3))})
