"""HTML routes of outbound messages: the operators' call list and the printable notices a
community worker delivers, each with its form to mark it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from epidesk.kit.i18n import _l, register_labels
from epidesk.kit.inputs import OptionalId
from epidesk.kit.templating import render
from epidesk.kit.web import AuditDep, DbSession, Id, check_csrf, csrf_token
from epidesk.messages.deps import (
    Sender,
    mark_call,
    mark_delivered,
    message_for,
    people_in,
    worklist,
)

router = APIRouter(include_in_schema=False)
CsrfField = Annotated[str, Form(alias="csrf_token", max_length=128)]

# The keys the staff pages show, in words.
register_labels("message_channel", {
    "sms": _l("SMS"), "voice": _l("call by an operator"), "print": _l("printed notice"),
})
register_labels("message_state", {
    "queued": _l("queued"), "sent": _l("sent"), "delivered": _l("delivered"),
    "failed": _l("failed"), "cancelled": _l("cancelled"),
})
register_labels("message_topic", {
    "hotline.ticket_update": _l("hotline ticket update"),
    "supplies.delivery": _l("supplies delivery"),
})


@router.get("/messages/calls")
def calls_page(request: Request, session: DbSession, caller: Sender, audit: AuditDep
               ) -> Response:
    """The call list: whom to call, the number, what to read out."""
    items = worklist(session, caller, channel="voice")
    audit("read", "message_calls", "voice", people=people_in(items))
    return render(request, "messages/calls.html", {
        "items": items, "csrf_token": csrf_token(request), "section": "messages"})


@router.post("/messages/{message_id}/call")
def call_form(request: Request, session: DbSession, caller: Sender, audit: AuditDep,
              message_id: Id,
              result: Annotated[str, Form(pattern="^(called|no_answer|wrong_number)$")],
              csrf_token_: CsrfField = "") -> Response:
    """Record how a call went."""
    check_csrf(request, csrf_token_)
    message = message_for(session, caller, message_id)
    mark_call(session, message=message, result=result, actor=caller.username)
    audit("update", "outbound_message", message.id, person_id=message.resident_id)
    return RedirectResponse("/messages/calls", status_code=303)


@router.get("/messages/notices")
def notices_page(request: Request, session: DbSession, caller: Sender, audit: AuditDep,
                 community_id: Annotated[OptionalId, Query()] = None) -> Response:
    """Printable notices, one per page, by community, each with its address."""
    items = worklist(session, caller, channel="print", community_id=community_id)
    audit("read", "message_notices", community_id or "all", people=people_in(items))
    return render(request, "messages/notices.html", {
        "items": items, "community_id": community_id, "csrf_token": csrf_token(request),
        "section": "messages"})


@router.post("/messages/{message_id}/delivered")
def delivered_form(request: Request, session: DbSession, caller: Sender, audit: AuditDep,
                   message_id: Id, csrf_token_: CsrfField = "") -> Response:
    """Mark a printed notice delivered."""
    check_csrf(request, csrf_token_)
    message = message_for(session, caller, message_id)
    mark_delivered(session, message=message, actor=caller.username)
    audit("update", "outbound_message", message.id, person_id=message.resident_id)
    target = f"/messages/notices?community_id={message.community_id}" \
        if message.community_id else "/messages/notices"
    return RedirectResponse(target, status_code=303)
