"""Pure rules of how an infection runs and spreads: daily hazards, Ct courses, and the
course an infection would take in each resident.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from epidesk.synth.engine import BoolArray, FloatArray, IntArray
from epidesk.synth.outbreak import rules as outbreak_rules
from epidesk.synth.outbreak.rules import (
    S_CLEARANCE,
    S_CLINIC,
    S_INCUBATION,
    S_INFECTIOUS,
    S_PEAK,
    S_RISE,
    S_SYMPTOMATIC,
    keyed_normal,
    keyed_uniform,
)

# Group settings use two streams each: whether a member is infected, and by whom.
SETTING_STREAM = {outbreak_rules.HOUSEHOLD: 100, outbreak_rules.WORK_GROUP: 200,
                  outbreak_rules.SCHOOL_CLASS: 300}


def daily_hazard(attack_rate: float, days: float) -> float:
    """The constant daily hazard that infects with probability `attack_rate` in `days`."""
    return float(-np.log1p(-attack_rate) / days)


def ct_course(tau: FloatArray, start: FloatArray, peak_at: FloatArray, end: FloatArray,
              peak: FloatArray, undetectable: float) -> FloatArray:
    """Ct value `tau` days after infection (`undetectable` outside start-end)."""
    tau = np.asarray(tau, dtype=np.float64)
    rising = (tau - start) / np.maximum(peak_at - start, 1e-9)
    falling = (tau - peak_at) / np.maximum(end - peak_at, 1e-9)
    ct = np.where(tau < peak_at, undetectable - rising * (undetectable - peak),
                  peak + falling * (undetectable - peak))
    inside = (tau > start) & (tau < end)
    result: FloatArray = np.where(inside, ct, undetectable)
    return result


# ------------------------------------------------------------------ courses of infection


@dataclass(frozen=True)
class Courses:
    """How an infection would run in each resident, drawn once for everyone."""

    symptomatic: BoolArray
    incubation: IntArray  # days from infection to symptom onset
    latent: IntArray  # days from infection to infectiousness
    infectious: IntArray  # days infectious
    weight: FloatArray  # relative infectiousness
    ct_start: FloatArray  # days after infection: Ct falls below the undetectable value
    ct_peak_at: FloatArray
    ct_end: FloatArray
    ct_peak: FloatArray
    clinic_delay: IntArray  # days from onset to the fever clinic


def disease_courses(people: int, seed: int, params: outbreak_rules.OutbreakParameters) -> Courses:
    """The course an infection would take in each of `people` residents."""
    who = np.arange(people, dtype=np.int64)
    symptomatic = keyed_uniform(seed, S_SYMPTOMATIC, who) < params.symptomatic_share
    mean, sd = params.incubation_mean_days, params.incubation_sd_days
    sigma2 = math.log(1 + sd**2 / mean**2)
    incubation_f = np.exp(math.log(mean) - sigma2 / 2
                          + math.sqrt(sigma2) * keyed_normal(seed, S_INCUBATION, who))
    incubation = np.maximum(1, np.round(incubation_f)).astype(np.int64)
    latent_f = np.maximum(1.0, incubation_f - params.presymptomatic_days)
    lo, hi = params.infectious_days
    infectious = lo + np.floor(keyed_uniform(seed, S_INFECTIOUS, who) * (hi - lo + 1)).astype(
        np.int64)
    peak = np.clip(params.ct_peak_mean + params.ct_peak_sd * keyed_normal(seed, S_PEAK, who),
                   15.0, 32.0)
    start = np.maximum(0.5, latent_f - 1.0)
    peak_at = start + params.ct_rise_days * (0.8 + 0.4 * keyed_uniform(seed, S_RISE, who))
    c_lo, c_hi = params.ct_clearance_days
    end = peak_at + c_lo + (c_hi - c_lo) * keyed_uniform(seed, S_CLEARANCE, who)
    shares = np.cumsum(params.fever_clinic_delay_shares)
    delay = np.searchsorted(shares / shares[-1], keyed_uniform(seed, S_CLINIC, who),
                            side="right").astype(np.int64)
    return Courses(
        symptomatic=symptomatic, incubation=incubation,
        latent=np.round(latent_f).astype(np.int64), infectious=infectious,
        weight=np.where(symptomatic, 1.0, params.asymptomatic_relative_infectiousness),
        ct_start=start, ct_peak_at=peak_at, ct_end=end, ct_peak=peak, clinic_delay=delay)
