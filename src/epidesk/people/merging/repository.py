"""Queries of duplicates and merges: grouping queries, and re-pointing people's rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
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

    One grouping query per reason: a group of two (nearly every one) comes back as its
    smallest and largest id; only the rare larger group is read again by its values. No
    pair of records is ever compared in Python.
    """
    found: list[tuple[DuplicateReason, list[int]]] = []
    for reason, keys in _KEYS.items():
        where = [*_live_in(community_ids), *(k.is_not(None) for k in keys)]
        rows = session.execute(
            select(func.min(Resident.id), func.max(Resident.id), func.count(), *keys)
            .where(*where).group_by(*keys).having(func.count() > 1)).all()
        for low, high, count, *values in rows:
            if count == 2:
                found.append((reason, [int(low), int(high)]))
                continue
            members = session.scalars(
                select(Resident.id).where(*where, *(k == v for k, v in zip(keys, values,
                                                                            strict=True)))
                .order_by(Resident.id)).all()
            found.append((reason, [int(i) for i in members]))
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
