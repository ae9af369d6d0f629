"""Pure rules of the outbreak scenario: keyed random numbers."""

from __future__ import annotations

import numpy as np

from epidesk.synth.outbreak import rules


def test_keyed_numbers_depend_only_on_their_keys() -> None:
    a = rules.keyed_uniform(7, 3, np.arange(1000), 5)
    b = rules.keyed_uniform(7, 3, np.arange(1000)[::-1], 5)[::-1]
    assert np.array_equal(a, b)
    assert not np.array_equal(a, rules.keyed_uniform(8, 3, np.arange(1000), 5))
    assert not np.array_equal(a, rules.keyed_uniform(7, 4, np.arange(1000), 5))
    assert a.min() >= 0 and a.max() < 1 and abs(a.mean() - 0.5) < 0.05
