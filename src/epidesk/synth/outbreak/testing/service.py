"""Use cases of the outbreak's simulated testing: what a preset says of its tubes."""

from __future__ import annotations

from epidesk.policy.schemas import Preset
from epidesk.synth.outbreak.testing import engine, rules


def testing_rules(preset: Preset, pool_size: int | None = None) -> engine.TestingRules:
    """Pool sizes and the positivity rule of a preset, for the scenario's lab."""
    validated = tuple(preset.testing.pooling.pool_sizes)
    size = (rules.default_pool_size(validated) if pool_size is None
            else rules.validate_pool_size(pool_size, validated, preset.name))
    positivity = preset.cases.positivity
    return engine.TestingRules(
        pool_size=size, pool_sizes=validated,
        thresholds=tuple(positivity.threshold(g) for g in rules.TARGET_GENES),
        require_all=positivity.require == "all")
