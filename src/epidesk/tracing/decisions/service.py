"""Use cases of contact decisions: an investigator confirms, changes (a new tier or end
date) or withdraws a resident's classification, with a reason. The contact, its follow-up
plan and its history change in the same transaction; the contact event lets quarantine
bring the orders resting on it in step. Session first; flush, never commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy.orm import Session

from epidesk.errors import NotFoundError, ValidationFailedError
from epidesk.kit import clock
from epidesk.people import repository as people
from epidesk.policy.service import get_preset
from epidesk.tracing import repository as contacts
from epidesk.tracing import rules as tracing_rules
from epidesk.tracing.decisions import repository, rules
from epidesk.tracing.models import Contact, ContactDecision, ContactEvent, FollowUpTest


def invalid(problems: Sequence[tuple[str, str]]) -> ValidationFailedError:
    """A 422 problem naming each field that is wrong."""
    return ValidationFailedError(
        "; ".join(f"{name}: {message}" for name, message in problems),
        field=problems[0][0],
        errors=[{"loc": ["body", name], "msg": message, "type": "value_error"}
                for name, message in problems])


def _current(record: Contact) -> rules.Current:
    return rules.Current(tier=record.tier, status=record.status, end_on=record.decided_end_on,
                         last_exposure_on=record.last_exposure_on)


def _replan(session: Session, record: Contact) -> None:
    """The contact's follow-up tests again, for its tier and last exposure."""
    repository.delete_follow_up(session, record.resident_id)
    if record.status != tracing_rules.ACTIVE:
        return
    zone = clock.city_zone()
    suitable = record.resident_id not in people.in_unsuitable_homes(session,
                                                                     [record.resident_id])
    for test in tracing_rules.follow_up_plan(record.tier, record.last_exposure_on,
                                             get_preset(record.preset),
                                             home_suitable=suitable):
        session.add(FollowUpTest(
            resident_id=record.resident_id, category=test.category, day=test.day,
            due_on=test.due_on, due_from=clock.day_start(test.due_on, zone),
            due_until=clock.day_start(test.due_on + dt.timedelta(days=1), zone),
            place=test.place))


def decide(session: Session, *, resident_id: int, kind: str, reason: str, actor: str,
           tier: str | None = None, end_on: dt.date | None = None, source: str = "",
           now: dt.datetime | None = None) -> ContactDecision:
    """Record an investigator's decision on a resident's classification and apply it.

    Refused, with nothing written, for a resident without a classification (404), an
    unknown kind or tier, a missing reason, an end before the last exposure, a change
    that changes nothing, or a confirmation or withdrawal of a withdrawn classification
    (422 naming the field)."""
    record = contacts.contact_of(session, resident_id)
    if record is None:
        raise NotFoundError(f"resident {resident_id} has no classification to decide on")
    current = _current(record)
    problems = rules.check(current, kind=kind, reason=reason, tier=tier, end_on=end_on)
    if problems:
        raise invalid(problems)
    moment = (now or clock.now()).replace(microsecond=0)
    after = rules.outcome(current, kind=kind, tier=tier, end_on=end_on)
    earlier = repository.holding(session, [resident_id])
    repository.end(session, [d.id for d in earlier.values()], at=moment, reason=rules.FURTHER)
    decision = ContactDecision(
        resident_id=resident_id, kind=kind, previous_tier=current.tier,
        previous_status=current.status, previous_end_on=current.end_on, tier=after.tier,
        status=after.status, end_on=after.end_on, reason=reason.strip(),
        source=source.strip()[:64], last_exposure_at=record.last_exposure_at,
        decided_by=actor[:64], decided_at=moment)
    session.add(decision)
    replan = after.tier != record.tier or after.status != record.status
    record.tier, record.decided_end_on = after.tier, after.end_on
    if after.status != record.status:
        record.status = after.status
        record.withdrawn_at = moment if after.status == tracing_rules.WITHDRAWN else None
        if after.status == tracing_rules.ACTIVE:
            record.isolated_at = moment
    record.updated_at = moment
    session.flush()
    if replan:
        _replan(session, record)
    where = f" ({decision.source})" if decision.source else ""
    session.add(ContactEvent(resident_id=resident_id, at=moment, kind=kind, tier=after.tier,
                             note=f"decision {decision.id} by {actor[:64]}{where}: "
                                  f"{decision.reason}", run_id=None))
    session.flush()
    return decision


def decisions_of(session: Session, *, resident_id: int) -> Sequence[ContactDecision]:
    """A resident's decisions, oldest first."""
    return repository.of_resident(session, resident_id)


def holding_decision(session: Session, *, resident_id: int) -> ContactDecision | None:
    """The decision that holds for a resident, if any."""
    return repository.holding(session, [resident_id]).get(resident_id)
