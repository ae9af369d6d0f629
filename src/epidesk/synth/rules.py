"""Pure rules shared by the synthetic city and the outbreak scenario: the seed."""

from __future__ import annotations

import numpy as np

from epidesk.errors import ValidationFailedError

MAX_SEED = 2**63 - 1


def validate_seed(seed: int) -> int:
    """The seed, or ValidationFailedError when it is negative or not a whole number."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise ValidationFailedError(f"seed must be a whole number, not {seed!r}")
    if seed < 0 or seed > MAX_SEED:
        raise ValidationFailedError(f"seed must be between 0 and {MAX_SEED} (got {seed})")
    return int(seed)
