"""The households and residents of the synthetic city as columns: sizes, ages and sex,
identity numbers, phones, names, vulnerability and household memberships.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from epidesk.kit.bulk import Categorical, CharMatrix, Column, Joined, Nullable
from epidesk.synth.city import rules
from epidesk.synth.city.places.engine import Areas
from epidesk.synth.engine import (
    BoolArray,
    ByteMatrix,
    IntArray,
    TableColumns,
    digit_chars,
    ids_of,
    positions_within,
    random_bits,
    row_ids,
    runs_of,
    sort_order,
)

REFERENCE_DAY = np.datetime64(rules.REFERENCE_DATE, "D")


# ------------------------------------------------------------------ households


def household_sizes(rng: np.random.Generator, comm_pop: IntArray) -> tuple[IntArray, IntArray]:
    """Sizes of households and their community, exactly filling each community."""
    people = int(comm_pop.sum())
    sizes, shares = rules.household_size_shares()
    drawn: list[IntArray] = []
    total = 0
    while total < people:
        batch = rng.choice(sizes, size=int((people - total) / rules.MEAN_HOUSEHOLD_SIZE * 1.05)
                           + 64, p=shares)
        drawn.append(batch)
        total += int(batch.sum())
    ends = np.cumsum(np.concatenate(drawn))
    bounds = np.cumsum(comm_pop)
    # A household that would straddle two communities is cut at the boundary.
    cuts = np.sort(np.concatenate([ends[ends < people], bounds]))
    cuts = runs_of(cuts)[0]
    starts = np.concatenate([[0], cuts[:-1]])
    return (cuts - starts).astype(np.int64), np.searchsorted(bounds, starts, side="right")


# ------------------------------------------------------------------ residents


@dataclass
class People:
    """What later steps need of every resident: household, community, age, sex, birth."""

    household: IntArray
    community: IntArray
    age: NDArray[np.int16]
    male: BoolArray
    birth: NDArray[np.datetime64]


def sample_ages(rng: np.random.Generator, n: int) -> NDArray[np.int16]:
    """Ages in whole years drawn from the census age pyramid."""
    shares = rules.age_band_shares()
    cdf = np.cumsum(shares)
    band = np.searchsorted(cdf / cdf[-1], rng.random(n), side="right").astype(np.int16)
    age = band * np.int16(5) + rng.integers(0, 5, n, dtype=np.int16)
    oldest = np.flatnonzero(band == len(shares) - 1)
    tail = np.floor(rng.exponential(4.0, len(oldest))).astype(np.int16)
    age[oldest] = np.minimum(band[oldest] * 5 + tail, rules.OLDEST_AGE)
    return age


def _assign_ages(rng: np.random.Generator, hh_size: IntArray, household: IntArray,
                 position: IntArray) -> tuple[NDArray[np.int16], BoolArray]:
    """Ages that follow the pyramid exactly and fit a family structure in each household.

    Each place in a household gets a target age (head, spouse of similar age, children a
    generation younger, a parent a generation older); then the ages drawn from the
    pyramid are handed out in the order of those targets, adults to adult places and
    children to child places. Returns the ages and which residents are spouses.
    """
    n, h = len(household), len(hh_size)
    ages = sample_ages(rng, n)
    adult = ages >= rules.ADULT_AGE
    places_for_children = n - h  # every household's first member is an adult
    children = int((~adult).sum())
    if children > places_for_children:
        extra = rng.choice(np.flatnonzero(~adult), children - places_for_children, replace=False)
        redraw = sample_ages(rng, 4 * len(extra) + 64)
        ages[extra] = redraw[redraw >= rules.ADULT_AGE][: len(extra)]
        adult = ages >= rules.ADULT_AGE
        children = places_for_children
    priority = rng.random(n) + (position < 2)
    priority[position == 0] = 3.0
    child_place = np.zeros(n, dtype=bool)
    if children:
        child_place[np.argpartition(priority, children - 1)[:children]] = True

    head = sample_ages(rng, 2 * h + 64)
    head = head[head >= 20][:h].astype(np.float64)
    if len(head) < h:
        head = np.concatenate([head, np.full(h - len(head), 40.0)])
    head_target = (head + rng.random(h))[household]
    spouse = (position == 1) & ~child_place & (rng.random(n) < 0.85)
    older = rng.random(n) < 0.5
    target = np.where(position == 0, head_target, 0.0)
    target = np.where(spouse, head_target + rng.normal(-2, 3, n), target)
    other = ~child_place & (position >= 1) & ~spouse
    target = np.where(other, head_target + np.where(older, 28.0, -27.0) + rng.normal(0, 4, n),
                      target)
    target = np.where(child_place, head_target - rng.uniform(22, 38, n), target)
    out = np.empty(n, dtype=np.int16)
    for places, pool in ((~child_place, ages[adult]), (child_place, ages[~adult])):
        idx = np.flatnonzero(places)
        # Targets to 1/4096 of a year, shifted to be positive, then sorted.
        ticks = np.round((target[idx] + 128.0) * 4096).astype(np.int64)
        out[idx[sort_order(np.clip(ticks, 0, None))]] = np.sort(pool)
    return out, spouse


def _birth_dates(rng: np.random.Generator, ages: NDArray[Any]) -> NDArray[np.datetime64]:
    """Birth dates such that each resident is exactly `age` on the reference date."""
    ref_month = REFERENCE_DAY.astype("datetime64[M]")
    day_offset = (REFERENCE_DAY - ref_month.astype("datetime64[D]")).astype(np.int64)
    birthday = (ref_month - 12 * np.asarray(ages, dtype=np.int64)).astype("datetime64[D]")
    birthday = birthday + day_offset
    births: NDArray[np.datetime64] = birthday - rng.integers(0, 365, len(ages))
    return births


def move_in_dates(rng: np.random.Generator, ages: NDArray[Any],
                  birth: NDArray[np.datetime64]) -> NDArray[np.datetime64]:
    """First days in the current household: birth for children, a drawn day for adults.

    An adult's day lies rules.MEAN_YEARS_AT_ADDRESS years back on average, never before
    their 18th birthday nor after the reference date.
    """
    n = len(ages)
    today = int(REFERENCE_DAY.astype(np.int64))
    years = rng.exponential(rules.MEAN_YEARS_AT_ADDRESS, n)
    # Days since 1970-01-01 throughout: plain integers are much faster than datetime64.
    drawn = today - (years * 365.25).astype(np.int64)
    # 18th birthdays of the few tens of thousands of distinct birth days, then looked up
    # per resident: the same day of the month 18 years on (29 February becomes 1 March).
    days = birth.astype("datetime64[D]").astype(np.int64)
    first = int(days.min()) if n else 0
    calendar = np.arange(first, int(days.max()) + 1 if n else 0).astype("datetime64[D]")
    month = calendar.astype("datetime64[M]")
    of_age = ((month + 12 * rules.ADULT_AGE).astype("datetime64[D]")
              + (calendar - month.astype("datetime64[D]"))).astype(np.int64)[days - first]
    start = np.minimum(np.maximum(drawn, of_age), today)
    adult = np.asarray(ages) >= rules.ADULT_AGE
    dates: NDArray[np.datetime64] = np.where(adult, start, days).view("datetime64[D]")
    return dates


_DAY_ZERO = np.datetime64("1800-01-01", "D")


def identity_order(rng: np.random.Generator, district: IntArray, birth: NDArray[np.datetime64],
                   male: BoolArray) -> tuple[IntArray, IntArray]:
    """Sequence numbers of identity numbers, and the order that sorts the identity numbers.

    The sequence is odd for men and even for women and unique among people of one
    district born on one day, so that region, birth date and sequence identify a person.
    """
    n = len(birth)
    days = birth.astype(np.int64) - _DAY_ZERO.astype(np.int64)
    key = (((district.astype(np.int64) << 17) | days) << 1 | male) << 12
    order = sort_order(key | random_bits(rng, n, 12))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = positions_within(runs_of(key[order])[2])
    sequence = rank * 2 + np.where(male, 1, 2)
    if n and sequence.max() > 999:
        raise ValueError("too many people share a district, birth date and sex")
    return sequence, sort_order((((district.astype(np.int64) << 17) | days) << 10) | sequence)


def id_numbers(district: IntArray, birth: NDArray[np.datetime64],
               sequence: IntArray) -> ByteMatrix:
    """18-character identity numbers (region, birth date, sequence, check character)."""
    n = len(birth)
    days = birth.astype(np.int64) - _DAY_ZERO.astype(np.int64)
    # Calendar dates of the few thousand distinct days, then looked up per resident.
    first = int(days.min()) if n else 0
    calendar = _DAY_ZERO + np.arange(first, int(days.max()) + 1 if n else 0)
    year = calendar.astype("datetime64[Y]").astype(np.int64) + 1970
    month = (calendar.astype("datetime64[M]") - calendar.astype("datetime64[Y]")).astype(np.int64)
    day = (calendar - calendar.astype("datetime64[M]")).astype(np.int64)
    yyyymmdd = (year * 100 + month + 1) * 100 + day + 1
    # Digits of each region, day and sequence number once, then gathered per resident.
    regions = digit_chars(int(rules.ID_REGION_PREFIX) * 100 + np.arange(int(district.max()) + 2
                                                                       if n else 1), 6)
    day_chars = digit_chars(yyyymmdd, 8).view(np.uint64).reshape(-1)
    chars = np.empty((n, 18), dtype=np.uint8)
    chars[:, 0:6] = regions[district + 1]
    chars[:, 6:14] = day_chars[days - first].view(np.uint8).reshape(n, 8)
    chars[:, 14:17] = digit_chars(np.arange(1000), 3)[sequence]
    chars[:, 17] = rules.id_check_characters(chars[:, :17] - 48)
    return chars


def phone_numbers(rng: np.random.Generator, has_phone: BoolArray) -> CharMatrix:
    """11-digit mobile numbers, unique and increasing row by row, NULL where there is none.

    Numbers rise by a random step from one resident to the next, across the prefixes in
    order; rows in phone order let the phone index be built from presorted input.
    """
    n = len(has_phone)
    prefixes = np.frombuffer("".join(rules.MOBILE_PREFIXES).encode(), dtype=np.uint8).reshape(-1, 3)
    capacity = len(prefixes) * 10**8
    step = max(2, capacity // (2 * max(1, n)))  # so that n steps never pass the last number
    number = np.cumsum(rng.integers(1, 2 * step, n, dtype=np.int64))
    chars = np.empty((n, 11), dtype=np.uint8)
    block = number // 10**8
    chars[:, :3] = prefixes[block]
    chars[:, 3:] = digit_chars(number - block * 10**8, 8)
    return CharMatrix(chars, null=~has_phone)


def _names(rng: np.random.Generator, household: IntArray, spouse: BoolArray,
           male: BoolArray) -> dict[str, Column]:
    """Chinese names in characters, pinyin, and lower-case pinyin for search."""
    n, h = len(household), int(household.max()) + 1 if len(household) else 0
    weights = np.array([s[2] for s in rules.SURNAMES])
    weights /= weights.sum()
    surname = rng.choice(len(weights), size=h, p=weights)[household]
    surname = np.where(spouse, rng.choice(len(weights), size=n, p=weights), surname)
    surname = surname.astype(np.int16)
    female_n, male_n = len(rules.GIVEN_FEMALE), len(rules.GIVEN_MALE)
    given = (*rules.GIVEN_FEMALE, *rules.GIVEN_MALE, ("", ""))

    def pick() -> IntArray:
        return np.where(male, female_n + rng.integers(0, male_n, n), rng.integers(0, female_n, n))

    # A given name is one or two characters: codes into every (first, second) pair.
    first = pick()
    second = np.where(rng.random(n) < rules.TWO_CHARACTER_GIVEN_NAME_SHARE, pick(),
                      len(given) - 1)
    given_code = (first * len(given) + second).astype(np.int32)
    pairs = [(a, b) for a in given for b in given]
    surnames = rules.SURNAMES
    return {
        "name": Joined((Categorical(tuple(s[0] for s in surnames), surname),
                        Categorical(tuple(a[0] + b[0] for a, b in pairs), given_code))),
        "name_latin": Joined((Categorical(tuple(s[1] + " " for s in surnames), surname),
                              Categorical(tuple(a[1].capitalize() + b[1] for a, b in pairs),
                                          given_code))),
        "name_search": Joined((Categorical(tuple(s[1].lower() + " " for s in surnames), surname),
                               Categorical(tuple(a[1] + b[1] for a, b in pairs), given_code))),
    }


def build_residents(rng: np.random.Generator, areas: Areas, hh_comm: IntArray, hh_size: IntArray,
                    tables: dict[str, TableColumns]) -> People:
    """Residents and their household memberships, into tables."""
    household = np.repeat(np.arange(len(hh_size)), hh_size)
    n = len(household)
    position = positions_within(hh_size)
    ages, spouse = _assign_ages(rng, hh_size, household, position)

    # Heads are more often men; a spouse is of the other sex; everyone else is drawn so
    # that the city's share of men matches the census.
    head_male = rng.random(len(hh_size)) < 0.6
    others = (position > 0) & ~spouse
    expected = rules.MALE_SHARE * n - head_male.sum() - (~head_male[household][spouse]).sum()
    p_other = float(np.clip(expected / max(1, others.sum()), 0, 1))
    male = np.where(position == 0, head_male[household],
                    np.where(spouse, ~head_male[household], rng.random(n) < p_other))
    birth = _birth_dates(rng, ages)
    district = areas.district_of_comm[hh_comm[household]]
    sequence, order = identity_order(rng, district, birth, male)

    # Residents are stored in identity-number order (district, birth date, sequence), so
    # that the unique index on identity numbers is built from presorted rows.
    household, ages, spouse, male, birth = (
        household[order], ages[order], spouse[order], male[order], birth[order])
    district, sequence = district[order], sequence[order]
    del order, position
    community = hh_comm[household]
    smartphone = rng.random(n) < rules.smartphone_probability(ages)
    has_phone = smartphone | ((ages >= rules.ADULT_AGE) & (rng.random(n) < rules.BASIC_PHONE_SHARE))
    tables["resident"] = {
        "id": row_ids(n),
        "household_id": ids_of(household),
        "community_id": ids_of(community),
        "id_number": CharMatrix(id_numbers(district, birth, sequence)),
        **_names(rng, household, spouse, male),
        "sex": Categorical(("F", "M"), male.astype(np.int8)),
        "birth_date": birth,
        "phone": phone_numbers(rng, has_phone),
        "has_smartphone": smartphone,
        "pregnant": rng.random(n) < rules.pregnancy_probability(ages, male),
        "disability": rng.random(n) < rules.disability_probability(ages),
        "chronic_medication": rng.random(n) < rules.chronic_medication_probability(ages),
    }
    # One open membership per resident, in resident order (drawn last, so that every
    # other column of the city is as it was before household memberships existed).
    tables["household_membership"] = {
        "id": row_ids(n),
        "household_id": ids_of(household),
        "resident_id": row_ids(n),
        "start_date": move_in_dates(rng, ages, birth),
        "end_date": Nullable(np.full(n, REFERENCE_DAY), np.ones(n, dtype=bool)),
    }
    # The language of their letters: a few residents read English (drawn after everything
    # else, so that the rest of the city is as it was before).
    tables["resident"]["language"] = Categorical(
        ("zh", "en"), (rng.random(n) < rules.ENGLISH_LETTER_SHARE).astype(np.int8))
    return People(household, community, ages, male, birth)
