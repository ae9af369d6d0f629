"""Queries of the contact views: evidence, histories, follow-up plans and missed tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.cases.models import CaseEpisode
from epidesk.people.models import Resident
from epidesk.testing.models import Sample, Tube
from epidesk.tracing.models import Contact, ContactEvent, ContactEvidence, FollowUpTest, TracedCase
from epidesk.tracing.repository import chunks
from epidesk.tracing.rules import ACTIVE


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


def samples_between(session: Session, resident_id: int, start: datetime, end: datetime
                    ) -> list[tuple[Sample, Tube]]:
    """A resident's samples collected in [start, end), with their tubes."""
    rows = session.execute(select(Sample, Tube).join(Tube, Tube.id == Sample.tube_id).where(
        Sample.resident_id == resident_id, Sample.collected_at >= start,
        Sample.collected_at < end).order_by(Sample.collected_at)).all()
    return [(s, t) for s, t in rows]


def missed_tests(session: Session, *, before: date, community_ids: Sequence[int] | None,
                 limit: int, offset: int) -> list[tuple[FollowUpTest, Resident, Contact]]:
    """Planned tests of active contacts whose day passed without a sample, oldest first."""
    taken = (select(Sample.id).where(Sample.resident_id == FollowUpTest.resident_id,
                                     Sample.collected_at >= FollowUpTest.due_from,
                                     Sample.collected_at < FollowUpTest.due_until)
             .exists())
    # A contact who has become a case is followed as a case from its sampling day on.
    became_case = (select(CaseEpisode.id).where(CaseEpisode.resident_id == FollowUpTest.resident_id,
                                                CaseEpisode.status == "active",
                                                CaseEpisode.sampling_date <= FollowUpTest.due_on)
                   .exists())
    stmt = (select(FollowUpTest, Resident, Contact)
            .join(Contact, Contact.resident_id == FollowUpTest.resident_id)
            .join(Resident, Resident.id == FollowUpTest.resident_id)
            .where(Contact.status == ACTIVE, FollowUpTest.due_on < before, ~taken,
                   ~became_case))
    if community_ids is not None:
        stmt = stmt.where(Resident.community_id.in_(sorted(set(community_ids))))
    rows = session.execute(stmt.order_by(FollowUpTest.due_on, FollowUpTest.id)
                           .limit(limit).offset(offset)).all()
    return [(t, r, c) for t, r, c in rows]


def active_case_of_residents(session: Session, residents: Sequence[int]) -> dict[int, date]:
    """The earliest sampling date of an active case of each resident that has one."""
    out: dict[int, date] = {}
    for chunk in chunks(residents):
        for r, d in session.execute(select(CaseEpisode.resident_id,
                                           func.min(CaseEpisode.sampling_date))
                                    .where(CaseEpisode.status == "active",
                                           CaseEpisode.resident_id.in_(chunk))
                                    .group_by(CaseEpisode.resident_id)):
            out[int(r)] = d
    return out


def recent_traced_cases(session: Session, *, community_ids: Sequence[int] | None, limit: int
                        ) -> Sequence[TracedCase]:
    """Cases as last traced, newest first (only cases reported in the communities)."""
    stmt = select(TracedCase).join(CaseEpisode, CaseEpisode.id == TracedCase.case_id)
    if community_ids is not None:
        stmt = stmt.where(CaseEpisode.community_id.in_(sorted(set(community_ids))))
    return session.scalars(stmt.order_by(TracedCase.traced_at.desc(), TracedCase.case_id.desc())
                           .limit(limit)).all()
