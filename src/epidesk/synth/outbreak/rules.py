"""Pure rules of the outbreak scenario: its parameters with their sources, its checks,
and the keyed random numbers every decision draws.

Figures marked "published" are quoted from the named source; "approximation" means
our rounding of a published figure; "assumption" means ours, chosen to give a
plausible Omicron-era outbreak under China's 2022 measures (docs/PROTOCOLS: 9th
edition).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray

from epidesk.errors import ValidationFailedError
from epidesk.synth.engine import FloatArray

# `epidesk synth outbreak` spreads an infection over the city's households, work
# groups, school classes and venue co-visits and writes what the outbreak produces
# (lab batches, visit logs, symptom onsets).


MIN_OUTBREAK_DAYS = 1
MAX_OUTBREAK_DAYS = 90
MAX_TARGET_DAILY = 10_000.0

# Where an infection was acquired ("seed": before the scenario, from outside the city;
# "imported": by a traveller, found or missed at the port of entry).
HOUSEHOLD = "household"
WORK_GROUP = "work_group"
SCHOOL_CLASS = "school_class"
VENUE = "venue"
SEED = "seed"
IMPORTED = "imported"
SETTINGS = (HOUSEHOLD, WORK_GROUP, SCHOOL_CLASS, VENUE)
ORIGINS = (*SETTINGS, SEED, IMPORTED)
ORIGIN_CODES = {name: code for code, name in enumerate(ORIGINS)}


DAY_SECONDS = 86_400


NEVER = 1 << 40  # a day that never comes (scenario day index)
NOT_INFECTED = -(1 << 40)
_MASK64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15

# Streams of keyed random numbers, one per kind of decision.
(S_SYMPTOMATIC, S_INCUBATION, S_INFECTIOUS, S_PEAK, S_RISE, S_CLEARANCE, S_CLINIC,
 S_TRAVEL, S_IMPORT, S_IMPORT_DAYS, S_SEED, S_VENUE, S_PICK, S_PARTICIPATE, S_QUEUE,
 S_TIME, S_TURNAROUND, S_GENE, S_GENE2, S_GENE3, S_INVALID, S_FEVER, S_VISITS,
 S_ONSET_TIME, S_TRACED) = range(1, 26)


@dataclass(frozen=True)
class OutbreakParameters:
    """Everything that shapes an outbreak scenario apart from the city and the seed."""

    name: str
    # Mean new infections a day (local plus imported) over the scenario's days; the
    # transmission scale is fitted to it.
    target_daily: float
    # ---- course of infection
    incubation_mean_days: float
    incubation_sd_days: float
    presymptomatic_days: float
    infectious_days: tuple[int, int]
    symptomatic_share: float
    asymptomatic_relative_infectiousness: float
    # Viral load as a Ct value: undetectable (Ct 40) until about a day before the
    # infectious period, down to a peak `ct_rise_days` later, back to 40 after clearance.
    ct_undetectable: float
    ct_peak_mean: float
    ct_peak_sd: float
    ct_rise_days: float
    ct_clearance_days: tuple[float, float]
    ct_gene_sd: float
    ct_n_gene_offset: float
    # ---- transmission: secondary attack rates over the infectious period, turned into
    # daily hazards; venues by hour of overlap. The common scale is fitted.
    household_sar: float
    work_group_sar: float
    school_class_sar: float
    venue_hazard_per_hour: float
    # ---- introductions: seeds (from outside, no port test) every day from the warm-up
    # on, as a share of the target; imports by travellers tested at the port of entry
    warmup_days: int
    seeds_per_day_share: float
    imports_per_day: float
    travellers_per_thousand: float
    imported_days_before_arrival: tuple[int, int]
    # ---- testing and isolation
    citywide_round_every: int
    affected_days: int
    participation: float
    pool_size: int
    invalid_share: float
    fever_clinic_delay_shares: tuple[float, ...]
    background_fever_per_100k: float
    quarantine_days: int
    quarantine_test_days: tuple[int, ...]
    # Share of a case's work-group and class contacts found and quarantined (household
    # members always are).
    traced_share: float


# The default scenario: an Omicron outbreak found by mass testing, held at about 15 new
# infections a day, mostly asymptomatic, under the 9th edition's measures.
#
# - target_daily 15: published, Jining (Shandong), September 2022: about 15 new
#   infections a day, nearly all asymptomatic (local daily reports; the design brief).
# - incubation 3.42 days: published, Omicron (Wu Y et al., JAMA Netw Open 2022;
#   5(8):e2228008, meta-analysis); the spread (sd 1.5 days, lognormal) is an assumption.
# - presymptomatic 1 day, infectious 5-8 days: assumption, of the order reported for
#   Omicron culture positivity.
# - symptomatic share 10 %: approximation of Shanghai's spring 2022 wave, where about
#   nine in ten reported infections were asymptomatic (Shanghai Municipal Health
#   Commission daily reports, March-May 2022).
# - asymptomatic relative infectiousness 0.35: approximation of the relative risk of
#   transmission from asymptomatic index cases (Buitrago-Garcia D et al., PLoS Med 2020).
# - Ct kinetics (peak about 23, about 3 days from detectable to peak, 6-10 days of
#   clearance): approximation of the Omicron viral kinetics reported by Hay JA et al.
#   (eLife 2022); gene spread and the N-gene offset are assumptions.
# - household secondary attack rate 42.7 %: published, Omicron (Madewell ZJ et al.,
#   JAMA Netw Open 2022, meta-analysis). Work group 5 %, school class 3 %, venues 1 %
#   per hour of overlap: assumptions (lower, shorter and less close contact).
# - introductions: a quarter of the target a day is brought in from outside the city
#   by residents who pass no port-of-entry test (day trips, goods, unrecorded travel),
#   from 5 days before day 1 (the undetected start of the outbreak) to the end; and 1
#   imported infection a day among 1 traveller per 1,000 residents a day, who are
#   tested at the port of entry: assumptions. Without a steady trickle of
#   introductions an outbreak under daily pooled testing dies out within a week or two,
#   which is not what Jining saw for weeks.
# - testing: city-wide rounds every 3 days and daily rounds in communities with a case
#   in the last 3 days; "affected districts test daily" (PROTOCOLS, 9th, UNCONFIRMED);
#   10-in-1 pools (regional testing guide); 90 % take part in a round (assumption);
#   0.2 % of tubes invalid (assumption).
# - fever clinics: symptomatic people come 0, 1 or 2 days after onset (40/40/20 %),
#   and 20 people per 100,000 a day come with another fever (assumption).
# - close contacts (household, work group, class) 7 days in centralized quarantine
#   with tests on days 1, 2, 3, 5 and 7, from the day after the case's result (9th
#   edition; PROTOCOLS); `traced_share` below 1 leaves colleagues and classmates out.
# - the transmission scale is fitted to the target for the city and seed at hand
#   (`engine.calibrate`); it comes out at about 4, i.e. far more transmission in the
#   day or two before detection than the attack rates above imply over a whole
#   infectious period.
JINING_LIKE = OutbreakParameters(
    name="jining-like",
    target_daily=15.0,
    incubation_mean_days=3.42,
    incubation_sd_days=1.5,
    presymptomatic_days=1.0,
    infectious_days=(5, 8),
    symptomatic_share=0.10,
    asymptomatic_relative_infectiousness=0.35,
    ct_undetectable=40.0,
    ct_peak_mean=23.0,
    ct_peak_sd=3.0,
    ct_rise_days=3.0,
    ct_clearance_days=(6.0, 10.0),
    ct_gene_sd=0.7,
    ct_n_gene_offset=-0.8,
    household_sar=0.427,
    work_group_sar=0.05,
    school_class_sar=0.03,
    venue_hazard_per_hour=0.01,
    warmup_days=5,
    seeds_per_day_share=0.25,
    imports_per_day=1.0,
    travellers_per_thousand=1.0,
    imported_days_before_arrival=(1, 4),
    citywide_round_every=3,
    affected_days=3,
    participation=0.9,
    pool_size=10,
    invalid_share=0.002,
    fever_clinic_delay_shares=(0.4, 0.4, 0.2),
    background_fever_per_100k=20.0,
    quarantine_days=7,
    quarantine_test_days=(1, 2, 3, 5, 7),
    traced_share=1.0,
)


def validate_outbreak_days(days: int) -> int:
    """The number of days of a scenario, or ValidationFailedError when out of range."""
    if isinstance(days, bool) or not isinstance(days, int | np.integer):
        raise ValidationFailedError(f"days must be a whole number, not {days!r}")
    if not MIN_OUTBREAK_DAYS <= days <= MAX_OUTBREAK_DAYS:
        raise ValidationFailedError(
            f"days must be between {MIN_OUTBREAK_DAYS} and {MAX_OUTBREAK_DAYS} (got {days})")
    return int(days)


def validate_target_daily(target: float) -> float:
    """The target of new infections a day, or ValidationFailedError."""
    value = float(target)
    if not np.isfinite(value) or not 0 < value <= MAX_TARGET_DAILY:
        raise ValidationFailedError(
            f"the target must be above 0 and at most {MAX_TARGET_DAILY:,.0f} new infections "
            f"a day (got {target})")
    return value


def default_first_day(days: int, today: date) -> date:
    """The first day of a scenario whose last day is yesterday."""
    return date.fromordinal(today.toordinal() - days)


def scenario_window_problem(first_day: date, days: int, today: date) -> str | None:
    """None when a scenario of `days` from `first_day` has ended by yesterday, else why."""
    last = date.fromordinal(first_day.toordinal() + days - 1)
    if last >= today:
        return (f"the scenario would end on {last}, but its last day must be over: "
                f"yesterday ({date.fromordinal(today.toordinal() - 1)}) at the latest")
    return None


def day_dir(day: int) -> str:
    """The folder of a scenario day (1-based): day-01, day-02, ..."""
    return f"day-{day:02d}"


def scenario_tag(seed: int, first_day: date, city_code: str) -> str:
    """Four letters that keep the barcodes of one scenario apart from another's."""
    digest = int.from_bytes(
        hashlib.sha256(f"{seed}:{first_day}:{city_code}".encode()).digest()[:4], "big")
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"
    out = []
    for _ in range(4):
        digest, k = divmod(digest, len(letters))
        out.append(letters[k])
    return "".join(out)


def _mix(z: NDArray[np.uint64]) -> NDArray[np.uint64]:
    """The splitmix64 finaliser on every element (wrapping unsigned arithmetic)."""
    z = z ^ (z >> np.uint64(30))
    z = z * np.uint64(0xBF58476D1CE4E5B9)
    z = z ^ (z >> np.uint64(27))
    z = z * np.uint64(0x94D049BB133111EB)
    mixed: NDArray[np.uint64] = z ^ (z >> np.uint64(31))
    return mixed


def _keyed_bits(seed: int, stream: int, keys: tuple[NDArray[Any] | int, ...]
                ) -> NDArray[np.uint64]:
    arrays = [np.atleast_1d(np.asarray(k, dtype=np.int64)) for k in keys]
    shape = np.broadcast_shapes(*(a.shape for a in arrays)) if arrays else (1,)
    start = np.array([(seed * _GOLDEN + stream * 0xD1B54A32D192ED03) & _MASK64],
                     dtype=np.uint64)
    h = _mix(np.broadcast_to(start, shape).copy())
    for a in arrays:
        h = _mix(h ^ (np.broadcast_to(a, shape).astype(np.uint64) * np.uint64(_GOLDEN)))
    return h


def keyed_uniform(seed: int, stream: int, *keys: NDArray[Any] | int) -> FloatArray:
    """Uniform numbers in [0, 1) that depend only on the seed, the stream and the keys."""
    bits = _keyed_bits(seed, stream, keys) >> np.uint64(11)
    uniform: FloatArray = bits.astype(np.float64) * (1.0 / (1 << 53))
    return uniform


def keyed_normal(seed: int, stream: int, *keys: NDArray[Any] | int) -> FloatArray:
    """Standard normal numbers keyed like keyed_uniform (Box-Muller on two streams)."""
    u1 = keyed_uniform(seed, stream, *keys)
    u2 = keyed_uniform(seed, stream + 10_000, *keys)
    normal: FloatArray = np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)
    return normal


def keyed_seed(seed: int, stream: int, *keys: int) -> int:
    """A seed for numpy's generators derived from the seed, a stream and keys."""
    return int(_keyed_bits(seed, stream, tuple(keys))[0] >> np.uint64(1))
