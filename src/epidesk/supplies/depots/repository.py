"""Queries of depots, stock lots, movements and receipts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.supplies.models import Depot, StockLot, StockMovement, StockReceipt


def depots(session: Session, district_ids: Sequence[int] | None = None, *,
           kind: str | None = None) -> Sequence[Depot]:
    """Depots (of these districts, of this kind), by code."""
    stmt = select(Depot).order_by(Depot.code)
    if district_ids is not None:
        stmt = stmt.where(Depot.district_id.in_(list(district_ids)))
    if kind is not None:
        stmt = stmt.where(Depot.kind == kind)
    return session.scalars(stmt).all()


def depot_ids_by_code(session: Session, codes: Sequence[str]) -> dict[str, int]:
    """The ids of the depots known by these codes."""
    found: dict[str, int] = {}
    for start in range(0, len(codes), 5_000):
        chunk = list(codes[start:start + 5_000])
        found.update({c: i for c, i in session.execute(
            select(Depot.code, Depot.id).where(Depot.code.in_(chunk)))})
    return found


def depot(session: Session, depot_id: int) -> Depot | None:
    """One depot."""
    return session.get(Depot, depot_id)


def depots_by_code(session: Session) -> dict[str, Depot]:
    """Every depot by its code."""
    return {d.code: d for d in session.scalars(select(Depot))}


def lots(session: Session, depot_id: int, item: str | None = None) -> Sequence[StockLot]:
    """A depot's lots (of one item), soonest expiry first."""
    stmt = select(StockLot).where(StockLot.depot_id == depot_id)
    if item is not None:
        stmt = stmt.where(StockLot.item == item)
    return session.scalars(stmt.order_by(StockLot.item, StockLot.expires_on.is_(None),
                                         StockLot.expires_on, StockLot.lot)).all()


def lot(session: Session, depot_id: int, item: str, lot_code: str) -> StockLot | None:
    """One lot of one item at one depot."""
    return session.scalar(select(StockLot).where(
        StockLot.depot_id == depot_id, StockLot.item == item, StockLot.lot == lot_code))


def held_lots(session: Session, depot_ids: Sequence[int], *, item_prefix: str
              ) -> Sequence[StockLot]:
    """The lots with stock on hand at these depots of the items starting with a prefix,
    by depot, then soonest expiry first."""
    if not depot_ids:
        return []
    return session.scalars(select(StockLot).where(
        StockLot.depot_id.in_(list(depot_ids)), StockLot.item.startswith(item_prefix),
        StockLot.on_hand > 0).order_by(StockLot.depot_id, StockLot.expires_on.is_(None),
                                       StockLot.expires_on, StockLot.item, StockLot.lot)).all()


def lot_expiry(session: Session, item: str, lot_code: str) -> date | None:
    """The expiry a lot of an item was recorded with at any depot (None: never seen, or
    recorded without one)."""
    return session.scalar(select(func.min(StockLot.expires_on)).where(
        StockLot.item == item, StockLot.lot == lot_code))


def on_hand(session: Session, depot_ids: Sequence[int], *, usable_on: date | None = None
            ) -> dict[tuple[int, str], int]:
    """(depot, item) -> units on hand (not expired on `usable_on` when given)."""
    stmt = (select(StockLot.depot_id, StockLot.item, func.sum(StockLot.on_hand))
            .where(StockLot.depot_id.in_(list(depot_ids)))
            .group_by(StockLot.depot_id, StockLot.item))
    if usable_on is not None:
        stmt = stmt.where(StockLot.expires_on.is_(None) | (StockLot.expires_on >= usable_on))
    return {(int(d), str(i)): int(n or 0) for d, i, n in session.execute(stmt)}


def movements(session: Session, depot_id: int, *, limit: int, offset: int = 0,
              item_prefix: str = "") -> Sequence[StockMovement]:
    """A depot's movements (of the items starting with a prefix), newest first."""
    stmt = select(StockMovement).where(StockMovement.depot_id == depot_id)
    if item_prefix:
        stmt = stmt.where(StockMovement.item.startswith(item_prefix))
    return session.scalars(stmt.order_by(StockMovement.id.desc()).limit(limit)
                           .offset(offset)).all()


def daily_movements(session: Session, depot_id: int, first: date, last: date
                    ) -> dict[tuple[str, date, str], int]:
    """(item, day, kind) -> units moved, between two days."""
    return {(str(i), d, str(k)): int(n) for i, d, k, n in session.execute(
        select(StockMovement.item, StockMovement.on_day, StockMovement.kind,
               func.sum(StockMovement.quantity))
        .where(StockMovement.depot_id == depot_id, StockMovement.on_day >= first,
               StockMovement.on_day <= last)
        .group_by(StockMovement.item, StockMovement.on_day, StockMovement.kind))}


def receipt_by_digest(session: Session, digest: str) -> StockReceipt | None:
    """The record of an earlier receipt file with this digest."""
    return session.scalar(select(StockReceipt).where(StockReceipt.digest == digest))


def receipt(session: Session, receipt_id: int) -> StockReceipt | None:
    """One receipt file's record."""
    return session.get(StockReceipt, receipt_id)
