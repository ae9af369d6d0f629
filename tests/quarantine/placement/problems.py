"""Small placement problems for the tests: written by hand, or drawn by Hypothesis."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from epidesk.quarantine.placement.rules import ISOLATION, QUARANTINE, Problem


def problem(people: list[dict[str, Any]], households: list[dict[str, Any]],
            facilities: list[dict[str, Any]], rooms: list[dict[str, Any]],
            district_city: list[int], travel: list[list[float]]) -> Problem:
    """A problem from lists of plain records (flags default to False)."""

    def col(rows: list[dict[str, Any]], key: str, default: Any = False,
            dtype: Any = bool) -> np.ndarray:
        return np.array([r.get(key, default) for r in rows], dtype=dtype)

    return Problem(
        person_household=col(people, "household", 0, np.int64),
        person_ordered=col(people, "ordered", True),
        person_needs_accessible=col(people, "accessible"),
        person_needs_medical=col(people, "medical"),
        person_infant=col(people, "infant"),
        person_dependent=col(people, "dependent"),
        person_can_care=col(people, "can_care", True),
        household_district=col(households, "district", 0, np.int64),
        household_takes=col(households, "takes", QUARANTINE, np.int64),
        district_city=np.array(district_city, dtype=np.int64),
        facility_city=col(facilities, "city", 0, np.int64),
        facility_medical=col(facilities, "medical"),
        facility_eligible=col(facilities, "eligible", True),
        facility_takes=col(facilities, "takes", QUARANTINE, np.int64),
        travel=np.array(travel, dtype=np.float64).reshape(len(district_city), len(facilities)),
        room_facility=col(rooms, "facility", 0, np.int64),
        room_beds=col(rooms, "beds", 1, np.int64),
        room_accessible=col(rooms, "accessible"),
        room_infant=col(rooms, "infant"),
        room_carer=col(rooms, "carer"),
    )


@st.composite
def problems(draw: st.DrawFn, max_households: int = 12, max_rooms: int = 16) -> Problem:
    """A random problem: a few districts, facilities and rooms, households with needs."""
    n_districts = draw(st.integers(1, 3))
    n_fac = draw(st.integers(1, 4))
    n_house = draw(st.integers(1, max_households))
    flag = st.booleans()
    rare = st.sampled_from([False, False, False, True])
    people: list[dict[str, Any]] = []
    for h in range(n_house):
        for _ in range(draw(st.integers(1, 4))):
            dependent = draw(rare)
            infant = not dependent and draw(rare)
            people.append({"household": h, "ordered": draw(st.sampled_from([True] * 4 + [False])),
                           "accessible": draw(rare), "medical": draw(rare),
                           "infant": infant, "dependent": dependent,
                           "can_care": not dependent and not infant and draw(flag)})
    households = [{"district": draw(st.integers(0, n_districts - 1)),
                   "takes": draw(st.sampled_from([QUARANTINE] * 3 + [ISOLATION]))}
                  for _ in range(n_house)]
    facilities = [{"city": draw(st.integers(0, 1)), "medical": draw(flag),
                   "eligible": draw(st.sampled_from([True, True, True, False])),
                   "takes": draw(st.sampled_from([QUARANTINE, QUARANTINE, ISOLATION]))}
                  for _ in range(n_fac)]
    rooms = [{"facility": draw(st.integers(0, n_fac - 1)), "beds": draw(st.integers(1, 5)),
              "accessible": draw(rare), "infant": draw(flag), "carer": draw(flag)}
             for _ in range(draw(st.integers(0, max_rooms)))]
    district_city = [draw(st.integers(0, 1)) for _ in range(n_districts)]
    travel = [[draw(st.integers(5, 120)) for _ in range(n_fac)] for _ in range(n_districts)]
    return problem(people, households, facilities, rooms, district_city, travel)
