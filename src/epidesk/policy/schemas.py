"""The protocol-preset schema: the whole preset document, and the API shapes.

The tables of a preset file live beside it, and every name is importable from here:
`record.schemas` (provenance, shared by every table), `individual.schemas` (cases,
contacts, quarantine) and `population.schemas` (zoning, testing, facilities,
vaccination).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from epidesk.policy.individual.schemas import (
    PLACE_LABELS,
    STANDARD_CATEGORIES,
    CaseDefinition,
    CaseRelease,
    Cases,
    CloseContactSettings,
    CloseContactWindow,
    Contacts,
    Isolation,
    Place,
    Positivity,
    Quarantine,
    QuarantineCategory,
    QuarantineForms,
    Reporting,
    RepositiveWindow,
    Stage,
    SubCloseContacts,
    SubCloseRelease,
    TestsWithin,
    VenueCoVisit,
)
from epidesk.policy.population.schemas import (
    AREA_UNIT_ORDER,
    ZONE_RANK,
    AreaTesting,
    AreaUnit,
    Booster,
    Contraindications,
    Facilities,
    HighRiskUnit,
    MassTesting,
    Pooling,
    PositivePool,
    PrimarySeries,
    RoomReserve,
    Rooms,
    StepDown,
    StepTarget,
    Testing,
    Vaccination,
    Vaccine,
    ZoneDrawing,
    ZoneLevel,
    ZoneLevelRule,
    Zoning,
)
from epidesk.policy.record.schemas import (
    NAME_PATTERN,
    PLATFORM_DEFAULT,
    PROVENANCE_FIELDS,
    RESERVED_NAMES,
    Record,
    Strict,
    format_path,
    iter_records,
    rule_error,
)

__all__ = [  # every name of the preset schema, wherever it is defined
    "AREA_UNIT_ORDER",
    "NAME_PATTERN",
    "PLACE_LABELS",
    "PLATFORM_DEFAULT",
    "PROVENANCE_FIELDS",
    "RESERVED_NAMES",
    "SECTIONS",
    "STANDARD_CATEGORIES",
    "ZONE_RANK",
    "AreaTesting",
    "AreaUnit",
    "Booster",
    "CaseDefinition",
    "CaseRelease",
    "Cases",
    "CloseContactSettings",
    "CloseContactWindow",
    "Contacts",
    "Contraindications",
    "DifferenceOut",
    "Facilities",
    "HighRiskUnit",
    "Isolation",
    "MassTesting",
    "Place",
    "Pooling",
    "PositivePool",
    "Positivity",
    "Preset",
    "PresetDetail",
    "PresetDiff",
    "PresetSummary",
    "PrimarySeries",
    "Quarantine",
    "QuarantineCategory",
    "QuarantineForms",
    "Record",
    "Reporting",
    "RepositiveWindow",
    "RoomReserve",
    "Rooms",
    "Stage",
    "StepDown",
    "StepTarget",
    "Strict",
    "SubCloseContacts",
    "SubCloseRelease",
    "Testing",
    "TestsWithin",
    "Vaccination",
    "Vaccine",
    "VenueCoVisit",
    "ZoneDrawing",
    "ZoneLevel",
    "ZoneLevelRule",
    "Zoning",
    "format_path",
    "iter_records",
    "rule_error",
]

SECTIONS = ("cases", "contacts", "quarantine", "zoning", "testing", "facilities", "vaccination")


# ------------------------------------------------------------------------------ preset


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
