"""Queries of sites, hours and shifts (their stock is their depots', in supplies)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from epidesk.geography.models import District
from epidesk.vaccination.models import Shift, Site, SiteHours, SiteList


def site(session: Session, site_id: int) -> Site | None:
    """A site by id."""
    return session.get(Site, site_id)


def site_by_code(session: Session, code: str) -> Site | None:
    """A site by its code."""
    return session.scalar(select(Site).where(Site.code == code))


def sites(session: Session, *, district_ids: Sequence[int] | None = None,
          active_only: bool = True, limit: int = 500, offset: int = 0) -> Sequence[Site]:
    """Sites by district and code (all districts when `district_ids` is None)."""
    query = select(Site).order_by(Site.district_id, Site.code).limit(limit).offset(offset)
    if district_ids is not None:
        query = query.where(Site.district_id.in_(district_ids))
    if active_only:
        query = query.where(Site.active.is_(True))
    return session.scalars(query).all()


def district_codes(session: Session) -> dict[str, int]:
    """Every district's code and id."""
    return {c: i for c, i in session.execute(select(District.code, District.id))}


def districts(session: Session) -> Sequence[District]:
    """Every district of every city."""
    return session.scalars(select(District).order_by(District.id)).all()


def site_ids_by_code(session: Session, codes: Sequence[str]) -> dict[str, int]:
    """The ids of the sites already known by these codes."""
    found: dict[str, int] = {}
    for start in range(0, len(codes), 5_000):
        chunk = codes[start:start + 5_000]
        found.update({c: i for c, i in session.execute(
            select(Site.code, Site.id).where(Site.code.in_(chunk)))})
    return found


def insert_rows(session: Session, model: type, rows: list[dict[str, object]]) -> None:
    """Insert many rows of one table in batches."""
    for start in range(0, len(rows), 5_000):
        session.execute(insert(model), rows[start:start + 5_000])


def replace_hours(session: Session, site_ids: Sequence[int]) -> None:
    """Drop these sites' opening hours (before writing the new ones)."""
    for start in range(0, len(site_ids), 5_000):
        session.execute(delete(SiteHours).where(
            SiteHours.site_id.in_(site_ids[start:start + 5_000])))


def site_list_by_digest(session: Session, digest: str) -> SiteList | None:
    """The record of an earlier import of the same site list."""
    return session.scalar(select(SiteList).where(SiteList.digest == digest))


def site_list(session: Session, list_id: int) -> SiteList | None:
    """An imported site list by id."""
    return session.get(SiteList, list_id)


def shifts(session: Session, site_ids: Sequence[int], first: date, last: date
           ) -> Sequence[Shift]:
    """The shifts at these sites between two days, inclusive."""
    return session.scalars(select(Shift).where(Shift.site_id.in_(site_ids),
                                               Shift.day >= first, Shift.day <= last)
                           .order_by(Shift.site_id, Shift.day, Shift.starts)).all()


def hours(session: Session, site_ids: Sequence[int]) -> Sequence[SiteHours]:
    """The opening hours of these sites."""
    return session.scalars(select(SiteHours).where(SiteHours.site_id.in_(site_ids))).all()


def depots_of(session: Session, site_ids: Sequence[int]) -> dict[int, int]:
    """site id -> the id of the depot holding its stock."""
    found: dict[int, int] = {}
    for start in range(0, len(site_ids), 5_000):
        chunk = list(site_ids[start:start + 5_000])
        found.update({s: d for s, d in session.execute(
            select(Site.id, Site.depot_id).where(Site.id.in_(chunk)))})
    return found
