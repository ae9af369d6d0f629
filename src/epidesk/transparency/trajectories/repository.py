"""Queries of the published trajectory entries, and of the places they name (geography's
reference tables)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from epidesk.geography.models import Address, Building, Community, Subdistrict, Unit
from epidesk.kit.bulk.reading import chunks
from epidesk.transparency.trajectories.models import TrajectoryEntry


def buildings_of_addresses(session: Session, address_ids: Sequence[int]
                           ) -> dict[int, tuple[int, int]]:
    """(building, community) of each address."""
    out: dict[int, tuple[int, int]] = {}
    for chunk in chunks(address_ids):
        out.update({int(a): (int(b), int(c)) for a, b, c in session.execute(
            select(Address.id, Building.id, Building.community_id)
            .join(Unit, Unit.id == Address.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .where(Address.id.in_(chunk))).all()})
    return out


def buildings(session: Session, ids: Sequence[int]) -> dict[int, Building]:
    """Buildings by id."""
    out: dict[int, Building] = {}
    for chunk in chunks(ids):
        out.update({b.id: b for b in session.scalars(select(Building)
                                                     .where(Building.id.in_(chunk)))})
    return out


def communities(session: Session, ids: Sequence[int]) -> dict[int, tuple[Community, int]]:
    """Communities by id, with their district."""
    out: dict[int, tuple[Community, int]] = {}
    for chunk in chunks(ids):
        out.update({c.id: (c, int(d)) for c, d in session.execute(
            select(Community, Subdistrict.district_id)
            .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
            .where(Community.id.in_(chunk))).all()})
    return out


def replace_day(session: Session, day: date, rows: Sequence[Mapping[str, Any]]) -> None:
    """The entries of a publication day, replacing any published before for that day."""
    session.execute(delete(TrajectoryEntry).where(TrajectoryEntry.published_on == day))
    session.add_all(TrajectoryEntry(published_on=day, **row) for row in rows)
    session.flush()


def latest_day(session: Session, up_to: date) -> date | None:
    """The latest publication day with entries, on or before `up_to`."""
    return session.scalar(select(func.max(TrajectoryEntry.published_on))
                          .where(TrajectoryEntry.published_on <= up_to))


def entries(session: Session, *, published_on: date, today: date, text: str | None = None,
            starts: Any = None, ends: Any = None,
            place_ids: Sequence[tuple[str, int]] | None = None) -> Sequence[TrajectoryEntry]:
    """The entries of a publication day still shown today: by a place's name (either
    language), overlapping [starts, ends) (a day), at some places; by place, then time."""
    stmt = select(TrajectoryEntry).where(TrajectoryEntry.published_on == published_on,
                                         TrajectoryEntry.expires_on > today)
    if text:
        pattern = f"%{text.lower()}%"
        stmt = stmt.where(or_(func.lower(TrajectoryEntry.name).like(pattern),
                              TrajectoryEntry.name_local.like(f"%{text}%")))
    if starts is not None and ends is not None:
        stmt = stmt.where(TrajectoryEntry.starts_at < ends, TrajectoryEntry.ends_at > starts)
    if place_ids is not None:
        stmt = stmt.where(or_(*[(TrajectoryEntry.place_kind == k) & (TrajectoryEntry.place_id == i)
                                for k, i in place_ids]) if place_ids else TrajectoryEntry.id < 0)
    return session.scalars(stmt.order_by(TrajectoryEntry.name, TrajectoryEntry.starts_at,
                                         TrajectoryEntry.id)).all()


def count_expired(session: Session, today: date) -> int:
    """How many entries have expired by `today`."""
    return int(session.scalar(select(func.count()).select_from(TrajectoryEntry)
                              .where(TrajectoryEntry.expires_on <= today)) or 0)


def delete_expired(session: Session, today: date) -> int:
    """Delete the entries expired by `today`; how many."""
    result = session.execute(delete(TrajectoryEntry).where(TrajectoryEntry.expires_on <= today)
                             .execution_options(synchronize_session=False))
    session.flush()
    return int(getattr(result, "rowcount", 0) or 0)
