"""The day's delivery batches on plain arrays: households ranked by their priority score,
grouped by building, buildings in the order of their most urgent household, doors in
walking order, batches cut at a volunteer's load."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

# How many doors one volunteer serves in one batch.
BATCH_STOPS = 40


@dataclass(frozen=True)
class Plan:
    """The day's batches, one row per household to deliver to, in delivery order."""

    household: NDArray[np.int64]
    building: NDArray[np.int64]
    stop: NDArray[np.int64]
    score: NDArray[np.float64]
    batch: NDArray[np.int64]  # 0.. in round order
    batch_building: NDArray[np.int64]  # per batch
    batch_score: NDArray[np.float64]  # per batch: its most urgent household

    @property
    def batches(self) -> int:
        """How many batches."""
        return len(self.batch_building)


def plan(household: NDArray[np.int64], building: NDArray[np.int64], stop: NDArray[np.int64],
         score: NDArray[np.float64], *, stops_per_batch: int = BATCH_STOPS) -> Plan:
    """Batches for the households due today (one row each)."""
    n = len(household)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Plan(empty, empty, empty, np.zeros(0), empty, empty, np.zeros(0))
    # Each building's most urgent household decides the building's place in the round.
    buildings, inverse = np.unique(building, return_inverse=True)
    best = np.full(len(buildings), -np.inf)
    np.maximum.at(best, inverse, score)
    # Buildings by descending best score (ties: lower id first), then doors in order.
    building_rank = np.empty(len(buildings), dtype=np.int64)
    building_rank[np.lexsort((buildings, -best))] = np.arange(len(buildings))
    order = np.lexsort((household, stop, building_rank[inverse]))
    rank = building_rank[inverse][order]
    # Position inside the building, then cut every `stops_per_batch` doors.
    starts = np.flatnonzero(np.r_[True, rank[1:] != rank[:-1]])
    counts = np.diff(np.r_[starts, n])
    within = np.arange(n) - np.repeat(starts, counts)
    chunk = within // stops_per_batch
    new_batch = np.r_[True, (rank[1:] != rank[:-1]) | (chunk[1:] != chunk[:-1])]
    batch = np.cumsum(new_batch) - 1
    firsts = np.flatnonzero(new_batch)
    ordered_building = building[order]
    ordered_score = score[order]
    batch_score = np.maximum.reduceat(ordered_score, firsts)
    return Plan(household=household[order], building=ordered_building, stop=stop[order],
                score=ordered_score, batch=batch.astype(np.int64),
                batch_building=ordered_building[firsts], batch_score=batch_score)
