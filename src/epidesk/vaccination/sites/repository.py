"""Queries of sites, hours, shifts and stock movements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from epidesk.geography.models import District
from epidesk.vaccination.models import Shift, Site, SiteHours, SiteList, StockMovement


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


def lots(session: Session, site_ids: Sequence[int]) -> list[tuple[int, str, str, date, int]]:
    """(site, product, lot, expiry, doses in stock) of every lot these sites hold."""
    rows = session.execute(
        select(StockMovement.site_id, StockMovement.product, StockMovement.lot,
               func.min(StockMovement.expiry), func.sum(StockMovement.quantity))
        .where(StockMovement.site_id.in_(site_ids))
        .group_by(StockMovement.site_id, StockMovement.product, StockMovement.lot)
        .order_by(StockMovement.site_id, func.min(StockMovement.expiry), StockMovement.lot))
    return [(s, p, lot, e, int(n)) for s, p, lot, e, n in rows if int(n)]


def lot_balance(session: Session, site_id: int, product: str, lot: str
                ) -> tuple[int, date | None]:
    """Doses of one lot at one site, and the lot's expiry (None: the site never had it)."""
    row = session.execute(
        select(func.coalesce(func.sum(StockMovement.quantity), 0), func.min(StockMovement.expiry))
        .where(StockMovement.site_id == site_id, StockMovement.product == product,
               StockMovement.lot == lot)).one()
    return int(row[0]), row[1]


def lot_expiry(session: Session, product: str, lot: str) -> date | None:
    """The expiry recorded for a lot anywhere (a lot has one expiry)."""
    return session.scalar(select(func.min(StockMovement.expiry)).where(
        StockMovement.product == product, StockMovement.lot == lot))


def movements(session: Session, site_id: int, *, limit: int = 100) -> Sequence[StockMovement]:
    """A site's latest stock movements."""
    return session.scalars(select(StockMovement).where(StockMovement.site_id == site_id)
                           .order_by(StockMovement.at.desc(), StockMovement.id.desc())
                           .limit(limit)).all()
