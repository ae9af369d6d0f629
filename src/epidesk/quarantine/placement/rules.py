"""The placement problem as plain arrays, its weights, the households' profiles and the
reasons someone cannot be placed. Pure: no session, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from epidesk.kit.i18n import _l, register_labels

IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]
FloatArray = NDArray[np.float64]

# Who a facility takes (bit mask): contacts and visitors in quarantine, or cases in
# isolation. Cases and contacts never share a facility.
QUARANTINE, ISOLATION = 1, 2

# Why a household could not be placed, in the order they are tested.
NO_CARER = "no_carer"
NO_ELIGIBLE_FACILITY = "no_eligible_facility"
NO_ROOM_LARGE_ENOUGH = "no_room_large_enough"
NO_ACCESSIBLE_ROOM = "no_accessible_room"
NO_MEDICAL_STAFF = "no_medical_staff"
NO_INFANT_ROOM = "no_infant_room"
NO_CARER_ROOM = "no_carer_room"
NO_FREE_ROOM = "no_free_room"
REASONS: tuple[str, ...] = (NO_CARER, NO_ELIGIBLE_FACILITY, NO_ROOM_LARGE_ENOUGH,
                            NO_ACCESSIBLE_ROOM, NO_MEDICAL_STAFF, NO_INFANT_ROOM,
                            NO_CARER_ROOM, NO_FREE_ROOM)
register_labels("placement_reason", {
    NO_CARER: _l("a dependent person needs a carer and nobody in the household can go along"),
    NO_ELIGIBLE_FACILITY: _l("no eligible facility takes this kind of order"),
    NO_ROOM_LARGE_ENOUGH: _l("no eligible room has enough beds for the household"),
    NO_ACCESSIBLE_ROOM: _l("no eligible accessible room is large enough"),
    NO_MEDICAL_STAFF: _l("no eligible facility with medical staff has a suitable room"),
    NO_INFANT_ROOM: _l("no eligible room suitable for an infant"),
    NO_CARER_ROOM: _l("no eligible room suitable for a carer"),
    NO_FREE_ROOM: _l("every suitable room is taken"),
})


@dataclass(frozen=True)
class Weights:
    """What a placement costs: minutes of travel, a penalty for leaving the home city, a
    little for each empty bed (big rooms are kept for big households) and a large cost
    for each person left unplaced."""

    city_penalty: float = 60.0
    spare_bed: float = 1.0
    unplaced_person: float = 10_000.0


@dataclass(frozen=True)
class Problem:
    """People, households, districts, facilities and rooms, as arrays indexed from 0.

    Persons are everyone under a centralized order plus the members of their households
    without one (possible carers). `travel[d, f]` is the minutes from district d to
    facility f."""

    person_household: IntArray
    person_ordered: BoolArray
    person_needs_accessible: BoolArray
    person_needs_medical: BoolArray
    person_infant: BoolArray
    person_dependent: BoolArray  # an infant, a child or a dependent elderly person
    person_can_care: BoolArray
    household_district: IntArray
    household_takes: IntArray  # QUARANTINE or ISOLATION
    district_city: IntArray
    facility_city: IntArray
    facility_medical: BoolArray
    facility_eligible: BoolArray
    facility_takes: IntArray  # bit mask of QUARANTINE and ISOLATION
    travel: FloatArray
    room_facility: IntArray
    room_beds: IntArray
    room_accessible: BoolArray
    room_infant: BoolArray
    room_carer: BoolArray

    @property
    def households(self) -> int:
        return len(self.household_district)

    @property
    def rooms(self) -> int:
        return len(self.room_facility)

    @property
    def people(self) -> int:
        """The people under a centralized order."""
        return int(self.person_ordered.sum())


@dataclass(frozen=True)
class Profiles:
    """What each household needs: people under an order, occupants (with a carer who goes
    along), its needs, the carer chosen, and whether it can be placed at all."""

    ordered: IntArray
    occupants: IntArray
    accessible: BoolArray
    medical: BoolArray
    infant: BoolArray
    needs_carer: BoolArray  # a dependant is among the ordered: the room must suit a carer
    carer_person: IntArray  # the member without an order who goes along, else -1
    active: BoolArray  # has someone under an order and a carer when one is needed


@dataclass
class Placement:
    """Rooms per household and per person (-1: none), the households not placed with
    their reason, the objective and how the solver got there."""

    household_room: IntArray
    person_room: IntArray
    unplaced: dict[int, str]
    cost: float
    stats: dict[str, Any] = field(default_factory=dict)
    pool_multiplier: FloatArray | None = None  # per room: its pool's capacity price
    room_pool: IntArray | None = None


def household_profiles(problem: Problem) -> Profiles:
    """Each household's ordered members, occupants and needs, and its carer."""
    h = problem.households
    hh = problem.person_household
    ordered = problem.person_ordered

    def any_of(flags: BoolArray) -> BoolArray:
        return np.bincount(hh, weights=(flags & ordered), minlength=h) > 0

    n_ordered = np.bincount(hh, weights=ordered, minlength=h).astype(np.int64)
    dependent = any_of(problem.person_dependent | problem.person_infant)
    able = problem.person_can_care & ~problem.person_dependent & ~problem.person_infant
    ordered_carer = any_of(able)
    # A member without an order who can care: the first of the household.
    free = ~ordered & able
    carer_person = np.full(h, -1, dtype=np.int64)
    idx = np.flatnonzero(free)[::-1]
    carer_person[hh[idx]] = idx  # written last-first, so the first one stays
    brings_carer = dependent & ~ordered_carer & (carer_person >= 0)
    carer_person = np.where(brings_carer, carer_person, -1)
    active = (n_ordered > 0) & ~(dependent & ~ordered_carer & ~brings_carer)
    return Profiles(
        ordered=n_ordered,
        occupants=n_ordered + brings_carer,
        accessible=any_of(problem.person_needs_accessible),
        medical=any_of(problem.person_needs_medical),
        infant=any_of(problem.person_infant),
        needs_carer=dependent,
        carer_person=carer_person,
        active=active,
    )


def arc_cost(weights: Weights, travel: FloatArray, leaves_city: BoolArray,
             spare_beds: IntArray) -> FloatArray:
    """The cost of one household in one room."""
    cost: FloatArray = travel + weights.city_penalty * leaves_city + weights.spare_bed * spare_beds
    return cost


def placed_cost(problem: Problem, weights: Weights, prof: Profiles,
                household_room: IntArray) -> float:
    """The objective of a placement: each placed household's cost in its room, and the
    unplaced cost of each person of an active household left without one."""
    placed = np.flatnonzero(household_room >= 0)
    rooms = household_room[placed]
    fac = problem.room_facility[rooms]
    districts = problem.household_district[placed]
    cost = arc_cost(weights, problem.travel[districts, fac],
                    problem.district_city[districts] != problem.facility_city[fac],
                    problem.room_beds[rooms] - prof.occupants[placed])
    left = prof.active & (household_room < 0)
    return float(cost.sum()) + weights.unplaced_person * float(prof.ordered[left].sum())


# Who needs a carer and who can be one, by age on the day of the run (years).
INFANT_BELOW = 3
CHILD_BELOW = 14
CARER_FROM = 18
DEPENDENT_ELDERLY_FROM = 80
# Road minutes from a district's centre to a facility: a detour factor on the straight
# line, at an average speed, plus the time to load and leave.
ROAD_MINUTES_PER_KM = 1.5
FIXED_MINUTES = 10.0


def age_on(birth: date, day: date) -> int:
    """Whole years of age on a day."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def travel_minutes(d_lat: FloatArray, d_lon: FloatArray, f_lat: FloatArray,
                   f_lon: FloatArray) -> FloatArray:
    """Road minutes from each district centre (rows) to each facility (columns)."""
    lat1, lon1 = np.radians(d_lat)[:, None], np.radians(d_lon)[:, None]
    lat2, lon2 = np.radians(f_lat)[None, :], np.radians(f_lon)[None, :]
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    km = 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    minutes: FloatArray = km * ROAD_MINUTES_PER_KM + FIXED_MINUTES
    return minutes


def gap(cost: float, bound: float) -> float:
    """How far the cost lies above the lower bound, as a fraction of the bound."""
    if bound <= 0:
        return 0.0 if cost <= 0 else 1.0
    return round(max(0.0, cost / bound - 1.0), 6)


@dataclass(frozen=True)
class ForecastRow:
    """Beds needed against beds available in one city on one day."""

    city_id: int
    day: date
    needed: int
    available: int

    @property
    def shortfall(self) -> int:
        return max(0, self.needed - self.available)


def daily_growth(recent: int, before: int) -> float:
    """The daily growth factor of new cases: this week's count against last week's, as a
    seventh root, held between halving and doubling over the week."""
    ratio = (recent + 1) / (before + 1)
    return float(min(2.0, max(0.5, ratio)) ** (1 / 7))


def forecast(*, days: list[date], cities: list[int], current: dict[tuple[int, date], int],
             new_per_day: dict[int, float], growth: float, stay_days: int,
             available: dict[tuple[int, date], int]) -> list[ForecastRow]:
    """Beds needed per city and day: the people under centralized orders still in force,
    plus new orders at the recent daily rate growing with the case trend, each staying
    `stay_days`."""
    rows = []
    for city in cities:
        for k, day in enumerate(days):
            arriving = sum(new_per_day.get(city, 0.0) * growth ** (j + 1)
                           for j in range(max(0, k - stay_days + 1), k + 1))
            rows.append(ForecastRow(city_id=city, day=day,
                                    needed=current.get((city, day), 0) + round(arriving),
                                    available=available.get((city, day), 0)))
    return rows


register_labels("placement_state", {"proposed": _l("proposed"), "committed": _l("committed"),
                                    "discarded": _l("discarded")})
register_labels("placement_role", {"ordered": _l("under the order"),
                                   "carer": _l("carer without an order")})
