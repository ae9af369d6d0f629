"""The preset tables for areas and the population: zones, testing, facilities, vaccination."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from epidesk.policy.record.schemas import PLATFORM_DEFAULT, Record, Strict, rule_error

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


def _unit_rank(unit: str) -> int:
    return AREA_UNIT_ORDER.index(unit)


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


class ZoneDrawing(Record):
    """How zones are drawn: the unit of a case's residence zone, the level of the places a
    case stayed, the area of the low-risk level, and the share a full testing round needs."""

    granularity: AreaUnit
    places_level: ZoneLevel | None = None
    low_area: AreaUnit | None = None
    round_share: float = Field(default=0.9, gt=0, le=1)


class Zoning(Strict):
    """Risk-zone levels, the unit of a high-risk zone and the step-down rules."""

    levels: dict[ZoneLevel, ZoneLevelRule] = Field(min_length=1)
    high_risk_unit: HighRiskUnit
    step_down: dict[str, StepDown]
    drawing: ZoneDrawing | None = None

    def drawn(self) -> ZoneDrawing:
        """The drawing rules; without a [zoning.drawing] table, the smallest allowed unit."""
        if self.drawing is not None:
            return self.drawing
        smallest = min(self.high_risk_unit.units, key=_unit_rank)
        return ZoneDrawing(granularity=smallest, source=PLATFORM_DEFAULT, confirmed=False)

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
        if self.drawing is not None:
            if not self.high_risk_unit.allows(self.drawing.granularity):
                raise rule_error("drawing.granularity",
                                 f"{self.drawing.granularity!r} is not a unit high_risk_unit "
                                 "allows")
            for field in ("places_level",):
                level = getattr(self.drawing, field)
                if level is not None and level not in self.levels:
                    raise rule_error(f"drawing.{field}",
                                     f"{level!r} is not a level of this preset")
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
