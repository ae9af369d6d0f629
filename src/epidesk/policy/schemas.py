"""The protocol-preset schema: every rule value with its provenance, and the API shapes.

A preset file is TOML. Every table that carries `source` and `confirmed` is a *record*:
all the fields of that table (and of the tables nested in it) share its provenance.
`source` names a key of the preset's `[sources]` table, or "platform default" for a
value that no official text gives. Quarantine day n is the n-th day after the last
exposure; a stage's `test_days` count from the first day of that stage.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PositiveInt, model_validator
from pydantic_core import PydanticCustomError

PLATFORM_DEFAULT = "platform default"
NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
RESERVED_NAMES = frozenset({"diff"})
PROVENANCE_FIELDS = ("source", "confirmed", "note")
SECTIONS = ("cases", "contacts", "quarantine", "zoning", "testing", "facilities", "vaccination")

Place = Literal["centralized", "home", "home_health_monitoring"]
PLACE_LABELS: dict[str, str] = {
    "centralized": "centralized quarantine",
    "home": "home quarantine",
    "home_health_monitoring": "home health monitoring",
}

ZoneLevel = Literal["high", "medium", "low"]
StepTarget = Literal["high", "medium", "low", "lifted"]
ZONE_RANK: dict[str, int] = {"lifted": 0, "low": 1, "medium": 2, "high": 3}

AreaUnit = Literal[
    "household", "floor", "unit", "building", "compound", "community", "subdistrict",
    "district", "city",
]
AREA_UNIT_ORDER: tuple[str, ...] = (
    "household", "floor", "unit", "building", "compound", "community", "subdistrict",
    "district", "city",
)

STANDARD_CATEGORIES: tuple[str, ...] = (
    "close_contact",
    "sub_close_contact",
    "visited_high_risk_area",
    "visited_medium_risk_area",
    "low_risk_area",
)


def rule_error(at: str, message: str) -> PydanticCustomError:
    """A cross-field error whose `at` extends the location of the model that raises it."""
    return PydanticCustomError("preset_rule", "{message}", {"message": message, "at": at})


def _unit_rank(unit: str) -> int:
    return AREA_UNIT_ORDER.index(unit)


class Strict(BaseModel):
    """A table of a preset file: native TOML types only, unknown keys rejected."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class Record(Strict):
    """A rule value with its provenance; every field of the table shares it."""

    source: str = Field(min_length=1, description="Key of [sources], or 'platform default'")
    confirmed: bool = Field(description="False: still to be checked against the original text")
    note: str = ""


# ------------------------------------------------------------------------------ cases


class CaseDefinition(Record):
    """How a case class is defined, and which class it may later become."""

    definition: str = Field(min_length=1)
    reclassify_to: list[str] = []


class Reporting(Record):
    """Deadlines after a diagnosis."""

    report_within_hours: PositiveInt
    investigate_within_hours: PositiveInt


class Positivity(Record):
    """When a PCR result counts as positive: Ct below the threshold on the target genes.

    The target genes are the genes a result reports; a gene without a Ct value did not
    amplify. `require = "all"` needs every reported gene below its threshold.
    """

    ct_below: float = Field(gt=0, le=50)
    per_gene_ct_below: dict[str, float] = {}
    require: Literal["all", "any"]

    def threshold(self, gene: str) -> float:
        """The Ct threshold of one gene."""
        return self.per_gene_ct_below.get(gene, self.ct_below)

    @model_validator(mode="after")
    def _thresholds_in_range(self) -> Positivity:
        for gene, ct in self.per_gene_ct_below.items():
            if not 0 < ct <= 50:
                raise rule_error(f"per_gene_ct_below.{gene}", f"{ct} is not a Ct value (0-50)")
        return self


class Isolation(Record):
    """Where cases are isolated."""

    place: Literal["centralized", "home"]
    if_home_unsuitable: Literal["centralized"] | None = None

    @model_validator(mode="after")
    def _fallback_only_for_home(self) -> Isolation:
        if self.if_home_unsuitable and self.place != "home":
            raise rule_error("if_home_unsuitable", "only a home isolation has a fallback")
        return self


class CaseRelease(Record):
    """When a case leaves isolation: consecutive tests with Ct at or above a value."""

    ct_at_least: float = Field(gt=0, le=50)
    consecutive_tests: PositiveInt
    hours_apart: PositiveInt | None = None
    on_isolation_days: list[PositiveInt] = []

    @model_validator(mode="after")
    def _days_match_tests(self) -> CaseRelease:
        days = self.on_isolation_days
        if days and len(days) != self.consecutive_tests:
            raise rule_error(
                "on_isolation_days",
                f"{len(days)} days given for {self.consecutive_tests} consecutive tests",
            )
        for i in range(1, len(days)):
            if days[i] <= days[i - 1]:
                raise rule_error(f"on_isolation_days[{i}]", f"{days[i]} is not after {days[i - 1]}")
        if self.hours_apart is None and not days:
            raise rule_error("hours_apart", "give hours_apart or on_isolation_days")
        return self


class RepositiveWindow(Record):
    """How long after an episode a new positive is linked to it instead of opening a new one."""

    days: PositiveInt
    counted_from: Literal["first_positive_sample"]


class Cases(Strict):
    """Case definitions, reporting, positivity, isolation and release."""

    definitions: dict[str, CaseDefinition]
    reporting: Reporting
    positivity: Positivity
    isolation: Isolation
    release: CaseRelease
    repositive_window: RepositiveWindow

    @model_validator(mode="after")
    def _consistent(self) -> Cases:
        for required in ("confirmed", "asymptomatic"):
            if required not in self.definitions:
                raise rule_error(f"definitions.{required}", "required definition is missing")
        for name, definition in self.definitions.items():
            for i, target in enumerate(definition.reclassify_to):
                if target not in self.definitions:
                    raise rule_error(
                        f"definitions.{name}.reclassify_to[{i}]", f"no definition named {target!r}"
                    )
        if self.release.ct_at_least < self.positivity.ct_below:
            raise rule_error(
                "release.ct_at_least",
                f"{self.release.ct_at_least:g} is below the positivity threshold "
                f"{self.positivity.ct_below:g}",
            )
        return self


# ------------------------------------------------------------------------------ contacts


class CloseContactWindow(Record):
    """The period in which an exposure to a case makes a close contact."""

    days_before: int = Field(ge=0, le=30)
    from_symptomatic: Literal["symptom_onset"]
    from_asymptomatic: Literal["sampling"]
    until: Literal["case_isolated"]


class CloseContactSettings(Record):
    """The settings in which an exposure makes a close contact (id: description)."""

    settings: dict[str, str] = Field(min_length=1)


class SubCloseRelease(Strict):
    """When a sub-close contact is released."""

    on_day: PositiveInt
    own_tests_negative: bool
    linked_close_contact_negative_tests: int = Field(ge=0)


class SubCloseContacts(Record):
    """Contacts of close contacts: identified or, explicitly, not."""

    identified: bool
    definition: str | None = None
    shared_activities: list[str] | None = None
    window_from: Literal["close_contact_first_exposure"] | None = None
    window_until: Literal["close_contact_isolated"] | None = None
    become_close_if_close_contact_positive: bool | None = None
    release: SubCloseRelease | None = None

    @model_validator(mode="after")
    def _complete_or_absent(self) -> SubCloseContacts:
        rule_fields = (
            "definition", "shared_activities", "window_from", "window_until",
            "become_close_if_close_contact_positive", "release",
        )
        for name in rule_fields:
            given = getattr(self, name) is not None
            if self.identified and not given:
                raise rule_error(name, "required when identified = true")
            if not self.identified and given:
                raise rule_error(name, "must be left out when identified = false")
        return self


class VenueCoVisit(Record):
    """When two visits to the same venue count as a shared exposure."""

    min_overlap_minutes: PositiveInt


class Contacts(Strict):
    """Close and sub-close contacts."""

    close_window: CloseContactWindow
    close_settings: CloseContactSettings
    sub_close: SubCloseContacts
    venue_co_visit: VenueCoVisit


# ------------------------------------------------------------------------------ quarantine


class Stage(Strict):
    """One stage of a quarantine: a place, a number of days, the test days within it."""

    place: Place
    if_home_unsuitable: Place | None = None
    days: PositiveInt
    test_days: list[PositiveInt]

    @model_validator(mode="after")
    def _test_days_within(self) -> Stage:
        previous = 0
        for i, day in enumerate(self.test_days):
            if day > self.days:
                raise rule_error(f"test_days[{i}]", f"{day} is after the stage's {self.days} days")
            if day <= previous:
                raise rule_error(f"test_days[{i}]", f"{day} is not after {previous}")
            previous = day
        if self.if_home_unsuitable is not None:
            if self.place == "centralized":
                raise rule_error("if_home_unsuitable", "only a stage at home has a fallback")
            if self.if_home_unsuitable == self.place:
                raise rule_error("if_home_unsuitable", "the fallback is the same place")
        return self


class TestsWithin(Strict):
    """A number of tests within a number of days, without quarantine."""

    tests: PositiveInt
    within_days: PositiveInt

    @model_validator(mode="after")
    def _fits(self) -> TestsWithin:
        if self.tests > self.within_days:
            raise rule_error("tests", f"{self.tests} tests do not fit in {self.within_days} days")
        return self


class QuarantineCategory(Record):
    """What one category of people must do: stages of quarantine, or tests only, or nothing."""

    label: str = Field(min_length=1)
    applies: bool
    lookback_days: PositiveInt | None = None
    stages: list[Stage] = []
    tests: TestsWithin | None = None
    release_after_negative_test: bool = False

    @property
    def total_days(self) -> int:
        """Days of quarantine over all stages."""
        return sum(stage.days for stage in self.stages)

    @model_validator(mode="after")
    def _applies_consistently(self) -> QuarantineCategory:
        if not self.applies:
            for name in ("lookback_days", "tests"):
                if getattr(self, name) is not None:
                    raise rule_error(name, "must be left out when applies = false")
            if self.stages:
                raise rule_error("stages", "must be left out when applies = false")
            if self.release_after_negative_test:
                raise rule_error("release_after_negative_test", "applies = false")
            return self
        if not self.stages and self.tests is None:
            raise rule_error("stages", "give stages or tests when applies = true")
        if self.release_after_negative_test:
            if not self.stages:
                raise rule_error("release_after_negative_test", "needs a stage to end")
            last = self.stages[-1]
            if not last.test_days or last.test_days[-1] != last.days:
                raise rule_error(
                    f"stages[{len(self.stages) - 1}].test_days",
                    f"release after a negative test needs a test on day {last.days}",
                )
        return self


class QuarantineForms(Record):
    """The forms of quarantine the protocol uses."""

    forms: list[Place] = Field(min_length=1)


class Quarantine(Strict):
    """Quarantine forms and the rules per category of people."""

    forms: QuarantineForms
    categories: dict[str, QuarantineCategory]

    @model_validator(mode="after")
    def _categories_complete(self) -> Quarantine:
        for name in STANDARD_CATEGORIES:
            if name not in self.categories:
                raise rule_error(
                    f"categories.{name}",
                    "required category is missing (write applies = false if it does not apply)",
                )
        for name, category in self.categories.items():
            if not NAME_PATTERN.match(name):
                raise rule_error(f"categories.{name}", "names are lower-case letters, digits, _")
            for i, stage in enumerate(category.stages):
                for field in ("place", "if_home_unsuitable"):
                    place = getattr(stage, field)
                    if place is not None and place not in self.forms.forms:
                        raise rule_error(
                            f"categories.{name}.stages[{i}].{field}",
                            f"{place!r} is not one of quarantine.forms.forms",
                        )
        return self


# ------------------------------------------------------------------------------ zoning


class ZoneLevelRule(Record):
    """One risk-zone level: what it covers and the measures in it."""

    label: str = Field(min_length=1)
    definition: str = Field(min_length=1)
    measures: dict[str, str] = Field(min_length=1)
    leave_city_test_within_hours: PositiveInt | None = None


class HighRiskUnit(Record):
    """The area units a high-risk zone may be drawn by."""

    units: list[AreaUnit] = Field(min_length=1)
    adjustable: bool
    smallest: AreaUnit | None = None
    largest: AreaUnit | None = None
    forbidden: list[AreaUnit] = []

    def allows(self, unit: str) -> bool:
        """Whether a high-risk zone may be drawn by this unit."""
        if unit not in AREA_UNIT_ORDER or unit in self.forbidden:
            return False
        rank = _unit_rank(unit)
        if self.smallest is not None and rank < _unit_rank(self.smallest):
            return False
        return self.largest is None or rank <= _unit_rank(self.largest)

    @model_validator(mode="after")
    def _bounds(self) -> HighRiskUnit:
        if (
            self.smallest is not None
            and self.largest is not None
            and _unit_rank(self.smallest) > _unit_rank(self.largest)
        ):
            raise rule_error("smallest", f"{self.smallest!r} is larger than {self.largest!r}")
        for i, unit in enumerate(self.units):
            if unit in self.forbidden:
                raise rule_error(f"units[{i}]", f"{unit!r} is also forbidden")
            if not self.allows(unit):
                raise rule_error(f"units[{i}]", f"{unit!r} is outside smallest..largest")
        return self


class StepDown(Record):
    """A zone steps down after days without a new infection (and maybe a negative round)."""

    from_level: ZoneLevel
    to_level: StepTarget
    only_if_formerly: ZoneLevel | None = None
    days_without_new_infection: PositiveInt
    negative_full_round_on_day: PositiveInt | None = None

    @model_validator(mode="after")
    def _downwards(self) -> StepDown:
        if ZONE_RANK[self.to_level] >= ZONE_RANK[self.from_level]:
            raise rule_error("to_level", f"{self.to_level!r} is not below {self.from_level!r}")
        if (
            self.negative_full_round_on_day is not None
            and self.negative_full_round_on_day > self.days_without_new_infection
        ):
            raise rule_error(
                "negative_full_round_on_day",
                f"day {self.negative_full_round_on_day} is after the "
                f"{self.days_without_new_infection} days",
            )
        if (
            self.only_if_formerly is not None
            and ZONE_RANK[self.only_if_formerly] <= ZONE_RANK[self.from_level]
        ):
            raise rule_error(
                "only_if_formerly", f"{self.only_if_formerly!r} is not above {self.from_level!r}"
            )
        return self


class Zoning(Strict):
    """Risk-zone levels, the unit of a high-risk zone and the step-down rules."""

    levels: dict[ZoneLevel, ZoneLevelRule] = Field(min_length=1)
    high_risk_unit: HighRiskUnit
    step_down: dict[str, StepDown]

    @model_validator(mode="after")
    def _levels_exist(self) -> Zoning:
        if "high" not in self.levels:
            raise rule_error("levels.high", "the high-risk level is required")
        for name, rule in self.step_down.items():
            for field in ("from_level", "to_level", "only_if_formerly"):
                level = getattr(rule, field)
                if level not in (None, "lifted") and level not in self.levels:
                    raise rule_error(
                        f"step_down.{name}.{field}", f"{level!r} is not a level of this preset"
                    )
        stepped = {rule.from_level for rule in self.step_down.values()}
        for level in self.levels:
            if level != "low" and level not in stepped:
                raise rule_error(
                    f"levels.{level}", "no step_down rule ends this level; every zone needs an end"
                )
        return self


# ------------------------------------------------------------------------------ testing


class AreaTesting(Record):
    """How fast a defined area must be tested in full."""

    within_hours: PositiveInt


class Pooling(Record):
    """Validated pool sizes (swabs per tube)."""

    pool_sizes: list[PositiveInt] = Field(min_length=1)
    repool_in_lab: bool

    @model_validator(mode="after")
    def _ascending(self) -> Pooling:
        for i in range(1, len(self.pool_sizes)):
            if self.pool_sizes[i] <= self.pool_sizes[i - 1]:
                raise rule_error(f"pool_sizes[{i}]", "pool sizes must be ascending and distinct")
        return self


class PositivePool(Record):
    """What follows a positive pooled tube."""

    isolate_members: bool
    retest: Literal["single_tube"]


class MassTesting(Record):
    """Whole-population rounds, or targeted testing."""

    whole_population: bool
    targets: dict[str, str] = {}
    initial_rounds_at_least: PositiveInt | None = None
    daily_in_affected_areas: bool = False
    stop_after_clean_rounds: PositiveInt | None = None

    @model_validator(mode="after")
    def _targets_when_targeted(self) -> MassTesting:
        if not self.whole_population and not self.targets:
            raise rule_error("targets", "required when whole_population = false")
        return self


class Testing(Strict):
    """Mass testing: turnaround, pooling, positive pools, rounds."""

    area_testing: AreaTesting
    pooling: Pooling
    positive_pool: PositivePool
    mass_testing: MassTesting


# ------------------------------------------------------------------------------ facilities


class Rooms(Record):
    """The rooms and areas of a quarantine facility."""

    single_with_own_bathroom: bool
    other_rooms: dict[str, str] = {}
    areas: dict[str, str] = {}


class RoomReserve(Record):
    """The reserve of quarantine rooms a city keeps."""

    rooms_per_10k_residents: PositiveInt


class Facilities(Strict):
    """Quarantine facilities."""

    rooms: Rooms
    reserve: RoomReserve


# ------------------------------------------------------------------------------ vaccination


class Vaccine(Record):
    """The vaccine platform the schedule is for."""

    platform: str = Field(min_length=1)


class PrimarySeries(Record):
    """The primary series: doses and the interval between them."""

    doses: PositiveInt
    min_interval_days: PositiveInt
    max_interval_days: PositiveInt

    @model_validator(mode="after")
    def _interval(self) -> PrimarySeries:
        if self.max_interval_days < self.min_interval_days:
            raise rule_error("max_interval_days", "is below min_interval_days")
        return self


class Booster(Record):
    """A booster dose: offered or, explicitly, not."""

    offered: bool
    min_age: int | None = Field(default=None, ge=0, le=120)
    eligible_groups: dict[str, str] = {}
    after: Literal["primary_series", "first_booster"] | None = None
    min_months_after: PositiveInt | None = None

    @model_validator(mode="after")
    def _complete_or_absent(self) -> Booster:
        if self.offered:
            for name in ("after", "min_months_after"):
                if getattr(self, name) is None:
                    raise rule_error(name, "required when offered = true")
        else:
            for name in ("min_age", "after", "min_months_after"):
                if getattr(self, name) is not None:
                    raise rule_error(name, "must be left out when offered = false")
            if self.eligible_groups:
                raise rule_error("eligible_groups", "must be left out when offered = false")
        return self


class Contraindications(Record):
    """Who must not be vaccinated, and who must wait."""

    contraindications: dict[str, str] = Field(min_length=1)
    deferrals: dict[str, str] = {}


class Vaccination(Strict):
    """The vaccination schedule."""

    vaccine: Vaccine
    primary_series: PrimarySeries
    first_booster: Booster
    second_booster: Booster
    contraindications: Contraindications

    @model_validator(mode="after")
    def _boosters_in_order(self) -> Vaccination:
        if self.first_booster.offered and self.first_booster.after != "primary_series":
            raise rule_error("first_booster.after", "the first booster follows the primary series")
        if self.second_booster.offered:
            if not self.first_booster.offered:
                raise rule_error("second_booster.offered", "no first booster is offered")
            if self.second_booster.after != "first_booster":
                raise rule_error("second_booster.after", "the second booster follows the first")
        return self


# ------------------------------------------------------------------------------ preset


def iter_records(value: Any, path: tuple[str | int, ...] = ()) -> Iterator[
    tuple[tuple[str | int, ...], Record]
]:
    """Every record below a value, with its location (section first)."""
    if isinstance(value, Record):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from iter_records(getattr(value, name), (*path, name))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from iter_records(item, (*path, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from iter_records(item, (*path, i))


def format_path(parts: tuple[str | int, ...] | list[str | int]) -> str:
    """A location as written in messages: `quarantine.categories.x.stages[0].days`."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


class Preset(Strict):
    """One protocol preset: metadata, its sources and the rules of every domain."""

    name: str = Field(description="The file name without .toml")
    file: str = Field(description="The file the preset was read from")
    shipped: bool = Field(description="Shipped with Epidesk, not a user file")
    format: Literal[1]
    title: str = Field(min_length=1)
    date: dt.date
    summary: str = Field(min_length=1)
    extends: str | None = None
    sources: dict[str, str] = Field(min_length=1)
    cases: Cases
    contacts: Contacts
    quarantine: Quarantine
    zoning: Zoning
    testing: Testing
    facilities: Facilities
    vaccination: Vaccination

    @model_validator(mode="after")
    def _consistent(self) -> Preset:
        for path, record in iter_records(self):
            if record.source != PLATFORM_DEFAULT and record.source not in self.sources:
                raise rule_error(
                    format_path((*path, "source")),
                    f"{record.source!r} is not a key of [sources] (nor {PLATFORM_DEFAULT!r})",
                )
        sub_close = self.quarantine.categories["sub_close_contact"]
        if sub_close.applies != self.contacts.sub_close.identified:
            raise rule_error(
                "quarantine.categories.sub_close_contact.applies",
                f"is {str(sub_close.applies).lower()} but contacts.sub_close.identified is "
                f"{str(self.contacts.sub_close.identified).lower()}",
            )
        for category, level in (
            ("visited_high_risk_area", "high"),
            ("visited_medium_risk_area", "medium"),
            ("low_risk_area", "low"),
        ):
            if self.quarantine.categories[category].applies and level not in self.zoning.levels:
                raise rule_error(
                    f"quarantine.categories.{category}.applies",
                    f"the preset has no {level}-risk level",
                )
        return self

    def unconfirmed(self) -> list[str]:
        """The locations of every record still to be checked against the original text."""
        return [format_path(path) for path, record in iter_records(self) if not record.confirmed]

    def source_text(self, key: str) -> str:
        """The full name of a source key."""
        if key == PLATFORM_DEFAULT:
            return "Epidesk default: not taken from an official text"
        return self.sources.get(key, key)


# ------------------------------------------------------------------------------ API shapes


class PresetSummary(BaseModel):
    """A preset file as listed: its metadata, or the error that keeps it from loading."""

    name: str
    file: str
    shipped: bool
    title: str | None = None
    date: dt.date | None = None
    extends: str | None = None
    unconfirmed: int | None = Field(default=None, description="Records still to be checked")
    error: str | None = Field(default=None, description="Why the file does not load")


class PresetDetail(BaseModel):
    """A preset with every value and the locations of its unconfirmed records."""

    unconfirmed: list[str]
    preset: Preset


class DifferenceOut(BaseModel):
    """One location whose value differs between two presets."""

    path: str
    a: Any = Field(description="The value in the first preset (null when absent)")
    b: Any = Field(description="The value in the second preset (null when absent)")
    in_a: bool
    in_b: bool


class PresetDiff(BaseModel):
    """The values that differ between two presets, location by location."""

    a: str
    b: str
    differences: list[DifferenceOut]
