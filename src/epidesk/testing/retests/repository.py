"""The queries of retest planning: open orders, and resolving them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from epidesk.testing.models import RetestOrder, Tube


def open_retests(session: Session) -> list[tuple[int, int, datetime, datetime, str]]:
    """(id, resident id, tube collected at, ordered at, reason) of every open retest order,
    oldest first (there are few: members of recent positive pools)."""
    rows = session.execute(
        select(RetestOrder.id, RetestOrder.resident_id, Tube.collected_at,
               RetestOrder.ordered_at, RetestOrder.reason)
        .join(Tube, Tube.id == RetestOrder.tube_id)
        .where(RetestOrder.status == "open")
        .order_by(RetestOrder.ordered_at, RetestOrder.id)
    ).all()
    return [(i, r, c, o, reason) for i, r, c, o, reason in rows]


def resolve_retests(session: Session, resolutions: Sequence[tuple[int, str, int, datetime]]
                    ) -> int:
    """Mark retest orders resolved: (order id, status, resolving tube id, when); how many
    were. An order another batch resolved first (committed since it was read open, or
    being written: this one waits for it) is left as that batch resolved it."""
    resolved = 0
    for order_id, status, tube_id, at in resolutions:
        done = session.execute(
            update(RetestOrder).where(RetestOrder.id == order_id, RetestOrder.status == "open")
            .values(status=status, resolved_by_tube_id=tube_id, resolved_at=at)
            .execution_options(synchronize_session=False))
        resolved += int(getattr(done, "rowcount", 0))
    return resolved
