"""Pure rules of the outbreak's simulated testing: pools and how a tube reads."""

from __future__ import annotations

import numpy as np
import pytest

from epidesk.synth.outbreak.testing import rules


def test_pool_sizes_fill_full_pools_then_validated_ones_then_singles() -> None:
    assert rules.pool_sizes_of(27, 10, (5, 10, 20)) == [10, 10, 5, 1, 1]
    assert rules.pool_sizes_of(30, 10, (5, 10, 20)) == [10, 10, 10]
    assert rules.pool_sizes_of(3, 10, (5, 10, 20)) == [1, 1, 1]
    assert rules.pool_sizes_of(7, 5, (5, 10, 20)) == [5, 1, 1]


def test_a_pooled_tube_reads_later_than_its_positive_swab() -> None:
    ct = np.array([24.0, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan, np.nan,
                   np.nan, 30.0])
    tube = np.array([0] * 10 + [1])
    pooled = rules.pooled_ct(ct, tube, np.array([10, 1]))
    assert pooled[0] == pytest.approx(24.0 + np.log2(10))
    assert pooled[1] == pytest.approx(30.0)
    assert np.isnan(rules.pooled_ct(np.array([np.nan, np.nan]), np.array([0, 0]),
                                    np.array([2])))[0]


def test_tube_outcome_follows_the_preset_rule() -> None:
    genes = np.array([[30.0, 29.0], [30.0, 36.0], [41.0, 41.0]])
    positive, reported = rules.tube_outcome(genes, np.array([35.0, 35.0]), True, 40.0)
    assert positive.tolist() == [True, False, False]
    assert reported[0].tolist() == [30.0, 29.0] and np.isnan(reported[1:]).all()
    positive, _ = rules.tube_outcome(genes, np.array([35.0, 35.0]), False, 40.0)
    assert positive.tolist() == [True, True, False]
    # Read as written, to two decimals: 34.996 is reported as 35.00, not below 35.
    positive, reported = rules.tube_outcome(np.array([[34.996, 30.0], [34.994, 30.0]]),
                                            np.array([35.0, 35.0]), True, 40.0)
    assert positive.tolist() == [False, True] and reported[1, 0] == 34.99
