"""The outbreak scenario on plain arrays: no session, no I/O.

An outbreak spreads day by day over the city's contact structure: households every
day, work groups and school classes on weekdays, venue visits that overlap in time.
Every random decision is a keyed number (`keyed_uniform`): a function of the seed, a
stream and the decision's keys (day, person, place), so that the same seed always
gives the same scenario, and changing the transmission scale (while calibrating)
leaves every unrelated decision as it was. Detection is what testing produces: a
person is isolated after a positive single tube, a positive pool isolates its members
until their single-tube retest the next day, and the close contacts of a case
(household, work group, class) are quarantined and tested.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from epidesk.synth.engine import IntArray, runs_of
from epidesk.synth.outbreak import rules
from epidesk.synth.outbreak.rules import NEVER, NOT_INFECTED, S_PICK, keyed_uniform
from epidesk.synth.outbreak.spread import rules as spread_rules
from epidesk.synth.outbreak.spread.engine import (
    DayVisits,
    OutbreakCity,
    Transmission,
    epoch_date,
    local_day,
    local_midnight,
    outbreak_visits,
)
from epidesk.synth.outbreak.spread.rules import Courses, disease_courses
from epidesk.synth.outbreak.testing import rules as lab_rules
from epidesk.synth.outbreak.testing.engine import MassTesting, TestingRules, Tubes, date_strings
from epidesk.tracing.visits.engine import iso_times


@dataclass
class Scenario:
    """An outbreak: its truth, and everything it produced, as columns.

    Days are scenario day indexes: 0 is the first warm-up day, `warmup` the first day
    written (day 1 of the files). Persons are positions among the city's residents.
    """

    params: rules.OutbreakParameters
    seed: int
    scale: float
    days: int
    warmup: int
    first_epoch_day: int  # days since 1970-01-01 of day 1 (the first day written)
    # truth per resident
    inf_day: IntArray  # NOT_INFECTED when never infected
    origin: NDArray[np.int8]  # rules.ORIGINS code, -1 when never infected
    place: IntArray  # database id of the household, group or venue; -1 otherwise
    infector: IntArray  # position of the infector, -1 for seeds and imports
    arrival_day: IntArray  # arrival of an imported infection, NEVER otherwise
    detected_day: IntArray  # release day of the first positive single tube, NEVER
    detected_by: NDArray[np.int8]  # lab_rules.TEST_KINDS code of that tube, -1
    courses: Courses
    # what the outbreak produced
    tubes: Tubes
    visits: list[DayVisits]  # per written day, the visits of free residents
    onset_person: IntArray
    onset_day: IntArray
    onset_reported: IntArray  # epoch seconds
    # per scenario day
    infectious_count: IntArray
    isolated_count: IntArray
    quarantined_count: IntArray
    site_names: tuple[str, ...]
    stopped: bool = False

    @property
    def total_days(self) -> int:
        """Warm-up and written days."""
        return self.warmup + self.days

    def daily_infections(self) -> IntArray:
        """New infections of each written day: local ones that day, imports on arrival."""
        local = (self.inf_day >= self.warmup) & (self.origin != rules.ORIGIN_CODES[
            rules.IMPORTED])
        counts = np.bincount(self.inf_day[local] - self.warmup, minlength=self.days)
        imported = self.arrival_day < NEVER
        counts += np.bincount(self.arrival_day[imported] - self.warmup, minlength=self.days)
        result: IntArray = counts[: self.days]
        return result

    def mean_daily_infections(self) -> float:
        """Mean new infections a day over the written days (inf when the run stopped)."""
        if self.stopped:
            return math.inf
        return float(self.daily_infections().mean()) if self.days else 0.0


class _Simulation(Transmission, MassTesting):
    """One run of the outbreak: state arrays and the steps of a day."""

    def __init__(self, city: OutbreakCity, params: rules.OutbreakParameters,
                 testing: TestingRules, courses: Courses, visits: Sequence[DayVisits], *,
                 seed: int, days: int, first_epoch_day: int, scale: float) -> None:
        self.city, self.p, self.testing, self.c = city, params, testing, courses
        self.visits = visits
        self.seed, self.days, self.scale = seed, days, scale
        self.warmup = params.warmup_days
        self.total = self.warmup + days
        self.day0 = first_epoch_day - self.warmup  # epoch day of scenario day 0
        n = city.people
        self.n = n
        self.inf_day = np.full(n, NOT_INFECTED, dtype=np.int64)
        self.origin = np.full(n, -1, dtype=np.int8)
        self.place = np.full(n, -1, dtype=np.int64)
        self.infector = np.full(n, -1, dtype=np.int64)
        self.detected = np.full(n, NEVER, dtype=np.int64)
        self.detected_by = np.full(n, -1, dtype=np.int8)
        self.isolated_from = np.full(n, NEVER, dtype=np.int64)
        self.q_start = np.full(n, NEVER, dtype=np.int64)
        self.q_end = np.full(n, -1, dtype=np.int64)
        self.retest_on = np.full(n, -1, dtype=np.int64)
        self.hazard = {
            rules.HOUSEHOLD: spread_rules.daily_hazard(params.household_sar, _mean(
                params.infectious_days)),
            rules.WORK_GROUP: spread_rules.daily_hazard(params.work_group_sar, _mean(
                params.infectious_days) * 5 / 7),
            rules.SCHOOL_CLASS: spread_rules.daily_hazard(params.school_class_sar, _mean(
                params.infectious_days) * 5 / 7),
        }
        self.draw_arrivals()
        self.open_sites()
        self.parts: list[Tubes] = []
        self.kept_visits: list[DayVisits] = []
        self.infectious_count = np.zeros(self.total, dtype=np.int64)
        self.isolated_count = np.zeros(self.total, dtype=np.int64)
        self.quarantined_count = np.zeros(self.total, dtype=np.int64)
        genes = len(testing.thresholds)
        self.genes = genes
        self.thresholds = np.asarray(testing.thresholds, dtype=np.float64)

    # ---------------------------------------------------------------- a day

    def run(self, stop_above: float | None = None) -> bool:
        """Simulate every day; False when the infections passed stop_above."""
        for t in range(self.total):
            self.step(t)
            if (stop_above is not None and t >= self.warmup
                    and int((self.inf_day >= self.warmup).sum()) > stop_above):
                return False
        return True

    def step(self, t: int) -> None:
        """One day: arrivals and seeds, then tests, then transmission."""
        written = t >= self.warmup
        if written:
            arriving = np.flatnonzero((self.arrival == t) & self.imports
                                      & (self.inf_day == NOT_INFECTED))
            none = np.full(len(arriving), -1, dtype=np.int64)
            self.infect(arriving, t - self.imported_before[arriving], rules.IMPORTED, none, none)
        away = (self.arrival - self.away_days <= t) & (t < self.arrival)
        self.seed_infections(t, away)
        isolated = self.isolated_from <= t
        quarantined = (self.q_start <= t) & (t <= self.q_end)
        # Members of a positive pool are isolated on the spot when its result comes out
        # and stay so until their retest the next day.
        held = (self.retest_on == t) | (self.retest_on == t + 1)
        free = ~(isolated | quarantined | held | away)
        if written:
            self.test_day(t, free, isolated, quarantined)
        infected = self.inf_day != NOT_INFECTED
        since = t - self.inf_day
        infectious = infected & (since >= self.c.latent) & (
            since < self.c.latent + self.c.infectious) & free
        self.infectious_count[t] = int((infected & (since >= self.c.latent) & (
            since < self.c.latent + self.c.infectious)).sum())
        self.isolated_count[t] = int(isolated.sum())
        self.quarantined_count[t] = int(quarantined.sum())
        susceptible = ~infected & free
        visits = self.visits[t].subset(free[self.visits[t].person])
        if written:
            self.kept_visits.append(visits)
        if not infectious.any():
            return
        weight = np.where(infectious, self.c.weight, 0.0)
        epoch_day = self.day0 + t
        weekday = (epoch_day + 3) % 7 < 5  # 1970-01-01 was a Thursday
        found = [self.infect_in_groups(self.city.households, rules.HOUSEHOLD, t, epoch_day, weight,
                                       susceptible)]
        if weekday:
            found.append(self.infect_in_groups(self.city.work, rules.WORK_GROUP, t, epoch_day,
                                               weight, susceptible))
            found.append(self.infect_in_groups(self.city.classes, rules.SCHOOL_CLASS, t, epoch_day,
                                               weight, susceptible))
        found.append(self.infect_at_venues(visits, t, weight, susceptible))
        who = np.concatenate([f[0] for f in found])
        if not len(who):
            return
        infector = np.concatenate([f[1] for f in found])
        place = np.concatenate([f[2] for f in found])
        setting = np.concatenate([np.full(len(f[0]), rules.ORIGIN_CODES[f[3]], dtype=np.int64)
                                  for f in found])
        # One infection per person: the exposures compete in a random order.
        priority = keyed_uniform(self.seed, S_PICK, t, who, setting, place)
        order = np.lexsort((priority, who))
        first = order[np.concatenate([[True], who[order][1:] != who[order][:-1]])]
        for code in np.unique(setting[first]).tolist():
            pick = first[setting[first] == code]
            self.infect(who[pick], t, rules.ORIGINS[code], place[pick], infector[pick])

    # ---------------------------------------------------------------- the result

    def scenario(self, stopped: bool) -> Scenario:
        """The run's truth and products."""
        tubes = Tubes.concat(self.parts, self.genes)
        person, day, reported = self.onsets_after_results(tubes)
        return Scenario(
            params=self.p, seed=self.seed, scale=self.scale, days=self.days,
            warmup=self.warmup, first_epoch_day=self.day0 + self.warmup,
            inf_day=self.inf_day, origin=self.origin, place=self.place,
            infector=self.infector,
            arrival_day=np.where((self.origin == rules.ORIGIN_CODES[rules.IMPORTED]),
                                 self.arrival, NEVER),
            detected_day=self.detected, detected_by=self.detected_by, courses=self.c,
            tubes=tubes, visits=self.kept_visits, onset_person=person, onset_day=day,
            onset_reported=reported, infectious_count=self.infectious_count,
            isolated_count=self.isolated_count, quarantined_count=self.quarantined_count,
            site_names=self.site_names, stopped=stopped)


def _mean(bounds: tuple[int, int]) -> float:
    return (bounds[0] + bounds[1]) / 2


def simulate(city: OutbreakCity, params: rules.OutbreakParameters, testing: TestingRules, *,
             seed: int, days: int, first_epoch_day: int, scale: float,
             courses: Courses | None = None, visits: Sequence[DayVisits] | None = None,
             stop_above: float | None = None) -> Scenario:
    """One outbreak of `days` written days (after the warm-up) at a transmission scale."""
    courses = courses or disease_courses(city.people, seed, params)
    if visits is None:
        visits = outbreak_visits(city, seed=seed, first_epoch_day=first_epoch_day
                                 - params.warmup_days, days=params.warmup_days + days)
    run = _Simulation(city, params, testing, courses, visits, seed=seed, days=days,
                      first_epoch_day=first_epoch_day, scale=scale)
    finished = run.run(stop_above)
    return run.scenario(stopped=not finished)


@dataclass(frozen=True)
class Calibration:
    """The transmission scale fitted to the target, and the scenario it gives."""

    scale: float
    scenario: Scenario
    tried: tuple[tuple[float, float], ...]  # (scale, mean daily infections) of each run


def calibrate(city: OutbreakCity, params: rules.OutbreakParameters, testing: TestingRules, *,
              seed: int, days: int, first_epoch_day: int, tolerance: float = 0.05,
              max_runs: int = 16, progress: Callable[[int, int], None] | None = None
              ) -> Calibration:
    """The scenario whose mean daily infections is nearest the target.

    The scale of every transmission hazard is searched on a log scale (doubling to
    bracket the target, then bisection); the keyed random numbers make the count of
    infections change smoothly with the scale.
    """
    courses = disease_courses(city.people, seed, params)
    visits = outbreak_visits(city, seed=seed, first_epoch_day=first_epoch_day
                             - params.warmup_days, days=params.warmup_days + days)
    target = params.target_daily
    stop_above = 20 * target * days + 100
    tried: list[tuple[float, float]] = []
    best: tuple[float, float, Scenario] | None = None

    def run(scale: float) -> float:
        nonlocal best
        scenario = simulate(city, params, testing, seed=seed, days=days,
                            first_epoch_day=first_epoch_day, scale=scale, courses=courses,
                            visits=visits, stop_above=stop_above)
        mean = scenario.mean_daily_infections()
        tried.append((scale, mean))
        miss = abs(mean - target)
        if best is None or miss < best[0]:
            best = (miss, scale, scenario)
        if progress is not None:
            progress(len(tried), max_runs)
        return mean

    low: float | None = None
    high: float | None = None
    scale = 1.0
    while len(tried) < max_runs:
        mean = run(scale)
        if abs(mean - target) <= tolerance * target:
            break
        if mean < target:
            low = scale
        else:
            high = scale
        if low is not None and high is not None:
            scale = math.sqrt(low * high)
        elif low is not None:
            scale = low * 2 if low < 1e3 else low
        else:
            scale = (high or 1.0) / 2
        if (low is not None and high is not None and high / low < 1.01) or not (
                1e-4 < scale < 1e4):
            break
    assert best is not None
    if progress is not None:
        progress(len(tried), len(tried))
    return Calibration(scale=best[1], scenario=best[2], tried=tuple(tried))


def visit_files(city: OutbreakCity, scenario: Scenario) -> dict[int, dict[str, IntArray]]:
    """The visit log of each written day (visits by the day they ended), as columns.

    A visit still going on when the scenario ends is logged as ending then.
    """
    if not scenario.visits:
        return {}
    person = np.concatenate([v.person for v in scenario.visits])
    venue = np.concatenate([v.venue for v in scenario.visits])
    start = np.concatenate([v.start for v in scenario.visits])
    end = np.concatenate([v.end for v in scenario.visits])
    last = local_midnight(scenario.first_epoch_day + scenario.days) - 1
    end = np.minimum(end, last)
    keep = end > start
    person, venue, start, end = person[keep], venue[keep], start[keep], end[keep]
    day = local_day(end) - scenario.first_epoch_day + 1
    order = np.lexsort((start, person, day))
    out: dict[int, dict[str, IntArray]] = {}
    values, starts, counts = runs_of(day[order])
    for d, s, c in zip(values.tolist(), starts.tolist(), counts.tolist(), strict=True):
        r = order[s: s + c]
        out[d] = {"resident_id": city.resident_id[person[r]],
                  "venue_id": city.venue_id[venue[r]], "started_at": start[r],
                  "ended_at": end[r]}
    return out


def onset_files(city: OutbreakCity, scenario: Scenario) -> dict[int, list[tuple[int, str, str]]]:
    """Symptom onsets reported on each written day: (resident id, onset date, reported
    at), for people whose symptoms began after a positive asymptomatic result."""
    out: dict[int, list[tuple[int, str, str]]] = {}
    if not len(scenario.onset_person):
        return out
    day0 = scenario.first_epoch_day - scenario.warmup
    day = local_day(scenario.onset_reported) - scenario.first_epoch_day + 1
    order = np.lexsort((scenario.onset_person, scenario.onset_reported))
    onset = date_strings(scenario.onset_day + day0)
    reported = iso_times(scenario.onset_reported)
    for i in order.tolist():
        if day[i] >= 1:
            out.setdefault(int(day[i]), []).append(
                (int(city.resident_id[scenario.onset_person[i]]), str(onset[i]),
                 str(reported[i])))
    return out


def daily_truth(scenario: Scenario) -> list[dict[str, Any]]:
    """What happened on each written day, as the manifest tells it."""
    w = scenario.warmup
    infected = scenario.inf_day != NOT_INFECTED
    onset = np.where(infected & scenario.courses.symptomatic,
                     scenario.inf_day + scenario.courses.incubation, NEVER)
    imported_code = rules.ORIGIN_CODES[rules.IMPORTED]
    tubes = scenario.tubes
    release = (local_day(tubes.result) - (scenario.first_epoch_day - w)) if len(
        tubes.size) else np.zeros(0, dtype=np.int64)
    infections = scenario.daily_infections()
    days: list[dict[str, Any]] = []
    for k in range(scenario.days):
        t = w + k
        today = scenario.inf_day == t
        by_origin = {name: int((today & (scenario.origin == code)).sum())
                     for name, code in rules.ORIGIN_CODES.items() if name != rules.IMPORTED}
        by_origin[rules.IMPORTED] = int((scenario.arrival_day == t).sum())
        found = scenario.detected_day == t
        released = release == t
        days.append({
            "day": k + 1,
            "date": epoch_date(scenario.first_epoch_day + k).isoformat(),
            "infections": int(infections[k]),
            "by_origin": by_origin,
            "symptom_onsets": int((onset == t).sum()),
            "detected": int(found.sum()),
            "detected_by": {name: int((found & (scenario.detected_by == code)).sum())
                            for name, code in lab_rules.TEST_CODES.items()},
            "detected_imported": int((found & (scenario.origin == imported_code)).sum()),
            "infectious": int(scenario.infectious_count[t]),
            "isolated": int(scenario.isolated_count[t]),
            "quarantined": int(scenario.quarantined_count[t]),
            "tubes_released": int(released.sum()),
            "positive_tubes_released": int((released & (tubes.outcome == 1)).sum()),
        })
    return days


def infection_rows(city: OutbreakCity, scenario: Scenario) -> list[tuple[Any, ...]]:
    """Every infection of the scenario (warm-up included), in order of infection day."""
    day0 = scenario.first_epoch_day - scenario.warmup
    who = np.flatnonzero(scenario.inf_day != NOT_INFECTED)
    who = who[np.lexsort((city.resident_id[who], scenario.inf_day[who]))]
    rows: list[tuple[Any, ...]] = []
    c = scenario.courses
    for p in who.tolist():
        infector = int(scenario.infector[p])
        detected = int(scenario.detected_day[p])
        symptomatic = bool(c.symptomatic[p])
        rows.append((
            int(city.resident_id[p]), epoch_date(day0 + int(scenario.inf_day[p])).isoformat(),
            rules.ORIGINS[int(scenario.origin[p])],
            int(scenario.place[p]) if scenario.place[p] >= 0 else "",
            int(city.resident_id[infector]) if infector >= 0 else "",
            "true" if symptomatic else "false",
            epoch_date(day0 + int(scenario.inf_day[p] + c.incubation[p])).isoformat()
            if symptomatic else "",
            epoch_date(day0 + detected).isoformat() if detected < NEVER else "",
            lab_rules.TEST_KINDS[int(scenario.detected_by[p])] if detected < NEVER else "",
        ))
    return rows


INFECTION_COLUMNS = ("resident_id", "infected_on", "origin", "place_id", "infector_id",
                     "symptomatic", "onset_date", "detected_on", "detected_by")
