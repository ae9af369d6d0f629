"""The outbreak's spread on plain arrays: the city as groups, venue visits, and the
infections of a day within households, work groups, classes and venues.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from epidesk.kit.clock import day_start, local_days
from epidesk.synth.engine import BoolArray, FloatArray, IntArray, runs_of
from epidesk.synth.outbreak import rules as outbreak_rules
from epidesk.synth.outbreak.rules import (
    NEVER,
    NOT_INFECTED,
    S_IMPORT,
    S_IMPORT_DAYS,
    S_SEED,
    S_TRAVEL,
    S_VENUE,
    S_VISITS,
    OutbreakParameters,
    keyed_seed,
    keyed_uniform,
)
from epidesk.synth.outbreak.spread.rules import SETTING_STREAM, Courses
from epidesk.tracing.visits.engine import VenueTable, synthetic_visits


def expand_ranges(lo: IntArray, hi: IntArray) -> tuple[IntArray, IntArray]:
    """For ranges [lo, hi): the owner of every position and the position, all at once."""
    counts = np.maximum(hi - lo, 0)
    owner = np.repeat(np.arange(len(lo), dtype=np.int64), counts)
    shift = np.repeat(np.cumsum(counts) - counts - lo, counts)
    position: IntArray = np.arange(int(counts.sum()), dtype=np.int64) - shift
    return owner, position


# ------------------------------------------------------------------ the city as groups


@dataclass(frozen=True)
class Groups:
    """Memberships of one setting sorted by group, with the days they are active."""

    person: IntArray  # position of the member among the city's residents
    group: IntArray  # database id of the group (household, work group, class)
    start: IntArray  # first day (days since 1970-01-01), inclusive
    end: IntArray  # last day, inclusive
    run: IntArray  # dense index of the group, per row
    run_start: IntArray  # first row of each group, and the row count at the end
    by_person: IntArray  # rows in order of person
    person_ptr: IntArray  # rows of person p: by_person[person_ptr[p]:person_ptr[p + 1]]
    always: bool  # every membership is active on every day

    @classmethod
    def of(cls, person: IntArray, group: IntArray, people: int, start: IntArray | None = None,
           end: IntArray | None = None) -> Groups:
        """Memberships from parallel columns (open dates when start/end are None)."""
        person = np.asarray(person, dtype=np.int64)
        group = np.asarray(group, dtype=np.int64)
        always = start is None and end is None
        lo = np.full(len(person), -NEVER, dtype=np.int64) if start is None else np.asarray(
            start, dtype=np.int64)
        hi = np.full(len(person), NEVER, dtype=np.int64) if end is None else np.asarray(
            end, dtype=np.int64)
        order = np.lexsort((person, group))
        person, group, lo, hi = person[order], group[order], lo[order], hi[order]
        _, run_start, _ = runs_of(group)
        run = np.zeros(len(group), dtype=np.int64)
        if len(group):
            run[run_start[1:]] = 1
            run = np.cumsum(run)
        by_person = np.argsort(person, kind="stable")
        ptr = np.zeros(people + 1, dtype=np.int64)
        np.cumsum(np.bincount(person, minlength=people), out=ptr[1:])
        return cls(person=person, group=group, start=lo, end=hi, run=run,
                   run_start=np.append(run_start, len(group)).astype(np.int64),
                   by_person=by_person.astype(np.int64), person_ptr=ptr, always=always)

    @property
    def runs(self) -> int:
        """How many groups."""
        return len(self.run_start) - 1

    def active(self, day: int) -> BoolArray:
        """Which memberships are active on a day (days since 1970-01-01)."""
        if self.always:
            return np.ones(len(self.person), dtype=bool)
        active: BoolArray = (self.start <= day) & (day <= self.end)
        return active

    def co_members(self, people: IntArray, day: int) -> IntArray:
        """Everyone who shares a group active on `day` with one of `people` (them too)."""
        lo, hi = self.person_ptr[people], self.person_ptr[people + 1]
        _, rows = expand_ranges(lo, hi)
        rows = self.by_person[rows]
        active = self.active(day)
        runs = np.unique(self.run[rows[active[rows]]])
        _, members = expand_ranges(self.run_start[runs], self.run_start[runs + 1])
        members = members[active[members]]
        found: IntArray = np.unique(self.person[members])
        return found


@dataclass(frozen=True)
class OutbreakCity:
    """The contact structure an outbreak spreads on; residents by position 0..N-1."""

    name: str
    code: str
    resident_id: IntArray  # database ids, ascending
    community: IntArray  # position of each resident's community
    households: Groups
    work: Groups
    classes: Groups
    community_id: IntArray
    community_name: tuple[str, ...]
    community_district: IntArray  # district id of each community
    venue_id: IntArray  # ascending
    venue_community: IntArray  # community id of each venue
    venue_kind: tuple[str, ...]
    venue_name: tuple[str, ...]

    @property
    def people(self) -> int:
        """How many residents."""
        return len(self.resident_id)


Memberships = tuple[IntArray, IntArray, IntArray, IntArray]


def outbreak_city(*, name: str, code: str, resident_id: IntArray, community_id: IntArray,
                  households: Memberships, work: Memberships, classes: Memberships,
                  communities: tuple[IntArray, Sequence[str], IntArray],
                  venues: tuple[IntArray, IntArray, Sequence[str], Sequence[str]]
                  ) -> OutbreakCity:
    """The contact structure from database columns.

    households, work and classes: (resident id, group id, first day, last day) with days
    since 1970-01-01; communities: (id, name, district id); venues: (id, community id,
    kind, name).
    """
    order = np.argsort(resident_id, kind="stable")
    ids = np.asarray(resident_id, dtype=np.int64)[order]
    n = len(ids)
    c_ids = np.asarray(communities[0], dtype=np.int64)
    c_order = np.argsort(c_ids, kind="stable")
    c_sorted = c_ids[c_order]

    def groups(columns: Memberships) -> Groups:
        who = np.searchsorted(ids, np.asarray(columns[0], dtype=np.int64))
        known = (who < n) & (ids[np.minimum(who, n - 1)] == columns[0]) if n else who < 0
        return Groups.of(who[known], np.asarray(columns[1])[known], n,
                         np.asarray(columns[2])[known], np.asarray(columns[3])[known])

    v_order = np.argsort(np.asarray(venues[0], dtype=np.int64), kind="stable")
    return OutbreakCity(
        name=name, code=code, resident_id=ids,
        community=np.searchsorted(c_sorted, np.asarray(community_id, dtype=np.int64)[order]),
        households=groups(households), work=groups(work), classes=groups(classes),
        community_id=c_sorted,
        community_name=tuple(str(communities[1][i]) for i in c_order.tolist()),
        community_district=np.asarray(communities[2], dtype=np.int64)[c_order],
        venue_id=np.asarray(venues[0], dtype=np.int64)[v_order],
        venue_community=np.asarray(venues[1], dtype=np.int64)[v_order],
        venue_kind=tuple(str(venues[2][i]) for i in v_order.tolist()),
        venue_name=tuple(str(venues[3][i]) for i in v_order.tolist()),
    )


# ------------------------------------------------------------------ venue visits


@dataclass(frozen=True)
class DayVisits:
    """One day's venue visits, sorted by venue then arrival (times: epoch seconds)."""

    person: IntArray
    venue: IntArray  # position among the city's venues
    start: IntArray
    end: IntArray

    def subset(self, keep: BoolArray) -> DayVisits:
        """The visits where keep is true."""
        return DayVisits(self.person[keep], self.venue[keep], self.start[keep], self.end[keep])


EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def epoch_date(epoch_day: int) -> date:
    """The date of a day counted from 1970-01-01."""
    return date.fromordinal(EPOCH_ORDINAL + epoch_day)


def local_midnight(epoch_day: int) -> int:
    """Epoch seconds of a day's local midnight (days since 1970-01-01, city time)."""
    return int(day_start(epoch_date(epoch_day)).timestamp())


def local_day(seconds: NDArray[Any]) -> IntArray:
    """The local day (days since 1970-01-01, city time) of epoch seconds."""
    day: IntArray = local_days(np.asarray(seconds, dtype=np.int64)).astype(np.int64)
    return day


def day_visits(city: OutbreakCity, *, seed: int, epoch_day: int) -> DayVisits:
    """Every resident's venue visits of one day (the tracing domain's visit generator)."""
    communities = city.community_id[city.community]
    table = VenueTable(city.venue_id, city.venue_community, city.venue_kind)
    parts: list[tuple[IntArray, IntArray, IntArray, IntArray]] = list(synthetic_visits(
        city.resident_id, communities, table, first_day=local_midnight(epoch_day), days=1,
        seed=keyed_seed(seed, S_VISITS, epoch_day), chunk=max(1, city.people)))
    if not parts:
        none = np.zeros(0, dtype=np.int64)
        return DayVisits(none, none, none, none)
    resident, venue, start, end = (np.concatenate([p[i] for p in parts]) for i in range(4))
    person = np.searchsorted(city.resident_id, resident)
    place = np.searchsorted(city.venue_id, venue)
    order = np.lexsort((person, start, place))
    return DayVisits(person[order], place[order], start[order], end[order])


def outbreak_visits(city: OutbreakCity, *, seed: int, first_epoch_day: int, days: int
                    ) -> list[DayVisits]:
    """The venue visits of each day, from `first_epoch_day` on."""
    return [day_visits(city, seed=seed, epoch_day=first_epoch_day + t) for t in range(days)]


class Transmission:
    """The spread of one run: arrivals from outside, seeds, and infections of a day.

    A part of the outbreak's simulation, which holds the state arrays named below.
    """

    city: OutbreakCity
    p: OutbreakParameters
    c: Courses
    seed: int
    scale: float
    n: int
    warmup: int
    total: int
    hazard: dict[str, float]
    inf_day: IntArray
    origin: NDArray[np.int8]
    place: IntArray
    infector: IntArray
    arrival: IntArray
    imports: BoolArray
    imported_before: IntArray
    away_days: int

    def draw_arrivals(self) -> None:
        """Travellers arriving on written days; some bring an infection from outside."""
        n, p = self.n, self.p
        who = np.arange(n, dtype=np.int64)
        rate = p.travellers_per_thousand / 1000.0
        arrival = np.full(n, NEVER, dtype=np.int64)
        for t in range(self.warmup, self.total):
            arriving = (keyed_uniform(self.seed, S_TRAVEL, t, who) < rate) & (arrival == NEVER)
            arrival[arriving] = t
        self.arrival = arrival
        share = min(1.0, p.imports_per_day / max(n * rate, 1e-9))
        travels = arrival < NEVER
        self.imports = travels & (keyed_uniform(self.seed, S_IMPORT, who) < share)
        lo, hi = p.imported_days_before_arrival
        self.imported_before = lo + np.floor(
            keyed_uniform(self.seed, S_IMPORT_DAYS, who) * (hi - lo + 1)).astype(np.int64)
        self.away_days = hi

    def infect(self, who: IntArray, day: IntArray | int, origin: str, place: IntArray,
               infector: IntArray) -> None:
        """Mark residents infected."""
        self.inf_day[who] = day
        self.origin[who] = outbreak_rules.ORIGIN_CODES[origin]
        self.place[who] = place
        self.infector[who] = infector

    def seed_infections(self, t: int, away: BoolArray) -> None:
        """Infections brought in from outside by residents who pass no port test."""
        rng = np.random.default_rng(keyed_seed(self.seed, S_SEED, t))
        count = int(rng.poisson(self.p.seeds_per_day_share * self.p.target_daily))
        pool = np.flatnonzero((self.inf_day == NOT_INFECTED) & ~away)
        if not count or not len(pool):
            return
        who = np.sort(rng.choice(pool, size=min(count, len(pool)), replace=False))
        none = np.full(len(who), -1, dtype=np.int64)
        self.infect(who, t, outbreak_rules.SEED, none, none)

    def infect_in_groups(self, groups: Groups, setting: str, t: int, epoch_day: int,
                         weight: FloatArray, susceptible: BoolArray
                         ) -> tuple[IntArray, IntArray, IntArray, str]:
        """Infections within groups: (infected, infector, group id, setting)."""
        active = groups.active(epoch_day)
        w = np.where(active, weight[groups.person], 0.0)
        total = np.bincount(groups.run, weights=w, minlength=groups.runs)
        exposed = np.flatnonzero(active & susceptible[groups.person] & (total[groups.run] > 0))
        none = np.zeros(0, dtype=np.int64)
        if not len(exposed):
            return none, none, none, setting
        hazard = self.hazard[setting] * self.scale
        chance = -np.expm1(-hazard * total[groups.run[exposed]])
        stream = SETTING_STREAM[setting]
        u = keyed_uniform(self.seed, stream, t, groups.person[exposed], groups.group[exposed])
        hit = exposed[u < chance]
        if not len(hit):
            return none, none, none, setting
        # The infector: an infectious member of the group, chosen by infectiousness.
        sources = np.flatnonzero(w > 0)
        cum = np.cumsum(w[sources])
        source_run = groups.run[sources]
        lo = np.searchsorted(source_run, groups.run[hit], side="left")
        hi = np.searchsorted(source_run, groups.run[hit], side="right") - 1
        before = cum[lo] - w[sources[lo]]
        v = keyed_uniform(self.seed, stream + 1, t, groups.person[hit], groups.group[hit])
        k = np.clip(np.searchsorted(cum, before + v * total[groups.run[hit]], side="right"),
                    lo, hi)
        return groups.person[hit], groups.person[sources[k]], groups.group[hit], setting

    def infect_at_venues(self, visits: DayVisits, t: int, weight: FloatArray,
                         susceptible: BoolArray) -> tuple[IntArray, IntArray, IntArray, str]:
        """Infections between visits to the same venue that overlap in time."""
        none = np.zeros(0, dtype=np.int64)
        sources = np.flatnonzero(weight[visits.person] > 0)
        if not len(sources):
            return none, none, none, outbreak_rules.VENUE
        lo = np.searchsorted(visits.venue, visits.venue[sources], side="left")
        hi = np.searchsorted(visits.venue, visits.venue[sources], side="right")
        owner, other = expand_ranges(lo, hi)
        src = sources[owner]
        overlap = (np.minimum(visits.end[src], visits.end[other])
                   - np.maximum(visits.start[src], visits.start[other]))
        ok = (overlap > 0) & susceptible[visits.person[other]]
        src, other, overlap = src[ok], other[ok], overlap[ok]
        hazard = self.p.venue_hazard_per_hour * self.scale
        chance = -np.expm1(-hazard * weight[visits.person[src]] * overlap / 3600.0)
        u = keyed_uniform(self.seed, S_VENUE, t, visits.person[other], visits.person[src],
                          visits.venue[src])
        hit = u < chance
        return (visits.person[other[hit]], visits.person[src[hit]],
                self.city.venue_id[visits.venue[src[hit]]], outbreak_rules.VENUE)
