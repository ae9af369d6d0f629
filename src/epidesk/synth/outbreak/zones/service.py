"""Run the synthetic outbreak under each preset, closed-loop, on the database's city."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from epidesk.policy.rules import quarantine_end
from epidesk.policy.schemas import Preset
from epidesk.synth import rules as synth_rules
from epidesk.synth.outbreak import engine, rules
from epidesk.synth.outbreak.service import city_today, load_outbreak_city
from epidesk.synth.outbreak.spread import engine as spread_engine
from epidesk.synth.outbreak.spread.rules import disease_courses
from epidesk.synth.outbreak.testing.service import testing_rules
from epidesk.synth.outbreak.zones.engine import PresetOutcome, ZonedSimulation, outcome
from epidesk.zoning.tree import service as zoning

Progress = Any


def _quarantine_days(preset: Preset) -> int:
    """Days a close contact spends in quarantine under the preset (all stages)."""
    start = date(2000, 1, 1)
    end = quarantine_end("close_contact", start, preset)
    return max(1, (end - start).days) if end is not None else 1


def compare_presets(session: Session, *, presets: list[Preset], days: int, seed: int,
                    first_day: date | None = None, target_daily: float | None = None,
                    progress: Progress | None = None) -> list[PresetOutcome]:
    """The same city, seed and importations under each preset: resident-days restricted,
    peak restricted, zones opened, days to lift and infections, side by side. The
    transmission scale is fitted once (to the target under the first preset) and kept."""
    days = rules.validate_outbreak_days(days)
    seed = synth_rules.validate_seed(seed)
    target = rules.validate_target_daily(
        rules.JINING_LIKE.target_daily if target_daily is None else target_daily)
    first = first_day or rules.default_first_day(days, city_today())
    city = load_outbreak_city(session)
    tree = zoning.load_tree(session)
    first_epoch = first.toordinal() - spread_engine.EPOCH_ORDINAL
    base = dataclasses.replace(rules.JINING_LIKE, target_daily=target)
    fit = engine.calibrate(city, dataclasses.replace(
        base, pool_size=testing_rules(presets[0]).pool_size,
        quarantine_days=_quarantine_days(presets[0])), testing_rules(presets[0]), seed=seed,
        days=days, first_epoch_day=first_epoch,
        progress=(lambda d, t: progress("calibrate", d, t)) if progress else None)
    courses = disease_courses(city.people, seed, base)
    visits = spread_engine.outbreak_visits(city, seed=seed, first_epoch_day=first_epoch
                                           - base.warmup_days, days=base.warmup_days + days)
    household_of = np.full(city.people, -1, dtype=np.int64)
    household_of[city.households.person] = city.households.group
    person_address = tree.address_of_households(household_of)
    found: list[PresetOutcome] = []
    for i, preset in enumerate(presets):
        lab = testing_rules(preset)
        params = dataclasses.replace(base, pool_size=lab.pool_size,
                                     quarantine_days=_quarantine_days(preset))
        run = ZonedSimulation(city, params, lab, courses, visits, seed=seed, days=days,
                              first_epoch_day=first_epoch, scale=fit.scale, preset=preset,
                              tree=tree, person_address=person_address)
        run.run()
        found.append(outcome(run))
        if progress is not None:
            progress("presets", i + 1, len(presets))
    return found
