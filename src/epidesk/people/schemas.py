"""API output of the people domain: residents, households and the places they live in."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field

from epidesk.geography.schemas import (
    AddressOut,
    BuildingDetail,
    CommunityDetail,
    PlaceRef,
    Schema,
)
from epidesk.kit.inputs import Day, OptionalId, RecordId
from epidesk.people.rules import DEFAULT_LIMIT as DEFAULT_LIMIT
from epidesk.people.rules import MAX_LIMIT as MAX_LIMIT
from epidesk.people.rules import MAX_OFFSET as MAX_OFFSET
from epidesk.people.rules import Flag, SearchMode


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
    id_type: str = Field(description="id_card, passport, travel_permit or other")
    id_type_label: str
    id_number: str | None = Field(description="Null for a newborn or a traveller without one")
    registration_kind: str | None = Field(
        description="traveller, migrant_worker, newborn or other for a person registered "
                    "by staff; null for the resident register's own records")
    registration: str = Field(description="How the person came on record, in words")
    registration_source: str | None
    registered_by: str | None
    registered_at: datetime | None
    merged_into_id: int | None = Field(
        description="Set when this record was merged into another: read that one instead")
    merged_from: list[int] = Field(default_factory=list,
                                   description="Records merged into this one")
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


class DuplicatePair(Schema):
    """Two live records that look like one person, and why."""

    first: PersonSummary
    second: PersonSummary
    reasons: list[str] = Field(description="same_id_number, same_name_birth_date_address, "
                                           "same_name_birth_date_phone")
    reason_labels: list[str] = Field(description="The reasons in words")


class DuplicatePage(Schema):
    """One page of likely duplicates inside the reader's area, lowest ids first."""

    total: int
    limit: int
    offset: int
    items: list[DuplicatePair]


class MergeIn(Schema):
    """Merge another record into this one."""

    other_id: RecordId = Field(description="The record that goes")
    reason: str = Field(min_length=1, max_length=2000,
                        description="Why the two records are one person")


class MergeOut(Schema):
    """A merge: who merged what, when and why, and what each domain moved."""

    id: int
    survivor_id: int
    merged_id: int
    merged_at: datetime
    merged_by: str
    reason: str
    outcome: list[str] = Field(description="What moved and how conflicts were settled")


class MoveIn(Schema):
    """A move of a person to another household."""

    household_id: RecordId
    moved_on: Day = Field(description="The first day in the new household")


class StayOut(Schema):
    """A household membership as recorded."""

    resident_id: int
    household_id: int
    start_date: date
    end_date: date | None


class RegistrationIn(Schema):
    """A person who is not in the resident register, and the household they join."""

    kind: Literal["traveller", "migrant_worker", "newborn", "other"]
    name: str = Field(min_length=1, max_length=32, description="汉字, or as on the document")
    name_latin: str = Field(min_length=1, max_length=64)
    sex: Literal["F", "M"]
    birth_date: Day
    id_type: Literal["id_card", "passport", "travel_permit", "other"] = "id_card"
    id_number: str | None = Field(default=None, max_length=40,
                                  description="Optional for newborns, travellers and others")
    phone: str | None = Field(default=None, max_length=20)
    has_smartphone: bool = False
    source: str = Field(min_length=1, max_length=64,
                        description="Where the person was registered")
    household_id: OptionalId = Field(default=None, description="An existing household")
    address_id: OptionalId = Field(default=None,
                                   description="Or an address for a new household")
    home_suitable: bool = Field(default=False,
                                description="A new household's home allows home quarantine")
    member_from: Day = Field(description="The first day in the household")
