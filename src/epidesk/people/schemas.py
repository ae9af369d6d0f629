"""API output of the people domain: residents, households and the places they live in."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import Field

from epidesk.geography.schemas import (
    AddressOut,
    BuildingDetail,
    CommunityDetail,
    PlaceRef,
    Schema,
)
from epidesk.people.rules import Flag, SearchMode

MAX_LIMIT = 100
DEFAULT_LIMIT = 25
# Paging deeper than this is no way to find a person: staff refine the query instead,
# and the database never walks far down an index of ten million names.
MAX_OFFSET = 1000


class PersonSummary(Schema):
    """A resident as listed in search results and among household members."""

    id: int
    name: str
    name_latin: str
    sex: str
    age: int
    community: PlaceRef
    household_id: int
    flags: list[Flag]


class PersonSearch(Schema):
    """One page of search results; `has_more` tells whether a next page exists."""

    query: str
    mode: SearchMode | None = Field(description="How the query was read; null when empty")
    limit: int
    offset: int
    has_more: bool
    items: list[PersonSummary]


class HouseholdStayOut(Schema):
    """A resident's membership of a household: where they lived, and when."""

    household_id: int
    address: str = Field(description="The household's address on one line")
    start_date: date
    end_date: date | None = Field(description="The last day lived there; null while current")


class WorkGroupOut(Schema):
    """A resident's membership of a work group."""

    work_group_id: int
    work_group: str
    workplace_id: int
    workplace: str
    workplace_kind: str
    start_date: date
    end_date: date | None


class SchoolClassOut(Schema):
    """A resident's membership of a school class, as pupil or teacher."""

    school_class_id: int
    school_class: str
    grade: int
    school_id: int
    school: str
    school_kind: str
    role: str
    start_date: date
    end_date: date | None


class PanelOut(Schema):
    """One domain's part of a person's record."""

    key: str = Field(description="The domain, e.g. testing, cases, tracing")
    title: str
    data: dict[str, Any]


class PersonDetail(Schema):
    """A resident with personal data, household, address and memberships."""

    id: int
    id_number: str
    name: str
    name_latin: str
    sex: str
    birth_date: date
    age: int
    phone: str | None
    has_smartphone: bool
    pregnant: bool
    disability: bool
    chronic_medication: bool
    language: str = Field(description="The language of the resident's letters: zh or en")
    flags: list[Flag]
    household_id: int
    home_suitable: bool = Field(description="The home allows home quarantine")
    address: AddressOut
    household_members: list[PersonSummary] = Field(description="Everyone else in the household")
    households: list[HouseholdStayOut] = Field(description="Household history, newest first")
    work_groups: list[WorkGroupOut]
    school_classes: list[SchoolClassOut]
    panels: list[PanelOut] = Field(
        default_factory=list,
        description="What other domains hold about the resident (testing, cases, contacts, "
                    "...), as far as the caller may see it")


class HouseholdDetail(Schema):
    """A household: its address, members and needs."""

    id: int
    home_suitable: bool = Field(description="The home allows home quarantine")
    address: AddressOut
    flags: list[Flag]
    members: list[PersonSummary]


class HouseholdBrief(Schema):
    """A household as listed on its building's page."""

    id: int
    address_id: int
    members: int
    home_suitable: bool
    flags: list[Flag]


class BuildingHouseholds(Schema):
    """A building with the households that live in each of its flats."""

    building: BuildingDetail
    households: list[HouseholdBrief]


class PlaceOut(Schema):
    """A venue, workplace or school of a community."""

    id: int
    name: str
    kind: str
    lat: float
    lon: float


class VenueOut(PlaceOut):
    """A venue, and whether its indoor space is enclosed."""

    enclosed: bool


class CommunityOverview(Schema):
    """A community with its households per building and the places people gather."""

    community: CommunityDetail
    households_by_building: dict[int, int] = Field(description="Building id -> households")
    venues: list[VenueOut]
    workplaces: list[PlaceOut]
    schools: list[PlaceOut]
