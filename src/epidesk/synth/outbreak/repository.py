"""Queries of the outbreak scenario: the city's contact structure and what replay made."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from epidesk.cases.models import CaseEpisode
from epidesk.geography.models import Community, Subdistrict
from epidesk.people.models import (
    ClassMembership,
    HouseholdMembership,
    Resident,
    Venue,
    WorkGroupMembership,
)
from epidesk.testing.models import RetestOrder
from epidesk.tracing.models import Contact

IntArray = NDArray[np.int64]
# Days since 1970-01-01 of a membership without an end.
OPEN_END_DAY = 1 << 30


# ------------------------------------------------------------------ the outbreak's city


def _columns(rows: Sequence[Any], width: int) -> list[IntArray]:
    # Rows become plain tuples first: numpy probes SQLAlchemy rows for array interfaces
    # one attribute at a time, which is twenty times slower.
    data = np.asarray([tuple(r) for r in rows], dtype=np.int64).reshape(-1, width)
    return [data[:, i].copy() for i in range(width)]


def _epoch_days(values: Sequence[date | None]) -> IntArray:
    days = np.array([OPEN_END_DAY if v is None else v.toordinal() for v in values],
                    dtype=np.int64)
    result: IntArray = days - date(1970, 1, 1).toordinal()
    return np.where(days == OPEN_END_DAY, OPEN_END_DAY, result)


def residents(session: Session) -> tuple[IntArray, IntArray]:
    """Every resident: (id, community id), by id."""
    rows = session.execute(sa.select(Resident.id, Resident.community_id)
                           .order_by(Resident.id)).all()
    ident, community = _columns(rows, 2)
    return ident, community


_MEMBERSHIPS: dict[str, tuple[Any, Any]] = {
    "household": (HouseholdMembership, HouseholdMembership.household_id),
    "work": (WorkGroupMembership, WorkGroupMembership.work_group_id),
    "class": (ClassMembership, ClassMembership.school_class_id),
}


def memberships(session: Session, kind: str
                ) -> tuple[IntArray, IntArray, IntArray, IntArray]:
    """Household ("household"), work group ("work") or class ("class") memberships:
    (resident id, group id, first day, last day), days since 1970-01-01."""
    model, group = _MEMBERSHIPS[kind]
    rows = session.execute(sa.select(model.resident_id, group, model.start_date,
                                     model.end_date).order_by(model.id)).all()
    people, groups = _columns([(r[0], r[1]) for r in rows], 2)
    return (people, groups, _epoch_days([r[2] for r in rows]),
            _epoch_days([r[3] for r in rows]))


def communities(session: Session) -> tuple[IntArray, list[str], IntArray]:
    """Every community: (id, latin name, district id), by id."""
    rows = session.execute(sa.select(Community.id, Community.name, Subdistrict.district_id)
                           .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
                           .order_by(Community.id)).all()
    return (np.asarray([r[0] for r in rows], dtype=np.int64), [r[1] for r in rows],
            np.asarray([r[2] for r in rows], dtype=np.int64))


def venues(session: Session) -> tuple[IntArray, IntArray, list[str], list[str]]:
    """Every venue: (id, community id, kind, name), by id."""
    rows = session.execute(sa.select(Venue.id, Venue.community_id, Venue.kind, Venue.name)
                           .order_by(Venue.id)).all()
    return (np.asarray([r[0] for r in rows], dtype=np.int64),
            np.asarray([r[1] for r in rows], dtype=np.int64), [r[2] for r in rows],
            [r[3] for r in rows])


# ------------------------------------------------------------------ the outbreak's traces


def case_count(session: Session) -> int:
    """How many case episodes exist."""
    return int(session.scalar(sa.select(sa.func.count()).select_from(CaseEpisode)) or 0)


def outbreak_counts(session: Session) -> dict[str, int]:
    """Cases by classification and origin, open retests, and contacts by tier."""
    counts: dict[str, int] = {}
    for classification, imported, reclassified, n in session.execute(
            sa.select(CaseEpisode.classification, CaseEpisode.imported,
                      CaseEpisode.reclassified_at.is_not(None), sa.func.count())
            .where(CaseEpisode.status == "active")
            .group_by(CaseEpisode.classification, CaseEpisode.imported,
                      CaseEpisode.reclassified_at.is_not(None))).all():
        counts[f"cases_{classification}"] = counts.get(f"cases_{classification}", 0) + n
        counts["cases"] = counts.get("cases", 0) + n
        if imported:
            counts["cases_imported"] = counts.get("cases_imported", 0) + n
        if reclassified:
            counts["cases_reclassified"] = counts.get("cases_reclassified", 0) + n
    counts["retests_open"] = int(session.scalar(
        sa.select(sa.func.count()).select_from(RetestOrder)
        .where(RetestOrder.status == "open")) or 0)
    for tier, n in session.execute(sa.select(Contact.tier, sa.func.count())
                                   .where(Contact.status == "active")
                                   .group_by(Contact.tier)).all():
        counts[f"contacts_{tier}"] = int(n)
    return counts
