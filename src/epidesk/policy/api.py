"""JSON routes of the policy domain: protocol presets and their differences."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from epidesk.kit.web import PUBLIC_PROBLEM_RESPONSES
from epidesk.policy import service
from epidesk.policy.deps import PresetName
from epidesk.policy.rules import ABSENT, jsonable, preset_diff
from epidesk.policy.schemas import (
    DifferenceOut,
    PresetDetail,
    PresetDiff,
    PresetSummary,
)

router = APIRouter(
    prefix="/policy",
    tags=["policy"],
    responses=PUBLIC_PROBLEM_RESPONSES,
)

@router.get("/presets", response_model=list[PresetSummary], summary="List protocol presets")
def list_presets() -> list[PresetSummary]:
    """Every preset, shipped or from EPIDESK_PRESET_DIRS; a file that fails to load shows why."""
    return service.published_presets()


@router.get("/presets/{name}", response_model=PresetDetail, summary="A protocol preset")
def get_preset(name: PresetName) -> PresetDetail:
    """Every value of a preset with its source, and the locations still unconfirmed."""
    preset = service.published_preset(name)
    return PresetDetail(unconfirmed=preset.unconfirmed(), preset=preset)


@router.get("/diff", response_model=PresetDiff, summary="Compare two protocol presets")
def diff_presets(
    a: Annotated[str, Query(min_length=1, max_length=100, description="First preset name")],
    b: Annotated[str, Query(min_length=1, max_length=100, description="Second preset name")],
    provenance: Annotated[
        bool, Query(description="Also compare source, confirmed and note")
    ] = False,
) -> PresetDiff:
    """The values that differ between two presets, location by location."""
    left, right = service.published_preset(a), service.published_preset(b)
    return PresetDiff(
        a=left.name,
        b=right.name,
        differences=[
            DifferenceOut(path=d.path, a=jsonable(d.a), b=jsonable(d.b),
                          in_a=d.a is not ABSENT, in_b=d.b is not ABSENT)
            for d in preset_diff(left, right, include_provenance=provenance)
        ],
    )
