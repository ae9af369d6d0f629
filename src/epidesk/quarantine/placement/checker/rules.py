"""Checks a placement against the problem it answers, from the people and the rooms
alone: it shares no code with the placer (not its profiles, classes or pools), so a
mistake there cannot hide here."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
from numpy.typing import NDArray

from epidesk.quarantine.placement.rules import Problem

FINDINGS = ("split_households", "rooms_over_capacity", "shared_rooms",
            "ineligible_facilities_used", "needs_unmet", "people_neither_placed_nor_listed",
            "carers_without_dependant")


def check(problem: Problem, person_room: NDArray[np.int64],
          listed_households: Iterable[int]) -> dict[str, int]:
    """Counts of every kind of violation; all zero for a good placement."""
    listed = set(int(h) for h in listed_households)
    found = dict.fromkeys(FINDINGS, 0)
    members: dict[int, list[int]] = defaultdict(list)
    for person, household in enumerate(problem.person_household.tolist()):
        members[household].append(person)
    room_of = person_room.tolist()
    occupants: dict[int, list[int]] = defaultdict(list)
    for person, room in enumerate(room_of):
        if room >= 0:
            occupants[room].append(person)

    beds = problem.room_beds.tolist()
    for room, people in occupants.items():
        if len(people) > beds[room]:
            found["rooms_over_capacity"] += 1
        if len({int(problem.person_household[p]) for p in people}) > 1:
            found["shared_rooms"] += 1

    for household, people in members.items():
        ordered = [p for p in people if problem.person_ordered[p]]
        if not ordered:
            if any(room_of[p] >= 0 for p in people):
                found["carers_without_dependant"] += 1
            continue
        rooms = {room_of[p] for p in ordered}
        if len(rooms) > 1:
            found["split_households"] += 1
            continue
        room = rooms.pop()
        if room < 0:
            if household not in listed:
                found["people_neither_placed_nor_listed"] += len(ordered)
            if any(room_of[p] >= 0 for p in people):
                found["carers_without_dependant"] += 1
            continue
        if not _eligible(problem, household, room):
            found["ineligible_facilities_used"] += 1
        if not _needs_met(problem, ordered, [p for p in people if room_of[p] == room], room):
            found["needs_unmet"] += 1
        if any(room_of[p] >= 0 and room_of[p] != room for p in people):
            found["split_households"] += 1
    return found


def _eligible(problem: Problem, household: int, room: int) -> bool:
    facility = int(problem.room_facility[room])
    takes = int(problem.household_takes[household])
    return bool(problem.facility_eligible[facility]) and bool(
        int(problem.facility_takes[facility]) & takes)


def _needs_met(problem: Problem, ordered: list[int], present: list[int], room: int) -> bool:
    facility = int(problem.room_facility[room])
    if any(problem.person_needs_accessible[p] for p in ordered) and not (
            problem.room_accessible[room]):
        return False
    if any(problem.person_needs_medical[p] for p in ordered) and not (
            problem.facility_medical[facility]):
        return False
    if any(problem.person_infant[p] for p in ordered) and not problem.room_infant[room]:
        return False
    dependants = [p for p in ordered if problem.person_dependent[p] or problem.person_infant[p]]
    if dependants:
        carers = [p for p in present if problem.person_can_care[p]
                  and not problem.person_dependent[p] and not problem.person_infant[p]]
        if not carers or not problem.room_carer[room]:
            return False
    return True
