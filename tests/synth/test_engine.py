"""Array mechanics shared by the city and the outbreak, and the city's grid."""

from __future__ import annotations

import numpy as np

from epidesk.synth import engine
from epidesk.synth.city.places import engine as places


def test_digits_and_sort_helpers() -> None:
    assert engine.digit_chars(np.array([7, 12345678]), 8).tobytes() == b"0000000712345678"
    keys = np.array([3, 1, 3, 0, 1])
    assert engine.sort_order(keys).tolist() == [3, 1, 4, 0, 2]
    x, y = places.hilbert_cells(np.arange(16), 2)
    steps = np.abs(np.diff(x)) + np.abs(np.diff(y))
    assert (steps == 1).all() and len(set(zip(x.tolist(), y.tolist(), strict=True))) == 16
