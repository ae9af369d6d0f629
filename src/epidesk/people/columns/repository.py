"""The people domain's tables as whole columns (numpy arrays), for the engines of other
domains: resident and venue ids, memberships with their days, households and their
addresses, and the stamps that say when columns read before still hold."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.db import is_postgres
from epidesk.kit.bulk.reading import (
    LITE_SECONDS,
    IntArray,
    lite_columns,
    looked_up,
    pg_columns,
    pg_ids,
)
from epidesk.people.models import ClassMembership, HouseholdMembership, Venue, WorkGroupMembership


def resident_ids(session: Session) -> IntArray:
    """Every resident id."""
    if is_postgres(session):
        return pg_ids(session, "resident")
    return lite_columns(session, "SELECT id FROM resident", ("int",))[0]


def residents_with_community(session: Session) -> tuple[IntArray, IntArray]:
    """Every resident id with the community they live in, by id."""
    if is_postgres(session):
        ids, community = pg_columns(session, "resident", [("id", "int4"),
                                                           ("community_id", "int4")])
    else:
        ids, community = lite_columns(session, "SELECT id, community_id FROM resident",
                                       ("int", "int"))
    order = np.argsort(ids, kind="stable")
    return ids[order], community[order]


def venue_ids(session: Session) -> IntArray:
    """Every venue id."""
    return np.asarray(session.scalars(select(Venue.id)).all(), dtype=np.int64)


def venues_with_kind(session: Session) -> tuple[IntArray, IntArray, list[str]]:
    """Every venue: id, community and kind."""
    rows = session.execute(select(Venue.id, Venue.community_id, Venue.kind)
                           .order_by(Venue.id)).all()
    return (np.asarray([r[0] for r in rows], dtype=np.int64),
            np.asarray([r[1] for r in rows], dtype=np.int64), [r[2] for r in rows])


# Membership tables and the group each one's rows belong to: households, work groups,
# school classes.
_MEMBERSHIPS = (("household_membership", "household_id"),
                ("work_group_membership", "work_group_id"),
                ("class_membership", "school_class_id"))

Memberships = tuple[IntArray, IntArray, IntArray, IntArray]


def membership_columns(session: Session, zone: tzinfo | None = None
                       ) -> tuple[Memberships, Memberships, Memberships]:
    """(resident, group, first day, last day) of every household, work-group and class
    membership; days as their first second in the zone, an open end as clock.FOREVER."""
    memberships: list[Memberships] = []
    for table, group in _MEMBERSHIPS:
        if is_postgres(session):
            r, g, s, e = pg_columns(session, table, [
                ("resident_id", "int4"), (group, "int4"), ("start_date", "date"),
                ("coalesce(end_date, 'infinity'::date)", "date")], zone=zone)
        else:
            r, g, s, e = lite_columns(
                session, f"SELECT resident_id, {group}, {LITE_SECONDS.format('start_date')}, "
                         f"{LITE_SECONDS.format('end_date')} FROM {table}",
                ("int", "int", "date", "date"), zone=zone)
        memberships.append((r, g, s, e))
    households, work, classes = memberships
    return households, work, classes


def _stamp(session: Session, table: Any, *extra: Any) -> tuple[int, ...]:
    row = session.execute(select(func.count(), func.coalesce(func.max(table.id), 0),
                                 *[func.coalesce(func.sum(e), 0) for e in extra])).one()
    return tuple(int(v) for v in row)


def household_stamp(session: Session) -> tuple[int, ...]:
    """Count, largest id, sum and open count of the household memberships: what changes
    when anyone moves home (the zoning tree's homes hold while it does not)."""
    return _stamp(session, HouseholdMembership,
                  HouseholdMembership.household_id + HouseholdMembership.resident_id,
                  sa.case((HouseholdMembership.end_date.is_(None), 1), else_=0))


def membership_stamps(session: Session) -> tuple[tuple[int, ...], tuple[int, ...],
                                                 tuple[int, ...]]:
    """Counts, largest ids and sums of the household, work-group and class memberships.

    Household memberships also count the open ones, so that ending one is noticed.
    """
    return (
        household_stamp(session),
        _stamp(session, WorkGroupMembership,
               WorkGroupMembership.work_group_id + WorkGroupMembership.resident_id),
        _stamp(session, ClassMembership,
               ClassMembership.school_class_id + ClassMembership.resident_id),
    )


def resident_addresses(session: Session) -> tuple[IntArray, IntArray]:
    """Every resident id, in order, with the address they live at now (-1 for none), as
    arrays (read in bulk: no Python object per row)."""
    if is_postgres(session):
        ids, household = pg_columns(session, "resident", [
            ("id", "int4"), ("coalesce(household_id, -1)", "int4")])
        homes, address = pg_columns(session, "household", [("id", "int4"),
                                                          ("address_id", "int4")])
    else:
        ids, household = lite_columns(
            session, "SELECT id, coalesce(household_id, -1) FROM resident", ("int", "int"))
        homes, address = lite_columns(session, "SELECT id, address_id FROM household",
                                      ("int", "int"))
    order = np.argsort(ids, kind="stable")
    by_home = np.argsort(homes, kind="stable")
    return ids[order], looked_up(homes[by_home], address[by_home], household[order])


def household_columns(session: Session) -> tuple[IntArray, IntArray, IntArray]:
    """Every household's id and address, and the household of every resident, as arrays
    (read in bulk: no Python object per row)."""
    if is_postgres(session):
        ids, address = pg_columns(session, "household", [("id", "int4"), ("address_id", "int4")])
        (living,) = pg_columns(session, "resident", [("household_id", "int4")])
    else:
        ids, address = lite_columns(session, "SELECT id, address_id FROM household",
                                    ("int", "int"))
        (living,) = lite_columns(session, "SELECT household_id FROM resident", ("int",))
    return ids, address, living
