"""HTML routes of the certificates domain: the printable bilingual certificate."""

from __future__ import annotations

from fastapi import APIRouter, Request
from markupsafe import Markup
from starlette.responses import Response

from epidesk.certificates.deps import Manager, certificate_for
from epidesk.certificates.engine import qr_svg
from epidesk.certificates.hcert.engine import decode_unverified
from epidesk.kit.templating import render
from epidesk.kit.web import AuditDep, DbSession, Id

router = APIRouter(include_in_schema=False)


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
