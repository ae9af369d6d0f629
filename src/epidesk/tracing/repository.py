"""Queries the tracing domain shares: bulk writes of its tables.

Columns are read in bulk with `kit.bulk.reading`; the residents, venues, places and
cases its views name are read through the people and cases repositories.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, aliased

from epidesk.kit import bulk
from epidesk.kit.bulk.reading import chunks
from epidesk.tracing.models import (
    Contact,
    ContactDecision,
    ContactEvent,
    ContactEvidence,
    Exposure,
    FollowUpTest,
    VenueVisit,
)


def write_rows(session: Session, table: sa.Table, columns: Mapping[str, bulk.Column],
               progress: bulk.Progress | None = None) -> int:
    """Write rows given as columns (binary COPY on PostgreSQL)."""
    return bulk.copy_rows(session, table, columns, progress=progress)


def tracing_table(name: str) -> sa.Table:
    """A table of the tracing domain."""
    from epidesk.kit.domains import load_models

    return load_models().tables[name]


# ------------------------------------------------------------------ merging two records


def contact_of(session: Session, resident_id: int) -> Contact | None:
    """A resident's contact classification, if any."""
    return session.scalars(select(Contact).where(Contact.resident_id == resident_id)).first()


def colliding_visits(session: Session, *, survivor_id: int, merged_id: int) -> list[int]:
    """The merged record's visits that the survivor's record holds too (same venue and
    arrival): kept once."""
    mine = aliased(VenueVisit)
    return list(session.scalars(
        select(VenueVisit.id).join(mine, sa.and_(mine.venue_id == VenueVisit.venue_id,
                                                 mine.started_at == VenueVisit.started_at,
                                                 mine.resident_id == survivor_id))
        .where(VenueVisit.resident_id == merged_id)))


def delete_visits(session: Session, ids: Sequence[int]) -> None:
    """Remove visits by id."""
    for chunk in chunks(ids):
        session.execute(delete(VenueVisit).where(VenueVisit.id.in_(chunk))
                        .execution_options(synchronize_session=False))


def delete_self_exposures(session: Session, resident_id: int) -> int:
    """Remove exposures of a resident with themselves; how many."""
    result = session.execute(delete(Exposure).where(Exposure.resident_a_id == resident_id,
                                                    Exposure.resident_b_id == resident_id)
                             .execution_options(synchronize_session="fetch"))
    return int(getattr(result, "rowcount", 0) or 0)


def drop_contact(session: Session, contact: Contact) -> None:
    """Remove a contact classification and its follow-up tests."""
    session.execute(delete(FollowUpTest).where(FollowUpTest.resident_id == contact.resident_id)
                    .execution_options(synchronize_session=False))
    session.delete(contact)
    session.flush()


# ------------------------------------------------------------------ for quarantine orders


def latest_contact_event_id(session: Session) -> int:
    """The id of the newest contact event (0 when there is none)."""
    return int(session.scalar(select(sa.func.max(ContactEvent.id))) or 0)


def residents_with_contact_events(session: Session, *, after: int, up_to: int) -> list[int]:
    """The residents with a contact event (identified, promoted, withdrawn...) in
    (after, up_to]."""
    return list(session.scalars(
        select(ContactEvent.resident_id).where(ContactEvent.id > after, ContactEvent.id <= up_to)
        .distinct().order_by(ContactEvent.resident_id)))


def decision_note(session: Session, resident_id: int) -> str | None:
    """The investigator's decision that holds for a resident, in a sentence (the reason a
    quarantine order changes with it); None when none holds."""
    found = session.scalars(select(ContactDecision).where(
        ContactDecision.resident_id == resident_id, ContactDecision.ended_at.is_(None))
        .order_by(ContactDecision.id.desc()).limit(1)).first()
    if found is None:
        return None
    where = f" ({found.source})" if found.source else ""
    return f"investigator's decision {found.id}{where}: {found.reason}"


def contacts_of(session: Session, resident_ids: Sequence[int]) -> dict[int, Contact]:
    """The contact classification of each given resident that has one."""
    out: dict[int, Contact] = {}
    for chunk in chunks(resident_ids):
        out.update({c.resident_id: c for c in session.scalars(
            select(Contact).where(Contact.resident_id.in_(chunk)))})
    return out


def active_contact_residents(session: Session) -> list[int]:
    """The residents classified as active contacts."""
    return list(session.scalars(select(Contact.resident_id).where(Contact.status == "active")
                                .order_by(Contact.resident_id)))


def close_contact_via(session: Session, resident_id: int) -> int | None:
    """The close contact through whom a sub-close contact was found (its active evidence)."""
    return session.scalar(select(ContactEvidence.via_resident_id).where(
        ContactEvidence.resident_id == resident_id, ContactEvidence.status == "active",
        ContactEvidence.via_resident_id.is_not(None)).order_by(ContactEvidence.id).limit(1))
