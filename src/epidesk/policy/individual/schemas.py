"""The preset tables for individual people: cases, close and sub-close contacts, quarantine.

Quarantine day n is the n-th day after the last exposure; a stage's `test_days` count
from the first day of that stage.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, PositiveInt, model_validator

from epidesk.kit import i18n
from epidesk.kit.i18n import _l
from epidesk.policy.record.schemas import NAME_PATTERN, Record, Strict, rule_error

Place = Literal["centralized", "home", "home_health_monitoring"]
PLACE_LABELS: Mapping[str, Any] = i18n.register_labels("place", {
    "centralized": _l("centralized quarantine"),
    "home": _l("home quarantine"),
    "home_health_monitoring": _l("home health monitoring"),
})

STANDARD_CATEGORIES: tuple[str, ...] = (
    "close_contact",
    "sub_close_contact",
    "visited_high_risk_area",
    "visited_medium_risk_area",
    "low_risk_area",
)


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
