"""The shape of a product file (`products/<key>.toml`) and of the reasons file."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Series = Literal["primary", "first_booster", "second_booster"]
Platform = Literal["inactivated"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DoseRule(_Strict):
    """One dose of a schedule: who may have it, and how long after the dose before it."""

    number: int = Field(ge=1, le=9)
    series: Series
    min_age: int = Field(ge=0, le=120)
    # Offered from this age to everyone, and from `min_age` to high-risk groups only.
    min_age_or_high_risk: int | None = Field(default=None, ge=0, le=120)
    # Days after the previous dose (none for the first dose).
    min_interval_days: int | None = Field(default=None, ge=1, le=3650)
    # The latest day the schedule asks for; a later dose is still given (no restart).
    max_interval_days: int | None = Field(default=None, ge=1, le=3650)
    note: str = ""

    @model_validator(mode="after")
    def _intervals(self) -> DoseRule:
        if self.number == 1 and self.min_interval_days is not None:
            raise ValueError("the first dose has no interval")
        if self.number > 1 and self.min_interval_days is None:
            raise ValueError(f"dose {self.number} needs min_interval_days")
        if (self.max_interval_days is not None and self.min_interval_days is not None
                and self.max_interval_days < self.min_interval_days):
            raise ValueError("max_interval_days is before min_interval_days")
        if self.min_age_or_high_risk is not None and self.min_age_or_high_risk < self.min_age:
            raise ValueError("min_age_or_high_risk is below min_age")
        return self


class Product(_Strict):
    """A vaccine product and its schedule."""

    format: Literal[1]
    key: str  # the file name without .toml
    name: str
    name_local: str
    manufacturer: str
    dcc_product: str
    dcc_manufacturer: str
    dcc_type: str
    platform: Platform
    source: str
    doses: tuple[DoseRule, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _numbered(self) -> Product:
        numbers = [d.number for d in self.doses]
        if numbers != list(range(1, len(numbers) + 1)):
            raise ValueError(f"doses must be numbered 1, 2, ... in order (found {numbers})")
        return self

    def dose(self, number: int) -> DoseRule | None:
        """The rule of dose `number`, or None past the schedule."""
        return self.doses[number - 1] if 1 <= number <= len(self.doses) else None

    @property
    def primary_doses(self) -> int:
        """How many doses the primary series has."""
        return sum(1 for d in self.doses if d.series == "primary")


class Reasons(_Strict):
    """The kinds of contraindication and deferral a vaccinator may record."""

    format: Literal[1]
    source: str
    contraindications: dict[str, str] = Field(min_length=1)
    deferrals: dict[str, str] = Field(min_length=1)

    @model_validator(mode="after")
    def _distinct(self) -> Reasons:
        both = set(self.contraindications) & set(self.deferrals)
        if both:
            raise ValueError(f"kinds listed as both: {sorted(both)}")
        return self

    def kinds(self) -> dict[str, str]:
        """Every kind, contraindications first."""
        return {**self.contraindications, **self.deferrals}
