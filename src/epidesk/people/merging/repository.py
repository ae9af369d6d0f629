"""Queries of duplicates and merges: grouping queries, and re-pointing people's rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from epidesk.people.merging.rules import DuplicateReason
from epidesk.people.models import (
    ClassMembership,
    HouseholdMembership,
    Resident,
    WorkGroupMembership,
)

# The columns two records share for each reason.
_KEYS: dict[DuplicateReason, tuple[Any, ...]] = {
    DuplicateReason.SAME_ID_NUMBER: (Resident.id_number,),
    DuplicateReason.SAME_NAME_BIRTH_ADDRESS: (Resident.name, Resident.birth_date,
                                              Resident.household_id),
    DuplicateReason.SAME_NAME_BIRTH_PHONE: (Resident.name, Resident.birth_date,
                                            Resident.phone),
}


def _live_in(community_ids: Sequence[int] | None) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = [Resident.merged_into_id.is_(None)]
    if community_ids is not None:
        found.append(Resident.community_id.in_(sorted(set(community_ids))))
    return found


def duplicate_groups(session: Session, community_ids: Sequence[int] | None
                     ) -> list[tuple[DuplicateReason, list[int]]]:
    """Groups of live records (inside the communities) that share each reason's columns.

    One grouping query per reason finds the shared values, joined back to the records:
    no pair of records is ever compared in Python.
    """
    found: list[tuple[DuplicateReason, list[int]]] = []
    for reason, keys in _KEYS.items():
        where = [*_live_in(community_ids), *(k.is_not(None) for k in keys)]
        shared = (select(*keys).where(*where).group_by(*keys)
                  .having(func.count() > 1).subquery())
        rows = session.execute(
            select(Resident.id, *keys)
            .join(shared, and_(*(k == shared.c[k.key] for k in keys)))
            .where(*_live_in(community_ids))
            .order_by(*keys, Resident.id)).all()
        groups: dict[tuple[Any, ...], list[int]] = defaultdict(list)
        for row in rows:
            groups[tuple(row[1:])].append(int(row[0]))
        found += [(reason, ids) for ids in groups.values() if len(ids) > 1]
    return found


def memberships_of(session: Session, resident_id: int) -> Sequence[HouseholdMembership]:
    """A resident's household stays, oldest first."""
    return session.scalars(select(HouseholdMembership)
                           .where(HouseholdMembership.resident_id == resident_id)
                           .order_by(HouseholdMembership.start_date,
                                     HouseholdMembership.id)).all()


MEMBERSHIP_TABLES: tuple[tuple[Any, str], ...] = (
    (WorkGroupMembership, "work-group membership"),
    (ClassMembership, "school-class membership"),
)
