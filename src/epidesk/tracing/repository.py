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
from epidesk.tracing.models import Contact, Exposure, FollowUpTest, VenueVisit


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
