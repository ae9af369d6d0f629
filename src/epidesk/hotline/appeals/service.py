"""Use cases of appeals: end a classification appeal with the investigator's decision
(tracing records it; the quarantine orders resting on the classification follow at once),
or a zone appeal (a changed zone's area through zoning), and close the ticket with the
outcome and the reason. Checked whole before anything is written; flush, never commit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from epidesk.errors import ConflictError, ValidationFailedError
from epidesk.hotline import service as tickets
from epidesk.hotline.appeals import rules
from epidesk.hotline.appeals.rules import AppealAnswer
from epidesk.hotline.models import Ticket
from epidesk.kit import clock
from epidesk.policy.service import active_preset
from epidesk.quarantine.orders import service as orders
from epidesk.tracing.decisions import service as decisions
from epidesk.zoning import service as zoning


@dataclass
class AppealEnd:
    """What ending an appeal did."""

    ticket: Ticket
    decision_id: int | None = None
    zone_id: int | None = None
    orders: dict[str, int] = field(default_factory=dict)


def invalid(found: list[tuple[str, str]]) -> ValidationFailedError:
    """A 422 problem naming each field that is wrong."""
    return ValidationFailedError(
        "; ".join(f"{name}: {message}" for name, message in found), field=found[0][0],
        errors=[{"loc": ["body", name], "msg": message, "type": "value_error"}
                for name, message in found])


def check(ticket: Ticket, answer: AppealAnswer) -> None:
    """Refuse an answer that cannot end this ticket (nothing written)."""
    if ticket.status == "resolved":
        raise ConflictError(f"ticket {ticket.reference} is resolved; reopen it first")
    found = rules.problems(ticket.category, answer)
    if found:
        raise invalid(found)
    if ticket.category == rules.CLASSIFICATION and ticket.resident_id is None:
        raise ConflictError(f"ticket {ticket.reference} names no resident: name the resident "
                            "whose classification is appealed first")


def end_appeal(session: Session, *, ticket: Ticket, answer: AppealAnswer, actor: str,
               now: datetime | None = None) -> AppealEnd:
    """End an appeal. A classification appeal records the investigator's decision in
    tracing (confirmed, changed: a new tier or end date, or withdrawn when the change
    leaves no classification) and settles the resident's quarantine orders with the
    appeal as reason; a zone appeal changed moves the zone's area. The ticket is resolved
    with the outcome and the reason (shown to whoever follows it)."""
    check(ticket, answer)
    moment = now or clock.now()
    source = f"appeal {ticket.reference}"
    done = AppealEnd(ticket=ticket)
    if ticket.category == rules.CLASSIFICATION:
        assert ticket.resident_id is not None
        made = rules.decision_of(answer)
        if made is not None:
            kind, tier = made
            decision = decisions.decide(
                session, resident_id=ticket.resident_id, kind=kind, reason=answer.reason,
                tier=tier, end_on=answer.end_on, source=source, actor=actor, now=moment)
            done.decision_id = decision.id
            result = orders.SyncResult(residents=1)
            orders.settle_resident(session, ticket.resident_id, preset=active_preset(),
                                   actor=actor, now=moment, result=result)
            done.orders = result.as_dict()
    elif answer.outcome == "changed":
        assert answer.zone_id is not None and answer.to_key is not None
        zone = zoning.change_area(session, zone_id=answer.zone_id, to_key=answer.to_key.strip(),
                                  reason=f"{source}: {answer.reason.strip()}", actor=actor)
        done.zone_id = zone.id
    if done.decision_id is not None:
        counts = ", ".join(f"{n} {what}" for what, n in done.orders.items()
                           if what != "residents" and n)
        tickets.respond(session, ticket=ticket, actor=actor, public=False, at=moment,
                        note=f"decision {done.decision_id} recorded in tracing; quarantine "
                             f"orders: {counts or 'none changed'}")
    tickets.resolve(session, ticket=ticket, note=answer.reason, actor=actor,
                    outcome=answer.outcome, at=moment)
    return done
