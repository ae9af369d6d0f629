"""Queries of the contact views: evidence, histories, follow-up plans and missed tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TypeVarTuple

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from epidesk.cases import repository as cases
from epidesk.db import count_at_most
from epidesk.people import repository as people
from epidesk.testing import repository as testing
from epidesk.tracing.models import Contact, ContactEvent, ContactEvidence, FollowUpTest, TracedCase
from epidesk.tracing.rules import ACTIVE

Row = TypeVarTuple("Row")


def evidence_rows(session: Session, resident_id: int) -> Sequence[ContactEvidence]:
    """Every piece of evidence of a contact, active first, newest first."""
    return session.scalars(select(ContactEvidence)
                           .where(ContactEvidence.resident_id == resident_id)
                           .order_by(ContactEvidence.status, ContactEvidence.tier,
                                     ContactEvidence.overlap_start.desc(),
                                     ContactEvidence.id)).all()


def case_contact_rows(session: Session, case_id: int) -> list[tuple[int, str, str, int]]:
    """(resident, tier, setting, pieces) of the active evidence naming a case."""
    rows = session.execute(
        select(ContactEvidence.resident_id, ContactEvidence.tier, ContactEvidence.setting,
               func.count())
        .where(ContactEvidence.case_id == case_id, ContactEvidence.status == ACTIVE)
        .group_by(ContactEvidence.resident_id, ContactEvidence.tier, ContactEvidence.setting)
    ).all()
    return [(int(r), str(t), str(s), int(n)) for r, t, s, n in rows]


def contact(session: Session, resident_id: int) -> Contact | None:
    """A resident's contact record."""
    return session.scalars(select(Contact).where(Contact.resident_id == resident_id)).first()


def contact_events(session: Session, resident_id: int) -> Sequence[ContactEvent]:
    """A contact's history, oldest first."""
    return session.scalars(select(ContactEvent).where(ContactEvent.resident_id == resident_id)
                           .order_by(ContactEvent.at, ContactEvent.id)).all()


def follow_up(session: Session, resident_id: int) -> Sequence[FollowUpTest]:
    """A contact's planned tests by day."""
    return session.scalars(select(FollowUpTest).where(FollowUpTest.resident_id == resident_id)
                           .order_by(FollowUpTest.due_on, FollowUpTest.id)).all()


def missed_tests(session: Session, *, before: date, community_ids: Sequence[int] | None,
                 limit: int, offset: int) -> list[tuple[FollowUpTest, Contact]]:
    """Planned tests of active contacts whose day passed without a sample, oldest first.

    One query: the testing, cases and people repositories give its conditions on samples,
    cases and where residents live.
    """
    stmt = _missed(select(FollowUpTest, Contact), before=before, community_ids=community_ids)
    rows = session.execute(stmt.order_by(FollowUpTest.due_on, FollowUpTest.id)
                           .limit(limit).offset(offset)).all()
    return [(t, c) for t, c in rows]


def count_missed_tests(session: Session, *, before: date,
                       community_ids: Sequence[int] | None, cap: int) -> int:
    """How many tests `missed_tests` would list in all, counted up to `cap + 1`."""
    stmt = _missed(select(FollowUpTest.id), before=before, community_ids=community_ids)
    return count_at_most(session, stmt, cap)


def recent_traced_cases(session: Session, *, community_ids: Sequence[int] | None, limit: int
                        ) -> Sequence[TracedCase]:
    """Cases as last traced, newest first (only cases reported in the communities)."""
    stmt = select(TracedCase)
    if community_ids is not None:
        stmt = stmt.where(TracedCase.case_id.in_(cases.ids_reported_in(community_ids)))
    return session.scalars(stmt.order_by(TracedCase.traced_at.desc(), TracedCase.case_id.desc())
                           .limit(limit)).all()


def contact_counts(session: Session, *, community_ids: Sequence[int] | None
                   ) -> dict[str, int]:
    """Active contacts by tier, of residents living in the communities (None: everywhere)."""
    stmt = select(Contact.tier, func.count()).where(Contact.status == ACTIVE)
    if community_ids is not None:
        stmt = stmt.where(Contact.resident_id.in_(people.ids_living_in(community_ids)))
    return {str(t): int(n) for t, n in session.execute(stmt.group_by(Contact.tier)).all()}


def missed_test_count(session: Session, *, before: date, community_ids: Sequence[int] | None
                      ) -> int:
    """How many planned tests of active contacts passed without a sample."""
    stmt = _missed(select(func.count()).select_from(FollowUpTest), before=before,
                   community_ids=community_ids)
    return int(session.scalar(stmt) or 0)


def _missed(stmt: Select[*Row], *, before: date, community_ids: Sequence[int] | None
            ) -> Select[*Row]:
    """The conditions of a missed test: an active contact's planned test day passed
    without a sample (a contact who became a case is followed as a case from then on)."""
    taken = testing.sampled_between(FollowUpTest.resident_id, FollowUpTest.due_from,
                                    FollowUpTest.due_until)
    became_case = cases.active_case_sampled_by(FollowUpTest.resident_id, FollowUpTest.due_on)
    stmt = (stmt.join(Contact, Contact.resident_id == FollowUpTest.resident_id)
            .where(Contact.status == ACTIVE, FollowUpTest.due_on < before, ~taken,
                   ~became_case))
    if community_ids is not None:
        stmt = stmt.where(FollowUpTest.resident_id.in_(people.ids_living_in(community_ids)))
    return stmt
