"""Pure rules shared by the synthetic city and the outbreak: the seed."""

from __future__ import annotations

import pytest

from epidesk.errors import ValidationFailedError
from epidesk.synth import rules


@pytest.mark.parametrize("seed", [-1, 2**63, 1.0])
def test_bad_seeds_are_refused(seed: object) -> None:
    with pytest.raises(ValidationFailedError, match="seed"):
        rules.validate_seed(seed)  # type: ignore[arg-type]
