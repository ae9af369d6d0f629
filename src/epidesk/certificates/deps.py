"""FastAPI dependencies of the certificates domain, its person panel and merge part."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from epidesk.certificates import service
from epidesk.certificates.models import IssuedCertificate
from epidesk.kit.access import CERTIFICATES_MANAGE, AreaPath, Caller
from epidesk.kit.i18n import _, _l, register_labels
from epidesk.kit.merges import MergePart
from epidesk.kit.panels import Audit, Panel
from epidesk.kit.web import ensure_in_scope, require
from epidesk.people import service as people

Manager = Annotated[Caller, Depends(require(CERTIFICATES_MANAGE))]

register_labels("certificate_kind", {"vaccination": _l("vaccination"), "test": _l("test"),
                                     "recovery": _l("recovery")})

person_merge = MergePart(covers=("issued_certificate.resident_id",),
                         apply=service.merge_person_rows)


def resident_in_scope(session: Session, caller: Caller, resident_id: int) -> None:
    """Refuse a resident outside the caller's area as if they did not exist (422 naming
    the field: the resident is named in the body)."""
    area = people.resident_area(session, resident_id)
    if area is None or not caller.may(CERTIFICATES_MANAGE, area):
        raise service.invalid_field("resident_id", f"no resident {resident_id}")


def certificate_for(session: Session, caller: Caller, certificate_id: int) -> IssuedCertificate:
    """A certificate of a resident inside the caller's area (else 404, as if none)."""
    found = service.certificate(session, certificate_id=certificate_id)
    area = people.resident_area(session, found.resident_id)
    ensure_in_scope(caller, CERTIFICATES_MANAGE, area, "certificate", certificate_id)
    return found


def person_panel(session: Session, *, caller: Caller, resident_id: int, area: AreaPath,
                 audit: Audit) -> Panel | None:
    """The person's record: the certificates issued to the resident, newest first."""
    if not caller.may(CERTIFICATES_MANAGE, area):
        return None
    issued = service.resident_certificates(session, resident_id=resident_id)
    audit("read", "resident_certificates", resident_id, person_id=resident_id)
    return Panel(key="certificates", title=_("Certificates"),
                 template="certificates/_person_panel.html",
                 data={"certificates": [{"id": c.id, "kind": c.kind,
                                         "identifier": c.identifier,
                                         "event_day": c.event_day.isoformat(),
                                         "expires_at": c.expires_at.isoformat()}
                                        for c in issued]},
                 view=issued, summary=f"{len(issued)} certificates")
