"""What the Open311 routes need: the caller (an api_key is an API token), tickets in
Open311's shape with personal fields only for hotline staff inside their area."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from epidesk.errors import AuthenticationError
from epidesk.hotline import repository
from epidesk.hotline.deps import visible
from epidesk.hotline.models import Ticket
from epidesk.hotline.open311 import rules as open311
from epidesk.kit import clock
from epidesk.kit.access import HOTLINE_WRITE, Caller


def open311_caller(request: Request, session: Session, caller: Caller | None,
                   api_key: str | None) -> Caller | None:
    """The caller of an Open311 route: signed in, holding a bearer token, or giving an
    Open311 `api_key` (one of the platform's API tokens); an unknown key is refused."""
    if caller is not None or not api_key:
        return caller
    from epidesk.auth import service as auth
    from epidesk.config import get_settings

    found = auth.resolve_token(session, api_key, require_totp_for_administrators=get_settings(
    ).require_totp_for_administrators)
    if found is None or found.limited:
        raise AuthenticationError("the api_key is unknown, expired or revoked")
    return found


def open311_view(session: Session, caller: Caller | None, tickets: list[Ticket]
                 ) -> tuple[list[dict[str, Any]], list[int]]:
    """Tickets in Open311's shape, with personal fields only for hotline staff inside
    their area; and the residents those shown in full concern (for the audit log)."""
    full = [t for t in tickets if caller is not None and caller.can(HOTLINE_WRITE)
            and visible(session, caller, t)]
    notes = repository.last_public_notes(session, [t.id for t in full])
    keep = {t.id for t in full}
    out = []
    for t in tickets:
        row = {"id": t.id, "status": t.status, "category": t.category,
               "escalation": t.escalation, "first_response_due": clock.aware(
                   t.first_response_due), "resolution_due": clock.aware(t.resolution_due),
               "received_at": clock.aware(t.received_at),
               "updated_at": clock.aware(t.updated_at), "description": t.description,
               "address_text": t.address_text, "lat": t.lat, "lon": t.lon,
               "last_note": notes.get(t.id)}
        out.append(open311.request(row, personal=t.id in keep))
    return out, sorted({t.resident_id for t in full if t.resident_id is not None})
