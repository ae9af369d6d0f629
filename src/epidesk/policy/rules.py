"""Pure rules over a typed preset: quarantine plans, positivity, windows, comparison."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

from pydantic import BaseModel

from epidesk.errors import PresetError
from epidesk.kit.i18n import _, _l, ngettext
from epidesk.policy.schemas import (
    PLACE_LABELS,
    PROVENANCE_FIELDS,
    SECTIONS,
    Preset,
    QuarantineCategory,
    Record,
    Stage,
    StepDown,
    format_path,
    iter_records,
)

SECTION_TITLES: Mapping[str, Any] = {
    "cases": _l("Cases"),
    "contacts": _l("Contacts"),
    "quarantine": _l("Quarantine"),
    "zoning": _l("Risk zones"),
    "testing": _l("Mass testing"),
    "facilities": _l("Quarantine facilities"),
    "vaccination": _l("Vaccination"),
}


class Absent:
    """The value of a location one preset sets and the other does not."""

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = Absent()


# ------------------------------------------------------------------------------ quarantine


@dataclass(frozen=True)
class PlannedStage:
    """One stage of a person's quarantine; days count from the last exposure, dates inclusive."""

    place: str
    if_home_unsuitable: str | None
    first_day: int
    last_day: int
    start: dt.date
    end: dt.date
    test_days: tuple[int, ...]
    test_dates: tuple[dt.date, ...]


def _as_date(value: dt.date) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def quarantine_category(category: str, preset: Preset) -> QuarantineCategory:
    """The rule of one category of people, or a PresetError naming the known ones."""
    try:
        return preset.quarantine.categories[category]
    except KeyError:
        known = ", ".join(preset.quarantine.categories)
        raise PresetError(
            f"{preset.name} has no quarantine category {category!r} (known: {known})"
        ) from None


def quarantine_plan(category: str, last_exposure: dt.date, preset: Preset) -> list[PlannedStage]:
    """Stages after a last exposure (day n = n-th day after it); [] for tests-only categories."""
    rule = quarantine_category(category, preset)
    if not rule.applies:
        raise PresetError(f"{preset.name}: {category} does not apply ({rule.note or 'no rule'})")
    exposure = _as_date(last_exposure)
    plan: list[PlannedStage] = []
    offset = 0
    for stage in rule.stages:
        overall = tuple(offset + day for day in stage.test_days)
        plan.append(
            PlannedStage(
                place=stage.place,
                if_home_unsuitable=stage.if_home_unsuitable,
                first_day=offset + 1,
                last_day=offset + stage.days,
                start=exposure + dt.timedelta(days=offset + 1),
                end=exposure + dt.timedelta(days=offset + stage.days),
                test_days=overall,
                test_dates=tuple(exposure + dt.timedelta(days=day) for day in overall),
            )
        )
        offset += stage.days
    return plan


def quarantine_end(category: str, last_exposure: dt.date, preset: Preset) -> dt.date | None:
    """The last day of quarantine, or None when the category asks for tests only."""
    plan = quarantine_plan(category, last_exposure, preset)
    return plan[-1].end if plan else None


# ------------------------------------------------------------------------------ cases


def _detected(ct: float) -> bool:
    return not math.isnan(ct)


def is_positive(ct_values: Mapping[str, float | None], preset: Preset) -> bool:
    """Whether a result (gene -> Ct, None if not amplified) is below the preset's threshold."""
    rule = preset.cases.positivity
    below = [
        ct is not None and _detected(ct) and ct < rule.threshold(gene)
        for gene, ct in ct_values.items()
    ]
    if not below:
        return False
    return all(below) if rule.require == "all" else any(below)


def meets_release_ct(ct_values: Mapping[str, float | None], preset: Preset) -> bool:
    """Whether one test meets the release value: every gene undetected or at/above the Ct."""
    floor = preset.cases.release.ct_at_least
    return all(ct is None or not _detected(ct) or ct >= floor for ct in ct_values.values())


@dataclass(frozen=True)
class ContactWindow:
    """A half-open period [start, end) in which an exposure to a case counts."""

    start: dt.datetime
    end: dt.datetime

    def contains(self, moment: dt.datetime) -> bool:
        """Whether a moment lies in the window."""
        return self.start <= moment < self.end

    def overlaps(self, start: dt.datetime, end: dt.datetime) -> bool:
        """Whether a period [start, end) shares any time with the window."""
        return start < self.end and self.start < end


def close_contact_window(
    onset_or_sampling: dt.date, isolated_at: dt.date, preset: Preset
) -> ContactWindow:
    """From n calendar days before onset (or sampling) to isolation (a date: its day's end)."""
    tz = None
    for moment in (onset_or_sampling, isolated_at):
        if isinstance(moment, dt.datetime) and moment.tzinfo is not None:
            tz = moment.tzinfo
    days = preset.contacts.close_window.days_before
    first_day = _as_date(onset_or_sampling) - dt.timedelta(days=days)
    start = dt.datetime.combine(first_day, dt.time.min, tzinfo=tz)
    if isinstance(isolated_at, dt.datetime):
        end = isolated_at
    else:
        end = dt.datetime.combine(isolated_at + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    # A case isolated before the window opens exposed nobody in it: the window is empty.
    return ContactWindow(start=start, end=max(start, end))


# ------------------------------------------------------------------------------ zoning


def high_risk_unit_allowed(unit: str, preset: Preset) -> bool:
    """Whether a high-risk zone may be drawn by this area unit under the preset."""
    return preset.zoning.high_risk_unit.allows(unit)


def step_down_rule(level: str, preset: Preset, *, formerly: str | None = None) -> StepDown | None:
    """The rule that ends a zone at a level; a rule for its former level takes precedence."""
    general: StepDown | None = None
    for rule in preset.zoning.step_down.values():
        if rule.from_level != level:
            continue
        if rule.only_if_formerly is None:
            general = general or rule
        elif rule.only_if_formerly == formerly:
            return rule
    return general


# ------------------------------------------------------------------------------ comparison


def _is_scalar(value: Any) -> bool:
    return not isinstance(value, BaseModel | dict | list)


def flatten(value: Any, prefix: str = "", *, provenance: bool = True) -> list[tuple[str, Any]]:
    """Leaf values below a value with their locations; lists of plain values stay whole."""
    if isinstance(value, BaseModel):
        out: list[tuple[str, Any]] = []
        for name in type(value).model_fields:
            if not provenance and isinstance(value, Record) and name in PROVENANCE_FIELDS:
                continue
            path = f"{prefix}.{name}" if prefix else name
            out.extend(flatten(getattr(value, name), path, provenance=provenance))
        return out
    if isinstance(value, dict) and value:
        out = []
        for key, item in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten(item, path, provenance=provenance))
        return out
    if isinstance(value, list) and value and not all(_is_scalar(item) for item in value):
        out = []
        for i, item in enumerate(value):
            out.extend(flatten(item, f"{prefix}[{i}]", provenance=provenance))
        return out
    return [(prefix, value)]


class Difference(NamedTuple):
    """One location whose value differs, as (path, a, b); ABSENT where a preset does not set it."""

    path: str
    a: Any
    b: Any


def _unset(value: Any) -> bool:
    return value is None or (isinstance(value, list | dict) and not value)


def preset_values(preset: Preset, *, provenance: bool = False) -> dict[str, Any]:
    """Every rule value a preset sets, by location (metadata and sources left out)."""
    values: dict[str, Any] = {}
    for section in SECTIONS:
        for path, value in flatten(getattr(preset, section), section, provenance=provenance):
            if not _unset(value):
                values[path] = value
    return values


def _interleave(left: list[str], right: list[str]) -> list[str]:
    """Locations of both sides, each side's order kept, right-only ones after their neighbour."""
    known = set(left)
    order = list(left)
    position = -1
    for path in right:
        if path in known:
            position = order.index(path)
        else:
            position += 1
            order.insert(position, path)
    return order


def preset_diff(a: Preset, b: Preset, *, include_provenance: bool = False) -> list[Difference]:
    """The values that differ between two presets, location by location, in file order."""
    left = preset_values(a, provenance=include_provenance)
    right = preset_values(b, provenance=include_provenance)
    out: list[Difference] = []
    for path in _interleave(list(left), list(right)):
        va, vb = left.get(path, ABSENT), right.get(path, ABSENT)
        if va is ABSENT or vb is ABSENT or va != vb:
            out.append(Difference(path=path, a=va, b=vb))
    return out


# ------------------------------------------------------------------------------ display


def format_value(value: Any) -> str:
    """A value as shown on pages and in the terminal."""
    if value is ABSENT:
        return "—"
    if value is None:
        return "not set"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return ", ".join(format_value(item) for item in value) if value else "none"
    if isinstance(value, dict):
        items = (f"{key}: {format_value(item)}" for key, item in value.items())
        return "; ".join(items) if value else "none"
    return str(value)


def jsonable(value: Any) -> Any:
    """A value for a JSON document (ABSENT becomes null)."""
    if value is ABSENT:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [jsonable(item) for item in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    return value


def _days(days: list[int] | tuple[int, ...]) -> str:
    return ngettext("test on day %(days)s", "tests on days %(days)s", len(days),
                    days=_(", ").join(str(d) for d in days))


def describe_stage(stage: Stage) -> str:
    """A stage in words: '7 days centralized quarantine (tests on days 1, 2, 3, 5, 7)'."""
    text = _("%(days)d days %(place)s", days=stage.days, place=PLACE_LABELS[stage.place])
    if stage.if_home_unsuitable:
        text += _(" (%(place)s if the home is unsuitable)",
                  place=PLACE_LABELS[stage.if_home_unsuitable])
    if stage.test_days:
        text += _(" (%(tests)s)", tests=_days(stage.test_days))
    return text


def describe_category(category: QuarantineCategory) -> str:
    """A quarantine category in words."""
    if not category.applies:
        return _("Does not apply.")
    parts = [describe_stage(stage) for stage in category.stages]
    text = _(", then ").join(parts)
    if category.tests is not None:
        tests = _("%(tests)d tests within %(days)d days", tests=category.tests.tests,
                  days=category.tests.within_days)
        text = _("%(stages)s; %(tests)s", stages=text, tests=tests) if text else tests
    if category.release_after_negative_test:
        text += _("; released after a negative last test")
    return text[0].upper() + text[1:] + _(".")


def describe_step_down(rule: StepDown) -> str:
    """A step-down rule in words."""
    target = "lifted" if rule.to_level == "lifted" else f"down to {rule.to_level}"
    text = f"{rule.from_level.capitalize()}"
    if rule.only_if_formerly:
        text += f" (formerly {rule.only_if_formerly})"
    text += f": {rule.days_without_new_infection} consecutive days without a new infection"
    if rule.negative_full_round_on_day:
        text += f" and a negative full round on day {rule.negative_full_round_on_day}"
    return f"{text}, then {target}."


def describe(record: Record) -> str | None:
    """A record in words, for the records that read better so."""
    if isinstance(record, QuarantineCategory):
        return describe_category(record)
    if isinstance(record, StepDown):
        return describe_step_down(record)
    return None


@dataclass(frozen=True)
class RecordView:
    """One record laid out for a page or a terminal."""

    section: str
    path: str
    name: str
    summary: str | None
    fields: list[tuple[str, str]]
    source: str
    source_text: str
    confirmed: bool
    note: str


def record_views(preset: Preset) -> list[RecordView]:
    """Every record of a preset, in file order, ready to show."""
    views: list[RecordView] = []
    for parts, record in iter_records(preset):
        section = str(parts[0])
        views.append(
            RecordView(
                section=section,
                path=format_path(parts),
                name=format_path(parts[1:]),
                summary=describe(record),
                fields=[
                    (path, format_value(value))
                    for path, value in flatten(record, provenance=False)
                    if not _unset(value)
                ],
                source=record.source,
                source_text=preset.source_text(record.source),
                confirmed=record.confirmed,
                note=record.note,
            )
        )
    return views
