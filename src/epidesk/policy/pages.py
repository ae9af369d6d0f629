"""HTML routes of the policy domain: the presets, one preset, two presets compared."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from epidesk.config import get_settings
from epidesk.kit.templating import render
from epidesk.policy import service
from epidesk.policy.deps import PresetName
from epidesk.policy.rules import (
    SECTION_TITLES,
    RecordView,
    format_value,
    preset_diff,
    record_views,
)

# The rules that restrict people are public: anyone may read the presets.
router = APIRouter(include_in_schema=False)

OptionalName = Annotated[str | None, Query(max_length=100)]


@router.get("/policy")
def presets_page(request: Request) -> Response:
    """Every preset with its date and count of unconfirmed values."""
    return render(request, "policy/list.html", {
        "presets": service.published_presets(),
        "active": get_settings().preset,
        "section": "policy",
    })


@router.get("/policy/diff")
def diff_page(request: Request, a: OptionalName = None, b: OptionalName = None) -> Response:
    """Two presets compared: a form to choose them, then the values that differ."""
    choices = [entry.name for entry in service.published_presets() if entry.error is None]
    context: dict[str, object] = {"choices": choices, "a": a, "b": b, "section": "policy"}
    if a and b:
        left, right = service.published_preset(a), service.published_preset(b)
        context.update(
            left=left,
            right=right,
            rows=[
                (d.path, format_value(d.a), format_value(d.b))
                for d in preset_diff(left, right)
            ],
        )
    return render(request, "policy/diff.html", context)


@router.get("/policy/{name}")
def preset_page(request: Request, name: PresetName) -> Response:
    """Every value of a preset grouped by section; unconfirmed values flagged in words."""
    preset = service.published_preset(name)
    sections: dict[str, list[RecordView]] = {}
    for view in record_views(preset):
        sections.setdefault(view.section, []).append(view)
    return render(request, "policy/show.html", {
        "preset": preset,
        "sections": [(key, SECTION_TITLES[key], views) for key, views in sections.items()],
        "unconfirmed": [v for views in sections.values() for v in views if not v.confirmed],
        "section": "policy",
    })
