"""What a classification run reads and compares, as plain values. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class CaseFacts:
    """What classification needs to know about a case."""

    id: int
    resident_id: int
    classification: str
    status: str
    sampling_date: date
    onset_date: date | None
    isolation_date: date | None


@dataclass(frozen=True)
class EvidenceArrays:
    """Stored evidence rows as columns (codes as in the engine, times in seconds)."""

    id: IntArray
    contact: IntArray
    case_id: IntArray
    tier: IntArray
    setting: IntArray
    place: IntArray
    via: IntArray
    start: IntArray
    end: IntArray

    def __len__(self) -> int:
        return len(self.id)


@dataclass(frozen=True)
class ContactStates:
    """Stored contact records as columns, by resident."""

    resident: IntArray
    id: IntArray
    tier: IntArray
    active: NDArray[np.bool_]
    first: IntArray
    last: IntArray
    last_day: NDArray[np.datetime64]
    # The preset each record's plan was made under.
    preset: NDArray[np.object_]


@dataclass(frozen=True)
class PendingChanges:
    """Case changes and retrace requests (late evidence) no tracing run has followed yet."""

    case_ids: list[int]
    after: int
    up_to: int
    retrace_after: int = 0
    retrace_up_to: int = 0
    # The cases among case_ids that late evidence, not a case change, brought.
    retraced: tuple[int, ...] = ()
