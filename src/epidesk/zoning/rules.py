"""Pure rules of risk zoning: areas and their keys, infectious days, the step-down clock,
manual changes, and the resident-facing words in Chinese and English."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

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

LANGUAGES = ("en", "zh")

TEXTS: dict[str, dict[str, str]] = {
    "level.high": {"en": "High risk", "zh": "高风险区"},
    "level.medium": {"en": "Medium risk", "zh": "中风险区"},
    "level.low": {"en": "Low risk", "zh": "低风险区"},
    "measures.high": {
        "en": "Stay at home. Food, medicine and other services are brought to your door.",
        "zh": "居家不出户，生活物资和药品等服务送上门。"},
    "measures.medium": {
        "en": "Stay within the area. Pick up goods at the staggered times you are given.",
        "zh": "人不出区，错峰取物。"},
    "measures.low": {
        "en": "Protect yourself (masks, distance) and avoid gatherings.",
        "zh": "做好个人防护，避免聚集。"},
    "in_building": {"en": "a zone in this building", "zh": "本楼内有风险区"},
    "no_zone": {"en": "This address is in no risk zone.", "zh": "该地址不在风险区内。"},
    "planned_end": {"en": "Planned end", "zh": "计划解除日期"},
    "why": {"en": "Why", "zh": "原因"},
    "why.residence": {
        "en": "{n} infection(s) linked to a home here, under the rule {rule}.",
        "zh": "依据规则 {rule}，此处有 {n} 例感染者居住。"},
    "why.place": {
        "en": "{n} infection(s) linked to a stay at this place, under the rule {rule}.",
        "zh": "依据规则 {rule}，有 {n} 例感染者曾在此停留。"},
    "why.manual": {
        "en": "Drawn by the zoning office (reason category: {category}).",
        "zh": "由风险区划定部门调整（原因类别：{category}）。"},
    "override": {"en": "Drawn wider than the protocol's unit by an administrator",
                 "zh": "经管理员批准超出规定范围划定"},
    "lookup.title": {"en": "Is my address in a risk zone?", "zh": "查询我的地址是否在风险区"},
    "lookup.unknown": {"en": "No such address: check the community, building, unit and flat.",
                       "zh": "未找到该地址：请核对小区、楼栋、单元和门牌号。"},
    "zones.title": {"en": "Risk zones", "zh": "风险区"},
    "zones.none": {"en": "No risk zone is in force.", "zh": "目前没有风险区。"},
    "until": {"en": "until", "zh": "至"},
    "district": {"en": "District", "zh": "区"},
    "place.building": {"en": "{community} building {n}", "zh": "{community}{n}号楼"},
    "place.unit": {"en": "(one unit)", "zh": "（一个单元）"},
    "form.community": {"en": "Community", "zh": "小区"},
    "form.building": {"en": "Building", "zh": "楼栋"},
    "form.unit": {"en": "Unit", "zh": "单元"},
    "form.flat": {"en": "Flat (e.g. 201)", "zh": "门牌号（如 201）"},
    "form.submit": {"en": "Look up", "zh": "查询"},
    "language": {"en": "English", "zh": "中文"},
    "category.unlinked_cases": {"en": "cases in the area not linked to a known chain",
                                "zh": "该区域出现无法关联到已知传播链的病例"},
    "category.shared_facilities": {"en": "residents share facilities across the wider area",
                                   "zh": "居民共用更大范围内的设施"},
    "category.data_correction": {"en": "the recorded addresses were wrong",
                                 "zh": "登记的地址有误"},
    "category.other": {"en": "another reason recorded by the administrator",
                       "zh": "管理员记录的其他原因"},
}


def text(key: str, lang: str, **values: object) -> str:
    """A resident-facing text in the language (English when the language is unknown)."""
    entry = TEXTS[key]
    found = entry.get(lang) or entry["en"]
    return found.format(**values) if values else found


def language(accept: str | None, chosen: str | None = None) -> str:
    """The language of a public page: the one chosen, else the browser's first known."""
    if chosen in LANGUAGES:
        return str(chosen)
    for part in (accept or "").split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in LANGUAGES:
            return code
    return "en"


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
