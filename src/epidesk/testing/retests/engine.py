"""Planning retests: the single-tube retests a batch orders, and the open orders its
single tubes resolve. No session, no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from numpy.typing import NDArray

from epidesk.kit import clock
from epidesk.testing import rules
from epidesk.testing.engine import (
    KIND_CODES,
    OUTCOME_CODES,
    BoolArray,
    IntArray,
    ParsedBatch,
    TimeArray,
)
from epidesk.testing.tubes.engine import tube_collected_at


@dataclass
class OpenOrders:
    """Open retest orders from earlier batches, as columns."""

    ids: IntArray
    resident_id: IntArray
    tube_collected_at: TimeArray
    ordered_at: TimeArray
    pool_positive: BoolArray

    @classmethod
    def empty(cls) -> OpenOrders:
        """No open order."""
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none, none.view("datetime64[us]"), none.view("datetime64[us]"),
                   np.zeros(0, dtype=bool))

    @classmethod
    def of_rows(cls, rows: Sequence[tuple[int, int, datetime, datetime, str]]) -> OpenOrders:
        """Open orders from (id, resident id, tube collected at, ordered at, reason) rows."""
        if not rows:
            return cls.empty()
        ids, residents, collected, ordered, reasons = zip(*rows, strict=True)
        return cls(ids=np.array(ids, dtype=np.int64),
                   resident_id=np.array(residents, dtype=np.int64),
                   tube_collected_at=_naive_utc(collected), ordered_at=_naive_utc(ordered),
                   pool_positive=np.array([r == "pool_positive" for r in reasons], dtype=bool))


def _naive_utc(values: Sequence[datetime]) -> TimeArray:
    return np.array([clock.naive_utc(v) for v in values], dtype="datetime64[us]")


@dataclass
class RetestPlan:
    """What a valid batch does to retests: new orders, resolutions, and its positives.

    Rows are 0-based batch rows; tubes are batch tube numbers.
    """

    # New orders: one per member of a positive pool or of an invalid tube.
    new_rows: IntArray
    new_reason: NDArray[np.int8]  # 0 pool_positive, 1 invalid
    # A new order already resolved by a later single tube in the same batch: its row, or -1.
    new_resolved_by: IntArray
    # Open orders of earlier batches resolved now: order id and the resolving row.
    resolved_ids: IntArray
    resolved_by: IntArray
    # Positive single-tube rows, and when each resident was isolated as a pool member.
    positive_rows: IntArray
    isolated_at: dict[int, np.datetime64]

    @property
    def resolved(self) -> int:
        """How many orders (old and new) this batch resolves."""
        return len(self.resolved_ids) + int((self.new_resolved_by >= 0).sum())


RETEST_REASONS = ("pool_positive", "invalid")


def plan_retests(batch: ParsedBatch, outcome_t: NDArray[np.int8], open_orders: OpenOrders
                 ) -> RetestPlan:
    """New retest orders, the orders this batch's single tubes resolve, and its positives."""
    first = batch.first_row
    kind_t = batch.kind[first]
    pooled = kind_t == KIND_CODES[rules.POOLED]
    reason_t = np.full(batch.tubes, -1, dtype=np.int8)
    reason_t[pooled & (outcome_t == OUTCOME_CODES[rules.POSITIVE])] = 0
    reason_t[outcome_t == OUTCOME_CODES[rules.INVALID]] = 1
    reason_row = reason_t[batch.tube_of_row]
    new_rows = np.flatnonzero(reason_row >= 0).astype(np.int64)
    new_reason = reason_row[new_rows]

    row_outcome = outcome_t[batch.tube_of_row]
    settles = ((kind_t[batch.tube_of_row] == KIND_CODES[rules.SINGLE])
               & (row_outcome != OUTCOME_CODES[rules.INVALID]))
    singles = np.flatnonzero(settles)
    positive_rows = singles[row_outcome[singles] == OUTCOME_CODES[rules.POSITIVE]]

    tube_collected = tube_collected_at(batch)
    result_t = batch.result_at[first]
    # Every order that may be resolved: earlier open ones, then this batch's new ones.
    order_resident = np.concatenate([open_orders.resident_id, batch.resident_id[new_rows]])
    order_collected = np.concatenate([
        open_orders.tube_collected_at, tube_collected[batch.tube_of_row[new_rows]]])
    order_at = np.concatenate([open_orders.ordered_at,
                               result_t[batch.tube_of_row[new_rows]]])
    order_pool = np.concatenate([open_orders.pool_positive, new_reason == 0])
    resolver = np.full(len(order_resident), -1, dtype=np.int64)
    candidates = singles[np.isin(batch.resident_id[singles], order_resident)]
    if len(candidates):
        candidates = candidates[np.argsort(batch.collected_at[candidates], kind="stable")]
        by_resident: dict[int, list[int]] = {}
        for r in candidates.tolist():
            by_resident.setdefault(int(batch.resident_id[r]), []).append(r)
        wanted = np.flatnonzero(np.isin(order_resident, batch.resident_id[candidates]))
        for o in wanted.tolist():
            for r in by_resident.get(int(order_resident[o]), ()):
                # The first single tube taken after the order's tube resolves it.
                if batch.collected_at[r] > order_collected[o]:
                    resolver[o] = r
                    break
    isolated: dict[int, np.datetime64] = {}
    for o in np.flatnonzero((resolver >= 0) & order_pool).tolist():
        row = int(resolver[o])
        if row_outcome[row] == OUTCOME_CODES[rules.POSITIVE]:
            at = order_at[o]
            isolated[row] = min(isolated.get(row, at), at)
    old = len(open_orders.ids)
    settled_old = np.flatnonzero(resolver[:old] >= 0)
    return RetestPlan(
        new_rows=new_rows, new_reason=new_reason, new_resolved_by=resolver[old:],
        resolved_ids=open_orders.ids[settled_old], resolved_by=resolver[:old][settled_old],
        positive_rows=positive_rows.astype(np.int64), isolated_at=isolated,
    )
