"""Pure rules of risk zoning: areas and their keys, infectious days, the step-down clock,
manual changes, and the resident-facing words in Chinese and English."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from epidesk.kit import i18n
from epidesk.kit.i18n import _l
from epidesk.policy.schemas import ZONE_RANK, Preset, StepDown

RANK = ZONE_RANK

# The geometry tree below the community, smallest first, then the places a case stayed
# and the district (the low-risk rest).
TREE_KINDS: tuple[str, ...] = ("household", "floor", "unit", "building", "compound")
KINDS: tuple[str, ...] = (*TREE_KINDS, "venue", "district")
# Floors are numbered below this; a floor's reference is unit id * FLOORS + floor.
FLOORS = 1000
ACTIVE, LIFTED = "active", "lifted"
RULE, MANUAL = "rule", "manual"
# Changes of a zone written to its history.
CHANGE_KINDS = ("opened", "restarted", "stepped_down", "lifted", "widened", "narrowed",
                "withdrawn")
# Why an administrator overrode the preset's granularity: the category is public, the
# written reason stays on staff pages.
OVERRIDE_CATEGORIES: dict[str, str] = {
    "unlinked_cases": "cases in the area not linked to a known chain",
    "shared_facilities": "residents share facilities across the wider area",
    "data_correction": "the recorded addresses were wrong",
    "other": "another reason recorded by the administrator",
}


class ZoningRuleError(ValueError):
    """A change the rules refuse; the message says why."""


def area_key(kind: str, ref: int) -> str:
    """The key of an area: "unit:12", "floor:12003" (unit 12, floor 3)..."""
    if kind not in KINDS:
        raise ZoningRuleError(f"unknown area kind {kind!r}; kinds: {', '.join(KINDS)}")
    return f"{kind}:{ref}"


def parse_key(key: str) -> tuple[str, int]:
    """The kind and reference of an area key."""
    kind, _, ref = key.partition(":")
    if kind not in KINDS or not ref.isdigit():
        raise ZoningRuleError(f"{key!r} is not an area key (kind:number)")
    return kind, int(ref)


def floor_ref(unit_id: int, floor: int) -> int:
    """The reference of a floor of a unit."""
    return unit_id * FLOORS + floor


def kind_rank(kind: str) -> int:
    """Where an area kind lies in the tree, smallest first (a venue ranks as a building)."""
    if kind == "venue":
        return TREE_KINDS.index("building")
    if kind == "district":
        return len(TREE_KINDS) + 2
    return TREE_KINDS.index(kind)


# ------------------------------------------------------------------ cases


@dataclass(frozen=True)
class CaseFacts:
    """What zoning reads of a case."""

    case_id: int
    sampling_date: dt.date
    onset_date: dt.date | None = None
    isolation_date: dt.date | None = None


def infectious_days(case: CaseFacts, preset: Preset) -> tuple[dt.date, dt.date]:
    """The first and last day a case may have infected others: from the preset's days
    before onset (or sampling) until isolation (or sampling, if no isolation is recorded)."""
    start = (case.onset_date or case.sampling_date) - dt.timedelta(
        days=preset.contacts.close_window.days_before)
    end = case.isolation_date or case.sampling_date
    return start, max(start, end)


# ------------------------------------------------------------------ step-down


@dataclass(frozen=True)
class Step:
    """A zone's level on a day, and what changed it."""

    day: dt.date
    kind: str
    from_level: str | None
    to_level: str
    rule: str


def rule_name(rule: StepDown, preset: Preset) -> str:
    """The preset's name of a step-down rule ("zoning.step_down.high_to_medium")."""
    for name, found in preset.zoning.step_down.items():
        if found is rule:
            return f"zoning.step_down.{name}"
    return "zoning.step_down"


def step_rule(level: str, formerly: str | None, preset: Preset) -> StepDown | None:
    """The rule that ends a level; one for the former level takes precedence."""
    general: StepDown | None = None
    for rule in preset.zoning.step_down.values():
        if rule.from_level != level:
            continue
        if rule.only_if_formerly is None:
            general = general or rule
        elif rule.only_if_formerly == formerly:
            return rule
    return general


def step_due(level: str, formerly: str | None, clock_start: dt.date, day: dt.date,
             round_negative: bool, preset: Preset) -> StepDown | None:
    """The rule by which a zone steps down on `day`, or None: the rule's days without a new
    infection have passed since the clock started, and, where the rule asks for one, the
    zone's full testing round on that day was negative."""
    rule = step_rule(level, formerly, preset)
    if rule is None:
        return None
    if (day - clock_start).days < rule.days_without_new_infection:
        return None
    if rule.negative_full_round_on_day is not None and not round_negative:
        return None
    return rule


def planned_end(level: str, formerly: str | None, clock_start: dt.date,
                preset: Preset) -> dt.date | None:
    """The day a zone is planned to be lifted if no new infection is linked to it: each
    step down on its first possible day (a round, where asked for, assumed negative)."""
    day = clock_start
    seen = 0
    while level not in ("low", LIFTED) and seen < 8:
        rule = step_rule(level, formerly, preset)
        if rule is None:
            return None
        day = day + dt.timedelta(days=rule.days_without_new_infection)
        formerly, level = level, rule.to_level
        seen += 1
    return day


def next_step(level: str, formerly: str | None, clock_start: dt.date,
              preset: Preset) -> tuple[dt.date, StepDown] | None:
    """The first day the current level may end, and the rule that ends it."""
    rule = step_rule(level, formerly, preset)
    if rule is None:
        return None
    return clock_start + dt.timedelta(days=rule.days_without_new_infection), rule


def ends_zone(level: str) -> bool:
    """Whether stepping to this level lifts an area's zone (it joins the low-risk rest)."""
    return level in ("low", LIFTED)


def timeline(infections: Iterable[tuple[dt.date, str]], negative_rounds: Iterable[dt.date],
             preset: Preset, until: dt.date) -> list[Step]:
    """A zone's history, day by day up to `until`, from the infections linked to it (day,
    level they call for) and the days of its negative full rounds: the same clock the
    daily job applies, for tests, replay and simulation."""
    by_day: dict[dt.date, str] = {}
    for when, called in infections:
        if when not in by_day or RANK[called] > RANK[by_day[when]]:
            by_day[when] = called
    rounds = set(negative_rounds)
    if not by_day:
        return []
    steps: list[Step] = []
    day = min(by_day)
    level: str | None = None
    formerly: str | None = None
    clock = day
    while day <= until:
        if day in by_day:
            called = by_day[day]
            if level is None or ends_zone(level):
                steps.append(Step(day, "opened", None, called, "zoning.levels." + called))
                level, formerly = called, None
            elif RANK[called] > RANK[level]:
                steps.append(Step(day, "restarted", level, called, "zoning.levels." + called))
                level, formerly = called, None
            else:
                steps.append(Step(day, "restarted", level, level, "zoning.levels." + level))
            clock = day
        elif level is not None and not ends_zone(level):
            rule = step_due(level, formerly, clock, day, day in rounds, preset)
            if rule is not None:
                to = rule.to_level
                steps.append(Step(day, "lifted" if ends_zone(to) else "stepped_down", level,
                                  to, rule_name(rule, preset)))
                formerly, level, clock = level, to, day
        day += dt.timedelta(days=1)
    return steps


def round_negative(sampled: int, positive: int, residents: int, share: float) -> bool:
    """Whether a zone's round on a day was full and negative: at least `share` of its
    residents sampled, none of them in a positive tube."""
    if positive > 0:
        return False
    needed = max(1, -(-round(share * residents * 1000) // 1000))
    return sampled >= needed


# ------------------------------------------------------------------ manual changes


def check_manual_change(*, from_kind: str, to_kind: str, reason: str, preset: Preset,
                        override: bool, override_reason: str, category: str | None) -> str:
    """Whether a zoning officer's widening or narrowing may be made: "widened" or
    "narrowed", else ZoningRuleError saying why."""
    if not reason.strip():
        raise ZoningRuleError("a written reason is required to widen or narrow a zone")
    if from_kind not in TREE_KINDS or to_kind not in TREE_KINDS:
        raise ZoningRuleError(f"only zones of the tree ({', '.join(TREE_KINDS)}) may be "
                              "widened or narrowed")
    if from_kind == to_kind:
        raise ZoningRuleError(f"the zone is already drawn by {to_kind}")
    if not preset.zoning.high_risk_unit.allows(to_kind):
        if not override:
            raise ZoningRuleError(
                f"{preset.name} does not draw zones by {to_kind} "
                f"(allowed: {', '.join(preset.zoning.high_risk_unit.units)}); an "
                "administrator may override with a reason")
        if not override_reason.strip():
            raise ZoningRuleError("an override needs the administrator's written reason")
        if category not in OVERRIDE_CATEGORIES:
            raise ZoningRuleError(f"an override needs a category of reason: "
                                  f"{', '.join(OVERRIDE_CATEGORIES)}")
    return "widened" if kind_rank(to_kind) > kind_rank(from_kind) else "narrowed"


# ------------------------------------------------------------------ footprint


@dataclass(frozen=True)
class Footprint:
    """What the zones cost residents on a day."""

    day: dt.date
    residents: dict[str, int]  # by level
    households_stay_home: int
    resident_days: int  # restricted (high and medium) resident-days up to the day
    zones: dict[str, int]  # by level


# ------------------------------------------------------------------ residents' words

# Resident-facing texts by key, translated through the catalogues (kit.i18n).
TEXTS: dict[str, Any] = {
    "level.high": _l("High risk"),
    "level.medium": _l("Medium risk"),
    "level.low": _l("Low risk"),
    "measures.high": _l("Stay at home. Food, medicine and other services are brought to your "
                        "door."),
    "measures.medium": _l("Stay within the area. Pick up goods at the staggered times you are "
                          "given."),
    "measures.low": _l("Protect yourself (masks, distance) and avoid gatherings."),
    "in_building": _l("a zone in this building"),
    "no_zone": _l("This address is in no risk zone."),
    "planned_end": _l("Planned end"),
    "why": _l("Why"),
    "why.residence": _l("Infections linked to a home here: %(n)d, under the rule %(rule)s."),
    "why.place": _l("Infections linked to a stay at this place: %(n)d, under the rule "
                    "%(rule)s."),
    "why.manual": _l("Drawn by the zoning office (reason category: %(category)s)."),
    "override": _l("Drawn wider than the protocol's unit by an administrator"),
    "lookup.title": _l("Is my address in a risk zone?"),
    "lookup.unknown": _l("No such address: check the community, building, unit and flat."),
    "zones.title": _l("Risk zones"),
    "zones.none": _l("No risk zone is in force."),
    "until": _l("until"),
    "district": _l("District"),
    "place.building": _l("%(community)s building %(n)d"),
    "place.unit": _l("(one unit)"),
    "form.community": _l("Community"),
    "form.building": _l("Building"),
    "form.unit": _l("Unit"),
    "form.flat": _l("Flat (e.g. 201)"),
    "form.submit": _l("Look up"),
    "category.unlinked_cases": _l("cases in the area not linked to a known chain"),
    "category.shared_facilities": _l("residents share facilities across the wider area"),
    "category.data_correction": _l("the recorded addresses were wrong"),
    "category.other": _l("another reason recorded by the administrator"),
}
# The texts without values, for a page's words.
PLAIN_TEXTS = tuple(k for k in TEXTS
                    if k not in ("why.residence", "why.place", "why.manual", "place.building"))
LEVEL_LABELS = i18n.register_labels("zone_level", {
    "high": _l("high"), "medium": _l("medium"), "low": _l("low"), "lifted": _l("lifted")})
STATUS_LABELS = i18n.register_labels("zone_status", {"active": _l("active"),
                                                     "lifted": _l("lifted")})
CHANGE_LABELS = i18n.register_labels("zone_change", {
    "opened": _l("opened"), "restarted": _l("restarted"), "stepped_down": _l("stepped down"),
    "lifted": _l("lifted"), "widened": _l("widened"), "narrowed": _l("narrowed"),
    "withdrawn": _l("withdrawn")})
LINK_LABELS = i18n.register_labels("zone_link", {"residence": _l("home"),
                                                 "place": _l("place stayed")})


def text(key: str, lang: str, **values: object) -> str:
    """A resident-facing text in the language (Chinese when the language is unknown)."""
    with i18n.using(lang):
        found = str(TEXTS[key])
    return found % values if values else found


def language(chosen: str | None) -> str:
    """The language of a public page: the one chosen in its address, else the request's."""
    return i18n.known(chosen) or i18n.current()


def public_area(kind: str) -> str:
    """How a zone's area kind is named on public pages: floors and households only as a
    zone in the building."""
    return "building" if kind in ("household", "floor") else kind


def counts_by(values: Mapping[str, int], levels: Iterable[str]) -> dict[str, int]:
    """A count for every level, zero where there is none."""
    return {level: int(values.get(level, 0)) for level in levels}


def written_reason(reason: str, override_reason: str = "") -> str:
    """A manual change's reason as the audit log keeps it, with an override's own reason."""
    reason = reason.strip()
    override = override_reason.strip()
    return f"{reason} (override: {override})" if override else reason
