"""What the contact graph is built from, and what must not change while it is held. Pure."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

IntArray = NDArray[np.int64]


@dataclass(frozen=True)
class GraphArrays:
    """The raw columns a graph is built from (times in seconds since the epoch)."""

    household_resident: IntArray
    household_group: IntArray
    household_start: IntArray
    household_end: IntArray
    work_resident: IntArray
    work_group: IntArray
    work_start: IntArray
    work_end: IntArray
    class_resident: IntArray
    class_group: IntArray
    class_start: IntArray
    class_end: IntArray
    exposure_id: IntArray
    exposure_a: IntArray
    exposure_b: IntArray
    exposure_at: IntArray
    visit_resident: IntArray
    visit_venue: IntArray
    visit_start: IntArray
    visit_end: IntArray
    visit_watermark: int = 0


@dataclass(frozen=True)
class GraphStamp:
    """What must not change for a graph in memory to stay valid (besides new visits)."""

    households: tuple[int, int, int, int]
    work: tuple[int, int, int]
    classes: tuple[int, int, int]
    exposures: tuple[int, int]
