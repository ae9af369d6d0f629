"""JSON routes of outbound messages: the operators' call list and the community workers'
printed notices, each marked as it is worked."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel

from epidesk.kit.inputs import OptionalId
from epidesk.kit.web import PROBLEM_RESPONSES, AuditDep, DbSession, Id
from epidesk.messages.deps import (
    Sender,
    mark_call,
    mark_delivered,
    message_for,
    people_in,
    worklist,
)

router = APIRouter(responses=PROBLEM_RESPONSES, tags=["messages"])


class CallIn(BaseModel):
    """How the call went."""

    result: Literal["called", "no_answer", "wrong_number"]


@router.get("/messages/calls", summary="The call list")
def calls(session: DbSession, caller: Sender, audit: AuditDep) -> list[dict[str, Any]]:
    """Messages an operator reads out by phone, in the caller's area."""
    items = worklist(session, caller, channel="voice")
    audit("read", "message_calls", "voice", people=people_in(items))
    return items


@router.post("/messages/{message_id}/call", summary="Record a call")
def record_call(session: DbSession, caller: Sender, audit: AuditDep, message_id: Id,
                body: CallIn) -> dict[str, Any]:
    """Answered: delivered; no answer: tried again, then printed; wrong number: printed."""
    message = message_for(session, caller, message_id)
    mark_call(session, message=message, result=body.result, actor=caller.username)
    audit("update", "outbound_message", message.id, person_id=message.resident_id)
    return {"id": message.id, "state": message.state, "channel": message.channel,
            "attempts": message.attempts}


@router.get("/messages/notices", summary="Printed notices to deliver")
def notices(session: DbSession, caller: Sender, audit: AuditDep,
            community_id: Annotated[OptionalId, Query()] = None) -> list[dict[str, Any]]:
    """Notices for households without a phone, by community, in the caller's area."""
    items = worklist(session, caller, channel="print", community_id=community_id)
    audit("read", "message_notices", community_id or "all", people=people_in(items))
    return items


@router.post("/messages/{message_id}/delivered", summary="A notice was delivered")
def delivered(session: DbSession, caller: Sender, audit: AuditDep, message_id: Id
              ) -> dict[str, Any]:
    """A community worker handed the printed notice over."""
    message = message_for(session, caller, message_id)
    mark_delivered(session, message=message, actor=caller.username)
    audit("update", "outbound_message", message.id, person_id=message.resident_id)
    return {"id": message.id, "state": message.state, "channel": message.channel}
