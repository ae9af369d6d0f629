"""Placement runs: read the centralized orders without a room and the eligible free
rooms, solve, store the proposal for review; commit it (every room assignment at once,
refused when the orders or rooms changed since) or discard it. Session first,
keyword-only arguments after; flush, never commit."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from epidesk.errors import ConflictError, NotFoundError
from epidesk.kit import clock
from epidesk.kit.merges import Merge
from epidesk.people import repository as people
from epidesk.quarantine import rules as quarantine_rules
from epidesk.quarantine import service as facilities_service
from epidesk.quarantine.models import PlacementLine, PlacementRun, RoomAssignment
from epidesk.quarantine.placement import repository, rules
from epidesk.quarantine.placement.baseline.engine import greedy
from epidesk.quarantine.placement.bound.engine import capacity_free_bound, lagrangian_bound
from epidesk.quarantine.placement.checker.rules import check
from epidesk.quarantine.placement.engine import place

PROPOSED, COMMITTED, DISCARDED = "proposed", "committed", "discarded"


def merge_person_rows(session: Session, merge: Merge) -> list[str]:
    """Placement's share of a merge: the merged record's lines in runs move."""
    return [f"{repository.merge_rows(session, merge)} placement lines moved"]


@dataclass(frozen=True)
class Inputs:
    """What a run read, and the problem built from it."""

    problem: rules.Problem
    person_resident: list[int]
    person_order: list[int | None]
    unit_household: list[int]
    room_ids: list[int]
    digest: str
    rooms_free: int


def _digest(orders: Sequence[tuple[Any, ...]],
            rooms: Sequence[tuple[Any, ...]], eligible: Sequence[int]) -> str:
    text = json.dumps([list(orders), list(rooms), sorted(eligible)], default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _state(session: Session, order_ids: Sequence[int], facility_ids: Sequence[int],
           day: date, at: datetime) -> tuple[str, list[tuple[Any, ...]]]:
    eligible = [f.id for f in facilities_service.eligible_facilities(session, day)]
    orders = [tuple(o) for o in repository.orders_state(session, order_ids)]
    rooms = [tuple(r) for r in repository.rooms_state(session, facility_ids, at)]
    return _digest(orders, rooms, [f for f in eligible if f in set(facility_ids)]), rooms


def read_inputs(session: Session, *, day: date, at: datetime) -> Inputs:
    """The orders waiting for a room, their households and the free rooms of the
    facilities eligible on the day, as a placement problem."""
    waiting = repository.orders_waiting(session)
    eligible = facilities_service.eligible_facilities(session, day)
    facility_ids = [f.id for f in eligible]
    digest, rooms = _state(session, [w[0] for w in waiting], facility_ids, day, at)
    free = [r for r in rooms if r[6] and r[7] == 0]

    # Units: one household's orders of one kind (cases and contacts never share a site).
    unit_key: dict[tuple[int, str], int] = {}
    ordered_resident: dict[int, tuple[int, int]] = {}  # resident -> (order, unit)
    for order_id, resident_id, household_id, kind, _ in waiting:
        unit = unit_key.setdefault((household_id, kind), len(unit_key))
        ordered_resident.setdefault(resident_id, (order_id, unit))
    members = people.household_members_with_district(session, [h for h, _ in unit_key])
    under_order = repository.residents_with_active_orders(session, [m[0] for m in members])
    by_household: dict[int, list[tuple[Any, ...]]] = {}
    for m in members:
        by_household.setdefault(int(m[1]), []).append(m)

    districts = repository.districts(session)
    d_index = {d[0]: i for i, d in enumerate(districts)}
    f_rows = list(repository.facilities(session, facility_ids))
    f_index = {f.id: i for i, f in enumerate(f_rows)}

    person_resident: list[int] = []
    person_order: list[int | None] = []
    cols: dict[str, list[Any]] = {k: [] for k in (
        "household", "ordered", "accessible", "medical", "infant", "dependent", "can_care")}
    unit_household: list[int] = [0] * len(unit_key)
    unit_district: list[int] = [0] * len(unit_key)
    unit_takes: list[int] = [0] * len(unit_key)
    for (household_id, kind), unit in unit_key.items():
        unit_household[unit] = household_id
        unit_takes[unit] = (rules.ISOLATION if kind == quarantine_rules.ISOLATION
                            else rules.QUARANTINE)
        for resident_id, _, birth, disability, medication, pregnant, district in (
                by_household.get(household_id, [])):
            rid = int(str(resident_id))
            order = ordered_resident.get(rid)
            mine = order is not None and order[1] == unit
            if not mine and rid in under_order:
                continue  # under an order of its own: neither placed here nor a carer
            assert isinstance(birth, date)
            age = rules.age_on(birth, day)
            unit_district[unit] = d_index.get(int(str(district)), 0)
            person_resident.append(rid)
            person_order.append(order[0] if order and mine else None)
            cols["household"].append(unit)
            cols["ordered"].append(mine)
            cols["accessible"].append(bool(disability))
            cols["medical"].append(bool(medication) or bool(pregnant))
            cols["infant"].append(age < rules.INFANT_BELOW)
            cols["dependent"].append(rules.INFANT_BELOW <= age < rules.CHILD_BELOW
                                     or age >= rules.DEPENDENT_ELDERLY_FROM)
            cols["can_care"].append(rules.CARER_FROM <= age < rules.DEPENDENT_ELDERLY_FROM
                                    and not disability)

    d_lat = np.array([d[2] for d in districts]) if districts else np.zeros(0)
    d_lon = np.array([d[3] for d in districts]) if districts else np.zeros(0)
    f_lat = np.array([f.lat for f in f_rows])
    f_lon = np.array([f.lon for f in f_rows])
    travel = rules.travel_minutes(d_lat, d_lon, f_lat, f_lon)

    def arr(values: list[Any], dtype: type) -> np.ndarray:
        return np.array(values, dtype=dtype)

    problem = rules.Problem(
        person_household=arr(cols["household"], np.int64),
        person_ordered=arr(cols["ordered"], bool),
        person_needs_accessible=arr(cols["accessible"], bool),
        person_needs_medical=arr(cols["medical"], bool),
        person_infant=arr(cols["infant"], bool),
        person_dependent=arr(cols["dependent"], bool),
        person_can_care=arr(cols["can_care"], bool),
        household_district=np.array(unit_district, dtype=np.int64),
        household_takes=np.array(unit_takes, dtype=np.int64),
        district_city=np.array([d[1] for d in districts], dtype=np.int64),
        facility_city=np.array([f.city_id for f in f_rows], dtype=np.int64),
        facility_medical=np.array([f.medical_staff > 0 for f in f_rows], dtype=bool),
        facility_eligible=np.ones(len(f_rows), dtype=bool),
        facility_takes=np.array([rules.ISOLATION if f.use == quarantine_rules.ISOLATION
                                 else rules.QUARANTINE for f in f_rows], dtype=np.int64),
        travel=travel.reshape(len(districts), len(f_rows)),
        room_facility=np.array([f_index[r[1]] for r in free], dtype=np.int64),
        room_beds=np.array([r[2] for r in free], dtype=np.int64),
        room_accessible=np.array([r[3] for r in free], dtype=bool),
        room_infant=np.array([r[4] for r in free], dtype=bool),
        room_carer=np.array([r[5] for r in free], dtype=bool),
    )
    return Inputs(problem=problem, person_resident=person_resident, person_order=person_order,
                  unit_household=unit_household, room_ids=[r[0] for r in free],
                  digest=digest, rooms_free=len(free))


def run_placement(session: Session, *, actor: str, day: date | None = None,
                  weights: rules.Weights | None = None, now: datetime | None = None
                  ) -> PlacementRun:
    """Solve and store a proposed run (nothing is assigned until it is committed)."""
    at = now or clock.now()
    on = day or clock.local_day(at)
    weights = weights or rules.Weights()
    started = time.perf_counter()
    inputs = read_inputs(session, day=on, at=at)
    problem = inputs.problem
    placement = place(problem, weights)
    price = np.zeros(problem.rooms)
    if placement.room_pool is not None and placement.pool_multiplier is not None:
        inside = placement.room_pool >= 0
        price[inside] = placement.pool_multiplier[placement.room_pool[inside]]
    bound = max(lagrangian_bound(problem, weights, price), capacity_free_bound(problem, weights))
    baseline = greedy(problem, weights)
    findings = check(problem, placement.person_room, placement.unplaced)
    seconds = time.perf_counter() - started

    run = PlacementRun(
        day=on, state=PROPOSED, people=problem.people,
        households=len({inputs.unit_household[h] for h in
                        set(problem.person_household[problem.person_ordered].tolist())}),
        placed_people=int(((placement.person_room >= 0) & problem.person_ordered).sum()),
        unplaced_people=int(((placement.person_room < 0) & problem.person_ordered).sum()),
        carers=int(((placement.person_room >= 0) & ~problem.person_ordered).sum()),
        rooms_free=inputs.rooms_free, cost=round(placement.cost, 2),
        lower_bound=round(bound, 2), gap=rules.gap(placement.cost, bound),
        greedy_cost=round(baseline.cost, 2), seconds=round(seconds, 3),
        check=json.dumps(findings), digest=inputs.digest, created_at=at,
        created_by=actor[:64])
    for p, resident_id in enumerate(inputs.person_resident):
        unit = int(problem.person_household[p])
        room = int(placement.person_room[p])
        ordered = bool(problem.person_ordered[p])
        if not ordered and room < 0:
            continue
        travel = None
        if room >= 0:
            travel = round(float(problem.travel[problem.household_district[unit],
                                                problem.room_facility[room]]), 1)
        run.lines.append(PlacementLine(
            order_id=inputs.person_order[p], resident_id=resident_id,
            household_id=inputs.unit_household[unit], role="ordered" if ordered else "carer",
            room_id=inputs.room_ids[room] if room >= 0 else None,
            reason=None if room >= 0 else placement.unplaced.get(unit, rules.NO_FREE_ROOM),
            travel_minutes=travel))
    return repository.add_run(session, run)


def get_run(session: Session, *, run_id: int) -> PlacementRun:
    """A run with its lines, or 404."""
    found = repository.run(session, run_id)
    if found is None:
        raise NotFoundError(f"no placement run {run_id}")
    return found


def list_runs(session: Session, *, limit: int = 50, offset: int = 0) -> Sequence[PlacementRun]:
    """Runs, newest first."""
    return repository.runs(session, limit=limit, offset=offset)


def commit_run(session: Session, *, run_id: int, actor: str, now: datetime | None = None
               ) -> PlacementRun:
    """Write every room assignment of a proposed run at once; refused (nothing written)
    when the run is not proposed or its orders or rooms changed since it was made."""
    run = get_run(session, run_id=run_id)
    if run.state != PROPOSED:
        raise ConflictError(f"placement run {run_id} is {run.state}, not proposed")
    at = now or clock.now()
    waiting_ids = [line.order_id for line in run.lines if line.order_id is not None]
    eligible = facilities_service.eligible_facilities(session, run.day)
    digest, _ = _state(session, waiting_ids, [f.id for f in eligible], run.day, at)
    if digest != run.digest:
        raise ConflictError(f"the orders or rooms of placement run {run_id} changed since "
                            "it was made: run the placement again")
    rows = [RoomAssignment(order_id=line.order_id, resident_id=line.resident_id,
                           room_id=line.room_id, role=line.role, from_at=at,
                           placement_run_id=run.id, assigned_by=actor[:64])
            for line in run.lines if line.room_id is not None]
    repository.add_assignments(session, rows)
    run.state, run.decided_at, run.decided_by = COMMITTED, at, actor[:64]
    session.flush()
    return run


def discard_run(session: Session, *, run_id: int, actor: str, now: datetime | None = None
                ) -> PlacementRun:
    """Set a proposed run aside; nothing is assigned."""
    run = get_run(session, run_id=run_id)
    if run.state != PROPOSED:
        raise ConflictError(f"placement run {run_id} is {run.state}, not proposed")
    run.state, run.decided_at, run.decided_by = DISCARDED, now or clock.now(), actor[:64]
    session.flush()
    return run


def shortfall_forecast(session: Session, *, days: int = 7, today: date | None = None
                       ) -> list[rules.ForecastRow]:
    """Beds needed against beds available per city and day, from the centralized orders
    in force, the recent rate of new ones and the trend of new cases."""
    from datetime import timedelta

    from epidesk.cases import repository as cases

    first = today or clock.local_day(clock.now())
    span = [first + timedelta(days=k) for k in range(days)]
    district_city = {d[0]: d[1] for d in repository.districts(session)}
    in_force = repository.centralized_orders(session, ending_from=first)
    started = repository.centralized_started(session, first=first - timedelta(days=7),
                                             last=first - timedelta(days=1))
    households = {o[1] for o in in_force} | {o[1] for o in started}
    city_of = {int(m[0]): district_city.get(int(m[6]), 0)
               for m in people.household_members_with_district(session, sorted(households))}
    current: dict[tuple[int, date], int] = {}
    for resident, _, start, end in in_force:
        for day in span:
            if start <= day <= end:
                key = (city_of.get(resident, 0), day)
                current[key] = current.get(key, 0) + 1
    new_per_day: dict[int, float] = {}
    stays = []
    for resident, _, start, end in started:
        city = city_of.get(resident, 0)
        new_per_day[city] = new_per_day.get(city, 0.0) + 1 / 7
        stays.append((end - start).days + 1)
    recent = len(cases.episodes_between(session, first=first - timedelta(days=7),
                                        last=first - timedelta(days=1), community_ids=None))
    before = len(cases.episodes_between(session, first=first - timedelta(days=14),
                                        last=first - timedelta(days=8), community_ids=None))
    available: dict[tuple[int, date], int] = {}
    for day in span:
        eligible = facilities_service.eligible_facilities(session, day)
        beds = repository.beds_in_service(session, [f.id for f in eligible])
        for f in eligible:
            key = (f.city_id, day)
            available[key] = available.get(key, 0) + beds.get(f.id, 0)
    cities = sorted({c for c, _ in current} | set(new_per_day) | {c for c, _ in available})
    return rules.forecast(days=span, cities=cities, current=current, new_per_day=new_per_day,
                          growth=rules.daily_growth(recent, before),
                          stay_days=round(sum(stays) / len(stays)) if stays else 7,
                          available=available)
