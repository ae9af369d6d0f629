"""The queries of retest planning: open orders, and resolving them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, select, update
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
    being written: this one waits for it) is left as that batch resolved it. One
    statement run for every order at once (a retest batch may resolve thousands)."""
    if not resolutions:
        return 0
    table = RetestOrder.metadata.tables["retest_order"]
    done = session.connection().execute(
        update(table).where(table.c.id == bindparam("order_id"), table.c.status == "open")
        .values(status=bindparam("new_status"), resolved_by_tube_id=bindparam("by_tube"),
                resolved_at=bindparam("at")),
        [{"order_id": order_id, "new_status": status, "by_tube": tube_id, "at": at}
         for order_id, status, tube_id, at in resolutions])
    return int(done.rowcount)
