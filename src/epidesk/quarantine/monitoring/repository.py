"""Every query of home health monitoring: the orders under it and their checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from epidesk.kit.merges import Merge, repoint
from epidesk.quarantine.models import HomeCheck, OrderEvent, QuarantineOrder

MONITORING_EVENT = "monitoring"


def home_since(session: Session, order_ids: Sequence[int]) -> dict[int, dt.datetime]:
    """When each order's person arrived home (its first "monitoring" event)."""
    if not order_ids:
        return {}
    rows = session.execute(select(OrderEvent.order_id, func.min(OrderEvent.at))
                           .where(OrderEvent.order_id.in_(order_ids),
                                  OrderEvent.kind == MONITORING_EVENT)
                           .group_by(OrderEvent.order_id)).all()
    return {order_id: at for order_id, at in rows}


def monitored_orders(session: Session, *, day: dt.date, resident_ids: Sequence[int] | None = None
                     ) -> Sequence[QuarantineOrder]:
    """Released orders whose home monitoring lasts to the day or later, of people home
    (checked in at home, or released at home) and under no newer order in force; of the
    residents given, else everyone."""
    home = select(OrderEvent.id).where(OrderEvent.order_id == QuarantineOrder.id,
                                       OrderEvent.kind == MONITORING_EVENT).exists()
    later = aliased(QuarantineOrder)
    restricted_again = select(later.id).where(later.resident_id == QuarantineOrder.resident_id,
                                              later.state == "active",
                                              later.id > QuarantineOrder.id).exists()
    stmt = select(QuarantineOrder).where(
        QuarantineOrder.state == "released", QuarantineOrder.monitoring_until >= day,
        or_(home, QuarantineOrder.form == "home"), ~restricted_again)
    if resident_ids is not None:
        stmt = stmt.where(QuarantineOrder.resident_id.in_(resident_ids))
    return session.scalars(stmt.order_by(QuarantineOrder.id)).all()


def checks_of_orders(session: Session, order_ids: Sequence[int], *, since: dt.date
                     ) -> Sequence[HomeCheck]:
    """The orders' checks from the day on, oldest first."""
    if not order_ids:
        return []
    return session.scalars(select(HomeCheck).where(HomeCheck.order_id.in_(order_ids),
                                                   HomeCheck.checked_on >= since)
                           .order_by(HomeCheck.at, HomeCheck.id)).all()


def open_flags(session: Session, order_ids: Sequence[int]) -> Sequence[HomeCheck]:
    """The orders' flagged checks not cleared by a worker, oldest first."""
    if not order_ids:
        return []
    return session.scalars(select(HomeCheck).where(
        HomeCheck.order_id.in_(order_ids), HomeCheck.flagged.is_(True),
        HomeCheck.cleared_at.is_(None)).order_by(HomeCheck.at, HomeCheck.id)).all()


def checks_of_resident(session: Session, resident_id: int, *, limit: int = 60
                       ) -> Sequence[HomeCheck]:
    """A resident's latest checks, newest first."""
    return session.scalars(select(HomeCheck).where(HomeCheck.resident_id == resident_id)
                           .order_by(HomeCheck.at.desc(), HomeCheck.id.desc())
                           .limit(limit)).all()


def checks_of_order(session: Session, order_id: int) -> Sequence[HomeCheck]:
    """An order's checks, newest first."""
    return session.scalars(select(HomeCheck).where(HomeCheck.order_id == order_id)
                           .order_by(HomeCheck.at.desc(), HomeCheck.id.desc())).all()


def add(session: Session, check: HomeCheck) -> HomeCheck:
    """Store a check."""
    session.add(check)
    session.flush()
    return check


def merge_rows(session: Session, merge: Merge) -> int:
    """Move the merged record's checks to the survivor."""
    return repoint(session, HomeCheck, "resident_id", merge)
