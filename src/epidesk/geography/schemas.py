"""API output of the geography domain: places, their paths up the tree, and summaries."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from epidesk.errors import problem_responses

PlaceKind = Literal["city", "district", "subdistrict", "community", "building", "unit"]
Point = tuple[float, float]


class Schema(BaseModel):
    """Base of the domain's output models: read from attributes, never extended."""

    model_config = ConfigDict(from_attributes=True, extra="forbid")


class PlaceRef(Schema):
    """A place named by kind and id, as a link target and a step in a path."""

    kind: PlaceKind
    id: int
    code: str | None = None
    name: str
    name_local: str


class CityOut(Schema):
    """The home city or a neighbouring city."""

    id: int
    code: str
    name: str
    name_local: str
    kind: str
    population: int
    distance_km: float
    centroid_lat: float
    centroid_lon: float


class DistrictSummary(Schema):
    """A district with its population and how many subdistricts and communities it has."""

    id: int
    code: str
    name: str
    name_local: str
    population: int
    subdistricts: int
    communities: int


class CityOverview(Schema):
    """The home city, its districts and the neighbouring cities."""

    city: CityOut
    districts: list[DistrictSummary]
    neighbours: list[CityOut]


class SubdistrictSummary(Schema):
    """A subdistrict with its population and number of communities."""

    id: int
    code: str
    name: str
    name_local: str
    population: int
    communities: int


class DistrictDetail(Schema):
    """A district and its subdistricts."""

    id: int
    code: str
    name: str
    name_local: str
    population: int
    centroid_lat: float
    centroid_lon: float
    path: list[PlaceRef] = Field(description="Places above this one, city first")
    subdistricts: list[SubdistrictSummary]


class CommunitySummary(Schema):
    """A community with its population and number of buildings."""

    id: int
    code: str
    name: str
    name_local: str
    population: int
    buildings: int


class SubdistrictDetail(Schema):
    """A subdistrict and its communities."""

    id: int
    code: str
    name: str
    name_local: str
    population: int
    centroid_lat: float
    centroid_lon: float
    path: list[PlaceRef]
    communities: list[CommunitySummary]


class BuildingSummary(Schema):
    """A building of a community: its shape, units and flats."""

    id: int
    number: int
    floors: int
    units: int
    flats: int
    centroid_lat: float
    centroid_lon: float
    polygon: list[Point] = Field(description="Closed ring of [lon, lat] points")


class CommunityDetail(Schema):
    """A community: its outline and its buildings."""

    id: int
    code: str
    name: str
    name_local: str
    population: int
    centroid_lat: float
    centroid_lon: float
    polygon: list[Point] = Field(description="Closed ring of [lon, lat] points")
    path: list[PlaceRef]
    buildings: list[BuildingSummary]


class FlatOut(Schema):
    """One address (flat) of a unit."""

    id: int
    floor: int
    door: int
    flat: str


class UnitOut(Schema):
    """A unit (stairwell entrance) of a building with its flats."""

    id: int
    number: int
    flats: list[FlatOut]


class BuildingDetail(Schema):
    """A building, its units and their flats."""

    id: int
    number: int
    name: str
    name_local: str
    floors: int
    centroid_lat: float
    centroid_lon: float
    polygon: list[Point]
    path: list[PlaceRef]
    units: list[UnitOut]


class AddressOut(Schema):
    """A household address with every place above it, city first."""

    id: int
    floor: int
    door: int
    flat: str
    label: str = Field(description="One line, largest place last")
    label_local: str = Field(description="One line as written locally, largest place first")
    path: list[PlaceRef] = Field(description="City, district, ..., building, unit")


PROBLEM_RESPONSES = problem_responses(
    (401, "Not signed in: sign in, or send a bearer token"),
    (403, "Not allowed: the caller lacks the permission"),
    (404, "Not found, or outside the caller's area"),
    (422, "Invalid input"),
)
