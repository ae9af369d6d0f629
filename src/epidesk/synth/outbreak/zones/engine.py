"""The outbreak simulated closed-loop: from the day the preset's rules would apply them,
isolated cases, quarantined contacts and the residents of stay-home zones stop passing the
infection on outside their homes; zones are drawn and stepped down by the platform's own
zoning rules, day by day inside the simulation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from epidesk.policy.schemas import Preset
from epidesk.synth.engine import BoolArray, FloatArray, IntArray
from epidesk.synth.outbreak import rules
from epidesk.synth.outbreak.engine import _Simulation
from epidesk.synth.outbreak.spread.engine import EPOCH_ORDINAL, DayVisits, Groups
from epidesk.zoning.engine import ZoningTree
from epidesk.zoning.rules import ends_zone, step_due

HIGH, MEDIUM = "high", "medium"


@dataclass
class ZoneState:
    """A zone in the simulation: its area, level and step-down clock."""

    kind: str
    ref: int
    level: str
    formerly: str | None
    clock: int  # scenario day the clock started
    opened: int
    lifted: int | None = None


@dataclass
class ZoneLedger:
    """Every zone of a run and the restricted residents of each day."""

    zones: dict[str, ZoneState] = field(default_factory=dict)
    restricted: list[int] = field(default_factory=list)  # residents in high or medium zones
    stay_home: list[int] = field(default_factory=list)  # residents in high zones


class ZonedSimulation(_Simulation):
    """One run of the outbreak under a preset, closed-loop with its zones."""

    def __init__(self, *args: Any, preset: Preset, tree: ZoningTree, person_address: IntArray,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.preset = preset
        self.tree = tree
        drawing = preset.zoning.drawn()
        self.granularity = drawing.granularity
        self.places_level = drawing.places_level
        self.nodes: dict[str, IntArray] = {
            kind: tree.node_of(kind, person_address)
            for kind in ("household", "floor", "unit", "building", "compound")}
        self.ledger = ZoneLedger()
        self.zoned = np.zeros(self.n, dtype=bool)  # detections already drawn
        self.high = np.zeros(self.n, dtype=bool)
        self.medium = np.zeros(self.n, dtype=bool)
        self.closed_venues: set[int] = set()
        self.days_before = preset.contacts.close_window.days_before

    def step(self, t: int) -> None:
        """The day's transmission under yesterday's zones, then today's zones."""
        super().step(t)
        self._draw(t)
        self._step_down(t)
        self._restrict()
        self.ledger.restricted.append(int((self.high | self.medium).sum()))
        self.ledger.stay_home.append(int(self.high.sum()))

    # ---------------------------------------------------------------- zones

    def _open(self, key: str, kind: str, ref: int, level: str, t: int) -> None:
        zone = self.ledger.zones.get(key)
        rank = {"low": 1, MEDIUM: 2, HIGH: 3}
        if zone is None or zone.lifted is not None:
            self.ledger.zones[key] = ZoneState(kind, ref, level, None, t, t)
            return
        if rank[level] > rank.get(zone.level, 0):
            zone.level, zone.formerly = level, None
        zone.clock = t

    def _draw(self, t: int) -> None:
        found = np.flatnonzero((self.detected <= t) & ~self.zoned)
        if not len(found):
            return
        self.zoned[found] = True
        homes = self.nodes[self.granularity][found]
        for ref in np.unique(homes[homes >= 0]).tolist():
            self._open(f"{self.granularity}:{ref}", self.granularity, int(ref), HIGH, t)
        if self.places_level is None:
            return
        first = max(0, t - self.warmup - self.days_before)
        for visits in self.kept_visits[first:]:
            mine = np.isin(visits.person, found)
            for venue in np.unique(visits.venue[mine]).tolist():
                if self.granularity == "compound":
                    community = int(self.city.venue_community[venue])
                    self._open(f"compound:{community}", "compound", community,
                               self.places_level, t)
                else:
                    self._open(f"venue:{venue}", "venue", int(venue), self.places_level, t)

    def _step_down(self, t: int) -> None:
        for zone in self.ledger.zones.values():
            if zone.lifted is not None:
                continue
            day = date.fromordinal(EPOCH_ORDINAL + self.day0 + t)
            clock = date.fromordinal(EPOCH_ORDINAL + self.day0 + zone.clock)
            # In the simulation a zone's round is negative when no case was found in it.
            rule = step_due(zone.level, zone.formerly, clock, day, True, self.preset)
            if rule is None:
                continue
            if ends_zone(rule.to_level):
                zone.lifted = t
            else:
                zone.formerly, zone.level, zone.clock = zone.level, rule.to_level, t

    def _restrict(self) -> None:
        self.high[:] = False
        self.medium[:] = False
        self.closed_venues = set()
        for zone in self.ledger.zones.values():
            if zone.lifted is not None:
                continue
            if zone.kind == "venue":
                self.closed_venues.add(zone.ref)
                continue
            inside = self.nodes[zone.kind] == zone.ref
            if zone.level == HIGH:
                self.high |= inside
            elif zone.level == MEDIUM:
                self.medium |= inside

    # ---------------------------------------------------------------- transmission

    def infect_in_groups(self, groups: Groups, setting: str, t: int, epoch_day: int,
                         weight: FloatArray, susceptible: BoolArray
                         ) -> tuple[IntArray, IntArray, IntArray, str]:
        """Residents of zones stay home: they meet their household only."""
        if setting != rules.HOUSEHOLD:
            held = self.high | self.medium
            weight = np.where(held, 0.0, weight)
            susceptible = susceptible & ~held
        return super().infect_in_groups(groups, setting, t, epoch_day, weight, susceptible)

    def infect_at_venues(self, visits: DayVisits, t: int, weight: FloatArray,
                         susceptible: BoolArray) -> tuple[IntArray, IntArray, IntArray, str]:
        """Residents of zones visit no venue, and closed venues receive nobody."""
        keep = ~(self.high | self.medium)[visits.person]
        if self.closed_venues:
            keep &= ~np.isin(visits.venue, np.fromiter(self.closed_venues, dtype=np.int64))
        return super().infect_at_venues(visits.subset(keep), t, weight, susceptible)


@dataclass(frozen=True)
class PresetOutcome:
    """What one preset cost and what it bought, over the written days."""

    preset: str
    resident_days: int
    peak_restricted: int
    zones_opened: int
    days_to_lift: int | None  # from the first zone to the last one lifted; None: still open
    infections: int
    restricted_by_day: list[int]


def outcome(run: ZonedSimulation) -> PresetOutcome:
    """The figures of a finished run (written days only)."""
    written = run.ledger.restricted[run.warmup:]
    zones = list(run.ledger.zones.values())
    opened = [z.opened for z in zones]
    still = any(z.lifted is None for z in zones)
    lifted = max((z.lifted for z in zones if z.lifted is not None), default=None)
    scenario_infections = int(((run.inf_day >= run.warmup)
                               & (run.inf_day != rules.NOT_INFECTED)).sum())
    return PresetOutcome(
        preset=run.preset.name, resident_days=int(sum(written)),
        peak_restricted=max(written, default=0), zones_opened=len(zones),
        days_to_lift=None if still or lifted is None or not opened
        else int(lifted - min(opened)),
        infections=scenario_infections, restricted_by_day=[int(v) for v in written])
