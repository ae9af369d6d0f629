"""The synthetic city as numpy column arrays, table by table, and an outbreak spreading
over it day by day: no session, no I/O.

Every step is vectorised over all rows of a table; Python loops run over short lists
(building types, school stages, place names, communities, days), never over residents
or households. Each part of the city draws from its own random stream spawned from the
seed, so the same seed always gives the same city, whatever database it is written to;
the outbreak draws keyed random numbers (see `keyed_uniform`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from epidesk.kit import clock
from epidesk.kit.bulk import Categorical, CharMatrix, Column, Joined, Nullable
from epidesk.synth import rules
from epidesk.tracing.visits.engine import VenueTable, iso_times, synthetic_visits

IntArray: TypeAlias = NDArray[np.int64]
FloatArray: TypeAlias = NDArray[np.float64]
BoolArray: TypeAlias = NDArray[np.bool_]
ByteMatrix: TypeAlias = NDArray[np.uint8]
TableColumns: TypeAlias = dict[str, Column]
Step: TypeAlias = Callable[[str], None]

# Tables in an order that satisfies every foreign key.
TABLE_ORDER = (
    "city", "district", "subdistrict", "community", "building", "unit", "address",
    "household", "resident", "household_membership", "school", "school_class",
    "class_membership",
    "workplace", "work_group", "work_group_membership", "venue",
)
GENERATION_STEPS = ("areas", "households", "dwellings", "residents", "schools", "work",
                    "venues")

# Where the synthetic city lies, and the grid cell of one community (about 500 m).
CITY_CENTRE = (116.60, 35.40)  # lon, lat
CELL_LON = 0.0055
CELL_LAT = 0.0045
KM_PER_DEGREE_LAT = 111.0
REFERENCE_DAY = np.datetime64(rules.REFERENCE_DATE, "D")
COORDINATE_DECIMALS = 6
# Bits that hold a resident's position in packed sort keys.
RESIDENT_BITS = max(25, rules.MAX_PEOPLE.bit_length())


@dataclass
class GeneratedCity:
    """Every table of one synthetic city as columns, in foreign-key order."""

    name: str
    people: int
    seed: int
    tables: dict[str, TableColumns]

    def rows(self) -> dict[str, int]:
        """Row count of each table."""
        return {name: _length(next(iter(cols.values()))) for name, cols in self.tables.items()}


def _length(column: Column) -> int:
    return len(column)


# ------------------------------------------------------------------ small helpers


def _within(counts: NDArray[Any]) -> IntArray:
    """0, 1, 2 ... inside each of consecutive groups of the given sizes."""
    counts = np.asarray(counts, dtype=np.int64)
    starts = np.cumsum(counts) - counts
    within: IntArray = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(starts, counts)
    return within


def _starts(counts: NDArray[Any]) -> IntArray:
    """Offset of the first element of each of consecutive groups of the given sizes."""
    counts = np.asarray(counts, dtype=np.int64)
    starts: IntArray = np.cumsum(counts) - counts
    return starts


def sort_order(key: NDArray[Any]) -> IntArray:
    """The stable sorting permutation of non-negative integer keys (ties by position).

    The position is packed into the low bits of each key so that a plain sort, much
    faster than an indirect one, yields the permutation.
    """
    key = np.asarray(key, dtype=np.int64)
    n = len(key)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    bits = max(1, int(n - 1).bit_length())
    if key.min() < 0 or int(key.max()) >= 1 << (63 - bits):
        return np.argsort(key, kind="stable")
    packed = np.sort((key << bits) | np.arange(n, dtype=np.int64))
    order: IntArray = packed & ((1 << bits) - 1)
    return order


def _random_bits(rng: np.random.Generator, n: int, bits: int = 20) -> IntArray:
    return rng.integers(0, 1 << bits, n, dtype=np.int64)


def _runs(sorted_keys: IntArray) -> tuple[IntArray, IntArray, IntArray]:
    """Distinct values of sorted keys with the start and length of each run."""
    n = len(sorted_keys)
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty
    change = np.empty(n, dtype=bool)
    change[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=change[1:])
    starts = np.flatnonzero(change)
    counts = np.diff(np.append(starts, n))
    return sorted_keys[starts], starts, counts


# ASCII of 0000 ... 9999, four bytes each, gathered as one 32-bit word per number.
_FOUR_DIGITS = np.frombuffer("".join(f"{i:04d}" for i in range(10_000)).encode(),
                             dtype=np.uint32)


def digit_chars(values: NDArray[Any], width: int) -> ByteMatrix:
    """Zero-padded ASCII digits of non-negative integers, `width` characters each."""
    rest = np.asarray(values, dtype=np.int64)
    if len(rest) and int(rest.max()) < 2**32:
        rest = rest.astype(np.uint32)  # 32-bit division is much cheaper
    out = np.empty((len(rest), width), dtype=np.uint8)
    end = width
    while end > 0:
        take = min(4, end)
        rest, block = np.divmod(rest, 10_000)
        chars = _FOUR_DIGITS[block].view(np.uint8).reshape(-1, 4)
        out[:, end - take : end] = chars[:, 4 - take :]
        end -= take
    return out


def _ids(n: int) -> NDArray[np.int32]:
    return np.arange(1, n + 1, dtype=np.int32)


def _fk(index: NDArray[Any]) -> NDArray[np.int32]:
    """Database ids (1-based) from 0-based row positions."""
    return (np.asarray(index) + 1).astype(np.int32)


def _numbers(values: NDArray[Any]) -> Categorical:
    """Whole numbers as text."""
    values = np.asarray(values, dtype=np.int64)
    top = int(values.max()) if len(values) else 0
    return Categorical(tuple(str(i) for i in range(top + 1)), values)


def _constant(text: str, rows: int) -> Categorical:
    return Categorical.constant(text, rows)


def _choice_from(rng: np.random.Generator, options: list[tuple[int, ...]],
                 which: NDArray[Any]) -> IntArray:
    """For each row pick uniformly one value of options[which[row]]."""
    width = max(len(o) for o in options)
    table = np.zeros((len(options), width), dtype=np.int64)
    sizes = np.array([len(o) for o in options], dtype=np.int64)
    for i, o in enumerate(options):
        table[i, : len(o)] = o
    which = np.asarray(which, dtype=np.int64)
    pick = np.floor(rng.random(len(which)) * sizes[which]).astype(np.int64)
    picked: IntArray = table[which, pick]
    return picked


def _point_in(rng: np.random.Generator, rects: FloatArray, which: NDArray[Any]) -> tuple[
        FloatArray, FloatArray]:
    """A random point well inside the rectangle of each row's community."""
    r = rects[np.asarray(which, dtype=np.int64)]
    fx, fy = rng.uniform(0.15, 0.85, len(r)), rng.uniform(0.15, 0.85, len(r))
    lon = r[:, 0] + fx * (r[:, 2] - r[:, 0])
    lat = r[:, 1] + fy * (r[:, 3] - r[:, 1])
    return np.round(lon, COORDINATE_DECIMALS), np.round(lat, COORDINATE_DECIMALS)


def _decimal_chars(values: FloatArray, decimals: int = COORDINATE_DECIMALS) -> ByteMatrix | None:
    """Fixed-width ASCII of non-negative numbers that share their count of integer digits."""
    scaled = np.round(np.asarray(values, dtype=np.float64) * 10**decimals).astype(np.int64)
    if len(scaled) == 0 or scaled.min() < 10**decimals:
        return None
    digits_int = len(str(int(scaled.min()) // 10**decimals))
    if len(str(int(scaled.max()) // 10**decimals)) != digits_int:
        return None
    total = digits_int + decimals
    powers = 10 ** np.arange(total - 1, -1, -1, dtype=np.int64)
    digits = ((scaled[:, None] // powers) % 10 + 48).astype(np.uint8)
    out = np.empty((len(scaled), total + 1), dtype=np.uint8)
    out[:, :digits_int] = digits[:, :digits_int]
    out[:, digits_int] = ord(".")
    out[:, digits_int + 1 :] = digits[:, digits_int:]
    return out


def ring_json(lons: FloatArray, lats: FloatArray) -> CharMatrix | Categorical:
    """Polygon rings as JSON text [[lon,lat],...], one ring per row of the (n, k) inputs."""
    n, k = lons.shape
    lon_chars = _decimal_chars(lons.reshape(-1))
    lat_chars = _decimal_chars(lats.reshape(-1))
    if lon_chars is None or lat_chars is None:
        return Categorical.of([
            "[" + ",".join(f"[{lons[i, j]:.6f},{lats[i, j]:.6f}]" for j in range(k)) + "]"
            for i in range(n)
        ])
    lon_chars = lon_chars.reshape(n, k, -1)
    lat_chars = lat_chars.reshape(n, k, -1)

    def const(text: str) -> ByteMatrix:
        return np.broadcast_to(np.frombuffer(text.encode(), dtype=np.uint8), (n, len(text)))

    pieces: list[ByteMatrix] = [const("[")]
    for j in range(k):
        pieces += [const("["), lon_chars[:, j], const(","), lat_chars[:, j], const("]")]
        if j < k - 1:
            pieces.append(const(","))
    pieces.append(const("]"))
    return CharMatrix(np.concatenate(pieces, axis=1))


def rectangle_rings(x0: FloatArray, y0: FloatArray, x1: FloatArray, y1: FloatArray) -> tuple[
        FloatArray, FloatArray]:
    """Closed rectangle rings (five corners, counter-clockwise) as (n, 5) lon and lat."""
    lons = np.stack([x0, x1, x1, x0, x0], axis=1)
    lats = np.stack([y0, y0, y1, y1, y0], axis=1)
    return np.round(lons, COORDINATE_DECIMALS), np.round(lats, COORDINATE_DECIMALS)


def hilbert_cells(d: IntArray, order: int) -> tuple[IntArray, IntArray]:
    """(x, y) cells of positions d along a Hilbert curve over a 2**order square grid."""
    x = np.zeros(len(d), dtype=np.int64)
    y = np.zeros(len(d), dtype=np.int64)
    t = np.asarray(d, dtype=np.int64).copy()
    s = 1
    while s < (1 << order):
        rx = 1 & (t // 2)
        ry = 1 & (t ^ rx)
        rotate = ry == 0
        flip = rotate & (rx == 1)
        x = np.where(flip, s - 1 - x, x)
        y = np.where(flip, s - 1 - y, y)
        x, y = np.where(rotate, y, x), np.where(rotate, x, y)
        x += s * rx
        y += s * ry
        t //= 4
        s *= 2
    return x, y


def _place_names(rng: np.random.Generator, count: int,
                 suffixes: tuple[tuple[str, str], ...]) -> tuple[list[str], list[str], list[str]]:
    """Distinct place names: (local names, latin names, latin names without suffix)."""
    syllables = rules.PLACE_SYLLABLES
    p, s = len(syllables), len(suffixes)
    combos = p * (p - 1) * s
    if count > combos:
        raise ValueError(f"cannot name {count} places from {combos} combinations")
    picks = rng.choice(combos, size=count, replace=False)
    local, latin, base = [], [], []
    for idx in picks.tolist():
        suffix, pair = idx % s, idx // s
        first, second = pair // (p - 1), pair % (p - 1)
        second += second >= first
        (c1, p1), (c2, p2) = syllables[first], syllables[second]
        name = (p1 + p2).capitalize()
        local.append(c1 + c2 + suffixes[suffix][0])
        latin.append(name + suffixes[suffix][1])
        base.append(name)
    return local, latin, base


def _pair_names(rng: np.random.Generator, rows: int) -> Categorical:
    """A random two-syllable latin name per row (names may repeat)."""
    syllables = rules.PLACE_SYLLABLES
    vocab = tuple((a[1] + b[1]).capitalize() for a in syllables for b in syllables)
    return Categorical(vocab, rng.integers(0, len(vocab), rows).astype(np.int32))


# ------------------------------------------------------------------ areas


@dataclass
class _Areas:
    plan: rules.HierarchyPlan
    name: str
    district_of_sub: IntArray
    sub_of_comm: IntArray
    district_of_comm: IntArray
    comm_pop: IntArray
    comm_rect: FloatArray  # (C, 4): lon0, lat0, lon1, lat1
    sub_base: list[str]
    district_base: list[str]


def _areas(rng: np.random.Generator, people: int, tables: dict[str, TableColumns]) -> _Areas:
    plan = rules.plan_hierarchy(people)
    d_n, s_n, c_n = plan.districts, plan.subdistricts, plan.communities
    subs_per_district = rules.allocate(s_n, rng.lognormal(0, 0.25, d_n), minimum=1)
    comms_per_sub = rules.allocate(c_n, rng.lognormal(0, 0.25, s_n), minimum=1)
    comm_pop = rules.allocate(people, rng.lognormal(0, 0.3, c_n), minimum=1)
    district_of_sub = np.repeat(np.arange(d_n), subs_per_district)
    sub_of_comm = np.repeat(np.arange(s_n), comms_per_sub)
    district_of_comm = district_of_sub[sub_of_comm]

    # Communities along a Hilbert curve, so subdistricts and districts are compact areas.
    order = max(0, math.ceil(math.log(c_n, 4))) if c_n > 1 else 0
    cells = 4**order
    position = (np.arange(c_n, dtype=np.int64) * cells) // c_n
    gx, gy = hilbert_cells(position, order)
    side = 1 << order
    cell_lon0 = CITY_CENTRE[0] + (gx - side / 2) * CELL_LON
    cell_lat0 = CITY_CENTRE[1] + (gy - side / 2) * CELL_LAT
    fill = np.clip(0.6 * np.sqrt(comm_pop / rules.RESIDENTS_PER_COMMUNITY), 0.35, 0.9)
    slack_x = (1 - fill) * rng.uniform(0.2, 0.8, c_n)
    slack_y = (1 - fill) * rng.uniform(0.2, 0.8, c_n)
    lon0 = cell_lon0 + slack_x * CELL_LON
    lat0 = cell_lat0 + slack_y * CELL_LAT
    lon1, lat1 = lon0 + fill * CELL_LON, lat0 + fill * CELL_LAT
    comm_rect = np.stack([lon0, lat0, lon1, lat1], axis=1)
    c_lon = np.round((lon0 + lon1) / 2, COORDINATE_DECIMALS)
    c_lat = np.round((lat0 + lat1) / 2, COORDINATE_DECIMALS)

    city_local, city_latin, _ = _place_names(rng, 1 + rules.NEIGHBOUR_CITIES, (rules.CITY_SUFFIX,))
    d_local, d_latin, d_base = _place_names(rng, d_n, (rules.DISTRICT_SUFFIX,))
    s_local, s_latin, s_base = _place_names(rng, s_n, (rules.SUBDISTRICT_SUFFIX,))
    c_local, c_latin, _ = _place_names(rng, c_n, rules.COMMUNITY_SUFFIXES)

    # The home city and its neighbours, which host quarantine sites; only the home city
    # has generated residents, so the neighbours' population is 0.
    k = rules.NEIGHBOUR_CITIES
    distance = np.round(rng.uniform(*rules.NEIGHBOUR_DISTANCE_KM, k), 1)
    bearing = rng.uniform(0, 2 * np.pi) + np.arange(k) * 2 * np.pi / k + rng.uniform(-0.3, 0.3, k)
    n_lat = CITY_CENTRE[1] + distance * np.cos(bearing) / KM_PER_DEGREE_LAT
    n_lon = CITY_CENTRE[0] + distance * np.sin(bearing) / (
        KM_PER_DEGREE_LAT * np.cos(np.radians(CITY_CENTRE[1])))
    tables["city"] = {
        "id": _ids(1 + k),
        "code": Categorical.of(["HOME"] + [f"NB{i + 1:02d}" for i in range(k)]),
        "name": Categorical.of(city_latin),
        "name_local": Categorical.of(city_local),
        "kind": Categorical(("home", "neighbour"), np.array([0] + [1] * k, dtype=np.int8)),
        "centroid_lat": np.round(np.concatenate([[CITY_CENTRE[1]], n_lat]), COORDINATE_DECIMALS),
        "centroid_lon": np.round(np.concatenate([[CITY_CENTRE[0]], n_lon]), COORDINATE_DECIMALS),
        "distance_km": np.concatenate([[0.0], distance]),
        "population": np.array([people] + [0] * k, dtype=np.int32),
    }

    def mean_of(values: FloatArray, groups: IntArray, n: int) -> FloatArray:
        return np.round(np.bincount(groups, values, n) / np.bincount(groups, minlength=n),
                        COORDINATE_DECIMALS)

    d_codes = [f"D{d + 1:02d}" for d in range(d_n)]
    s_within = _within(subs_per_district)
    s_codes = [f"{d_codes[d]}-S{w + 1:02d}"
               for d, w in zip(district_of_sub.tolist(), s_within.tolist(), strict=True)]
    c_within = _within(comms_per_sub)
    c_codes = [f"{s_codes[s]}-C{w + 1:03d}"
               for s, w in zip(sub_of_comm.tolist(), c_within.tolist(), strict=True)]
    tables["district"] = {
        "id": _ids(d_n),
        "city_id": np.ones(d_n, dtype=np.int32),
        "code": Categorical.of(d_codes),
        "name": Categorical.of(d_latin),
        "name_local": Categorical.of(d_local),
        "centroid_lat": mean_of(c_lat, district_of_comm, d_n),
        "centroid_lon": mean_of(c_lon, district_of_comm, d_n),
        "population": np.bincount(district_of_comm, comm_pop, d_n).astype(np.int32),
    }
    tables["subdistrict"] = {
        "id": _ids(s_n),
        "district_id": _fk(district_of_sub),
        "code": Categorical.of(s_codes),
        "name": Categorical.of(s_latin),
        "name_local": Categorical.of(s_local),
        "centroid_lat": mean_of(c_lat, sub_of_comm, s_n),
        "centroid_lon": mean_of(c_lon, sub_of_comm, s_n),
        "population": np.bincount(sub_of_comm, comm_pop, s_n).astype(np.int32),
    }
    ring_lon, ring_lat = rectangle_rings(lon0, lat0, lon1, lat1)
    tables["community"] = {
        "id": _ids(c_n),
        "subdistrict_id": _fk(sub_of_comm),
        "code": Categorical.of(c_codes),
        "name": Categorical.of(c_latin),
        "name_local": Categorical.of(c_local),
        "centroid_lat": c_lat,
        "centroid_lon": c_lon,
        "polygon": ring_json(ring_lon, ring_lat),
        "population": comm_pop.astype(np.int32),
    }
    return _Areas(plan, city_latin[0], district_of_sub, sub_of_comm, district_of_comm,
                  comm_pop, comm_rect, s_base, d_base)


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
    cuts = _runs(cuts)[0]
    starts = np.concatenate([[0], cuts[:-1]])
    return (cuts - starts).astype(np.int64), np.searchsorted(bounds, starts, side="right")


# ------------------------------------------------------------------ dwellings


def _dwellings(rng: np.random.Generator, areas: _Areas, hh_comm: IntArray, hh_size: IntArray,
               tables: dict[str, TableColumns]) -> None:
    c_n = areas.plan.communities
    households = np.bincount(hh_comm, minlength=c_n)
    types = rules.BUILDING_TYPES
    kind = rng.choice(len(types), size=c_n, p=[t.weight for t in types])
    floors = _choice_from(rng, [t.floors for t in types], kind)
    units = _choice_from(rng, [t.units for t in types], kind)
    doors = _choice_from(rng, [t.doors for t in types], kind)
    vacancy = rng.uniform(*rules.VACANCY_RANGE, c_n)
    flats_needed = np.ceil(households / (1 - vacancy)).astype(np.int64)
    per_building = floors * units * doors
    buildings = np.maximum(1, -(-flats_needed // per_building))

    b_comm = np.repeat(np.arange(c_n), buildings)
    b_number = _within(buildings) + 1
    b_n = len(b_comm)

    # Buildings in rows and columns inside the community's rectangle.
    rect = areas.comm_rect
    width_m = (rect[:, 2] - rect[:, 0]) * np.cos(np.radians(CITY_CENTRE[1]))
    height_m = rect[:, 3] - rect[:, 1]
    cols = np.maximum(1, np.ceil(np.sqrt(buildings * width_m / height_m))).astype(np.int64)
    rows = -(-buildings // cols)
    k = b_number - 1
    col, row = k % cols[b_comm], k // cols[b_comm]
    slot_w = (rect[b_comm, 2] - rect[b_comm, 0]) / cols[b_comm]
    slot_h = (rect[b_comm, 3] - rect[b_comm, 1]) / rows[b_comm]
    footprint_w = np.array([0.75, 0.6, 0.45])[kind[b_comm]]
    footprint_h = np.array([0.35, 0.4, 0.45])[kind[b_comm]]
    cx = rect[b_comm, 0] + (col + 0.5) * slot_w
    cy = rect[b_comm, 1] + (row + 0.5) * slot_h
    x0, x1 = cx - footprint_w * slot_w / 2, cx + footprint_w * slot_w / 2
    y0, y1 = cy - footprint_h * slot_h / 2, cy + footprint_h * slot_h / 2
    ring_lon, ring_lat = rectangle_rings(x0, y0, x1, y1)
    tables["building"] = {
        "id": _ids(b_n),
        "community_id": _fk(b_comm),
        "number": b_number.astype(np.int32),
        "floors": floors[b_comm].astype(np.int32),
        "centroid_lat": np.round(cy, COORDINATE_DECIMALS),
        "centroid_lon": np.round(cx, COORDINATE_DECIMALS),
        "polygon": ring_json(ring_lon, ring_lat),
    }

    u_building = np.repeat(np.arange(b_n), units[b_comm])
    u_n = len(u_building)
    tables["unit"] = {
        "id": _ids(u_n),
        "building_id": _fk(u_building),
        "number": (_within(units[b_comm]) + 1).astype(np.int32),
    }

    u_comm = b_comm[u_building]
    flats_per_unit = floors[u_comm] * doors[u_comm]
    a_unit = np.repeat(np.arange(u_n), flats_per_unit)
    a_comm = u_comm[a_unit]
    a_k = _within(flats_per_unit)
    a_doors = doors[a_comm]
    tables["address"] = {
        "id": _ids(len(a_unit)),
        "unit_id": _fk(a_unit),
        "community_id": _fk(a_comm),
        "floor": (a_k // a_doors + 1).astype(np.int32),
        "door": (a_k % a_doors + 1).astype(np.int32),
    }

    # Households move into a random choice of each community's flats, in address order.
    order = sort_order((a_comm << 20) | _random_bits(rng, len(a_comm)))
    rank = _within(np.bincount(a_comm, minlength=c_n))
    chosen = np.sort(order[rank < households[a_comm[order]]])
    suitable = rng.random(len(hh_size)) < rules.home_suitable_probability(hh_size)
    tables["household"] = {
        "id": _ids(len(hh_size)),
        "address_id": _fk(chosen),
        "community_id": _fk(hh_comm),
        "home_suitable": suitable,
    }


# ------------------------------------------------------------------ residents


@dataclass
class _People:
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
    order = sort_order(key | _random_bits(rng, n, 12))
    rank = np.empty(n, dtype=np.int64)
    rank[order] = _within(_runs(key[order])[2])
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


def _residents(rng: np.random.Generator, areas: _Areas, hh_comm: IntArray, hh_size: IntArray,
               tables: dict[str, TableColumns]) -> _People:
    household = np.repeat(np.arange(len(hh_size)), hh_size)
    n = len(household)
    position = _within(hh_size)
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
        "id": _ids(n),
        "household_id": _fk(household),
        "community_id": _fk(community),
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
        "id": _ids(n),
        "household_id": _fk(household),
        "resident_id": _ids(n),
        "start_date": move_in_dates(rng, ages, birth),
        "end_date": Nullable(np.full(n, REFERENCE_DAY), np.ones(n, dtype=bool)),
    }
    return _People(household, community, ages, male, birth)


# ------------------------------------------------------------------ schools


@dataclass
class _Schools:
    school_district: IntArray
    school_comm: IntArray
    school_lat: FloatArray
    school_lon: FloatArray
    school_name: Joined
    classes_of_school: IntArray
    first_class_of_school: IntArray
    pupil: IntArray
    pupil_class: IntArray


@dataclass
class _Teachers:
    resident: IntArray
    school_class: IntArray


def _area_community(rng: np.random.Generator, areas: _Areas, local: BoolArray,
                    area: IntArray) -> IntArray:
    """A random community inside each row's subdistrict (local) or district."""
    s_n, d_n = areas.plan.subdistricts, areas.plan.districts
    per_sub = np.bincount(areas.sub_of_comm, minlength=s_n)
    per_district = np.bincount(areas.district_of_comm, minlength=d_n)
    first = np.where(local, _starts(per_sub)[np.where(local, area, 0)],
                     _starts(per_district)[np.where(local, 0, area)])
    count = np.where(local, per_sub[np.where(local, area, 0)],
                     per_district[np.where(local, 0, area)])
    return first + np.floor(rng.random(len(area)) * count).astype(np.int64)


def _schools(rng: np.random.Generator, areas: _Areas, people: _People,
             tables: dict[str, TableColumns]) -> _Schools:
    stages = rules.SCHOOL_STAGES
    stage = rules.school_stage(people.age)
    enrolment = np.array([s.enrolment for s in stages] + [0.0])
    enrolled = rng.random(len(stage)) < enrolment[stage]
    pupils = np.flatnonzero(enrolled)
    p_stage = stage[pupils]
    p_grade = rules.school_grade(people.age[pupils], p_stage)
    p_comm = people.community[pupils]
    # Kindergartens and primary schools serve a subdistrict; secondary schools a district.
    local_stage = np.array([s.kind in ("kindergarten", "primary") for s in stages])
    s_n = areas.plan.subdistricts
    area_key = np.where(local_stage[p_stage], areas.sub_of_comm[p_comm],
                        s_n + areas.district_of_comm[p_comm])
    key = (area_key * len(stages) + p_stage) * 16 + p_grade
    order = sort_order((key << 20) | _random_bits(rng, len(pupils)))
    pupils, key = pupils[order], key[order]
    groups, g_start, g_count = _runs(key)
    g_stage = (groups // 16) % len(stages)
    g_grade = groups % 16
    g_classes = -(-g_count // np.array([s.class_size for s in stages])[g_stage])

    # Schools of one stage in one area: enough for its biggest grade.
    area_stage, g_area_stage = np.unique(groups // 16, return_inverse=True)
    most = np.zeros(len(area_stage), dtype=np.int64)
    np.maximum.at(most, g_area_stage, g_classes)
    as_stage = area_stage % len(stages)
    schools_per = -(-most // np.array([s.classes_per_grade for s in stages])[as_stage])
    first_school = _starts(schools_per)
    sc_as = np.repeat(np.arange(len(area_stage)), schools_per)
    sc_n = len(sc_as)
    sc_area = area_stage[sc_as] // len(stages)
    sc_stage = as_stage[sc_as]
    sc_local = sc_area < s_n
    sc_area_index = np.where(sc_local, sc_area, sc_area - s_n)
    sc_district = np.where(sc_local, areas.district_of_sub[np.where(sc_local, sc_area, 0)],
                           sc_area_index)
    sc_comm = _area_community(rng, areas, sc_local, sc_area_index)
    sc_lon, sc_lat = _point_in(rng, areas.comm_rect, sc_comm)
    bases = tuple(areas.sub_base) + tuple(areas.district_base)
    sc_name = Joined((Categorical(bases, sc_area.astype(np.int32)), _constant(" No. ", sc_n),
                      _numbers(_within(schools_per) + 1), _constant(" ", sc_n),
                      Categorical(tuple(s.label for s in stages), sc_stage.astype(np.int8))))
    tables["school"] = {
        "id": _ids(sc_n),
        "name": sc_name,
        "kind": Categorical(tuple(s.kind for s in stages), sc_stage.astype(np.int8)),
        "community_id": _fk(sc_comm),
        "lat": sc_lat,
        "lon": sc_lon,
    }

    # Classes of a grade are dealt out to the schools of the area in turn.
    cl_group = np.repeat(np.arange(len(groups)), g_classes)
    cl_k = _within(g_classes)
    per = schools_per[g_area_stage[cl_group]]
    cl_school = first_school[g_area_stage[cl_group]] + cl_k % per
    cl_number = cl_k // per + 1
    cl_grade = g_grade[cl_group]
    cl_stage = g_stage[cl_group]
    cl_order = np.lexsort((cl_number, cl_grade, cl_school))
    class_id_of = np.empty(len(cl_order), dtype=np.int64)
    class_id_of[cl_order] = np.arange(len(cl_order))
    labels = rules.KINDERGARTEN_CLASS_NAMES + tuple(f"Grade {g} Class" for g in range(1, 13))
    kindergarten_labels = len(rules.KINDERGARTEN_CLASS_NAMES)
    label = np.where(cl_stage == 0, cl_grade - 1, kindergarten_labels + cl_grade - 1)
    cl_n = len(cl_order)
    tables["school_class"] = {
        "id": _ids(cl_n),
        "school_id": _fk(cl_school[cl_order]),
        "grade": cl_grade[cl_order].astype(np.int32),
        "name": Joined((Categorical(labels, label[cl_order].astype(np.int8)),
                        _constant(" ", cl_n), _numbers(cl_number[cl_order]))),
    }
    # Pupils of one grade in one area are spread evenly over its classes.
    group_of_pupil = np.repeat(np.arange(len(groups)), g_count)
    rank = np.arange(len(pupils)) - g_start[group_of_pupil]
    first_class = _starts(g_classes)
    pupil_class = class_id_of[first_class[group_of_pupil]
                              + rank * g_classes[group_of_pupil] // g_count[group_of_pupil]]
    classes_of_school = np.bincount(cl_school, minlength=sc_n)
    return _Schools(sc_district, sc_comm, sc_lat, sc_lon, sc_name, classes_of_school,
                    _starts(classes_of_school), pupils, pupil_class)


def _class_memberships(schools: _Schools, teachers: _Teachers,
                       tables: dict[str, TableColumns]) -> None:
    """Pupils and their class teacher, class by class, teacher first."""
    m_class = np.concatenate([teachers.school_class, schools.pupil_class])
    m_resident = np.concatenate([teachers.resident, schools.pupil])
    m_teacher = np.concatenate([np.ones(len(teachers.resident), dtype=np.int8),
                                np.zeros(len(schools.pupil), dtype=np.int8)])
    # One sort of unique packed keys (class, teacher first, resident) orders the rows.
    packed = np.sort((((m_class << 1) | (1 - m_teacher)) << RESIDENT_BITS) | m_resident)
    m_n = len(packed)
    tables["class_membership"] = {
        "id": _ids(m_n),
        "school_class_id": _fk(packed >> (RESIDENT_BITS + 1)),
        "resident_id": _fk(packed & ((1 << RESIDENT_BITS) - 1)),
        "role": Categorical(("pupil", "teacher"),
                            (1 - ((packed >> RESIDENT_BITS) & 1)).astype(np.int8)),
        "start_date": np.full(m_n, REFERENCE_DAY),
        "end_date": Nullable(np.full(m_n, REFERENCE_DAY), np.ones(m_n, dtype=bool)),
    }


# ------------------------------------------------------------------ work


def _tenure_start(rng: np.random.Generator, ages: NDArray[Any]) -> NDArray[np.datetime64]:
    """Start dates of jobs: an exponential tenure (mean five years), not before 18."""
    years = np.minimum(rng.exponential(5.0, len(ages)),
                       np.maximum(0, np.asarray(ages, dtype=np.float64) - rules.ADULT_AGE))
    return REFERENCE_DAY - np.floor(years * 365.25).astype(np.int64)


def work_group_sizes(rng: np.random.Generator, workers: int) -> IntArray:
    """Sizes of work groups (5 to 40) that together hold exactly `workers` people."""
    lo, hi = rules.WORK_GROUP_MIN, rules.WORK_GROUP_MAX
    if workers < lo:
        return np.zeros(0, dtype=np.int64)
    draw: IntArray = np.clip(np.round(rng.lognormal(np.log(12), 0.6, workers // lo + 16)),
                             lo, hi).astype(np.int64)
    fits = np.cumsum(draw) <= workers
    sizes = draw[fits]
    if len(sizes) == 0:
        return np.array([workers], dtype=np.int64)  # lo <= workers < hi
    left = workers - int(sizes.sum())
    while left > 0:
        room = np.flatnonzero(sizes < hi)[:left]
        sizes[room] += 1
        left -= len(room)
    return sizes


def _work(rng: np.random.Generator, areas: _Areas, people: _People, schools: _Schools,
          tables: dict[str, TableColumns]) -> _Teachers:
    n = len(people.age)
    c_n = areas.plan.communities
    employed = rules.working_age(people.age, people.male)
    employed &= rng.random(n) < rules.employment_probability(people.age)
    workers = np.flatnonzero(employed)
    w_district = areas.district_of_comm[people.community[workers]]
    w_order = sort_order((w_district << 20) | _random_bits(rng, len(workers)))
    workers, w_district = workers[w_order], w_district[w_order]
    d_n = areas.plan.districts
    w_count = np.bincount(w_district, minlength=d_n)
    w_first = _starts(w_count)

    # School staff (a teacher per class plus other staff) from the school's district.
    sc_n = len(schools.school_district)
    teachers = schools.classes_of_school
    staff = np.maximum(rules.WORK_GROUP_MIN, teachers + -(-teachers // 4))
    slot_school = np.repeat(np.arange(sc_n), staff)
    slot_k = _within(staff)
    slot_district = schools.school_district[slot_school]
    slot_order = np.argsort(slot_district, kind="stable")
    slot_rank = np.empty(len(slot_school), dtype=np.int64)
    slot_rank[slot_order] = _within(np.bincount(slot_district, minlength=d_n))
    filled = slot_rank < w_count[slot_district]
    slot_worker = np.full(len(slot_school), -1, dtype=np.int64)
    slot_worker[filled] = workers[w_first[slot_district[filled]] + slot_rank[filled]]
    is_teacher = filled & (slot_k < teachers[slot_school])
    teacher = slot_worker[is_teacher]
    teacher_class = schools.first_class_of_school[slot_school[is_teacher]] + slot_k[is_teacher]

    # Staff rooms: each school is also a workplace, its staff in groups of at most 40
    # (a school of a tiny city that found fewer than 5 staff has no staff room).
    staff_count = np.bincount(slot_school[filled], minlength=sc_n)
    in_room = filled & (staff_count[slot_school] >= rules.WORK_GROUP_MIN)
    staff_school = slot_school[in_room]
    staff_worker = slot_worker[in_room]
    staff_count = np.bincount(staff_school, minlength=sc_n)
    staff_groups = -(-staff_count // rules.WORK_GROUP_MAX)
    staff_group = (_starts(staff_groups)[staff_school]
                   + _within(staff_count) * staff_groups[staff_school] // np.maximum(
                       1, staff_count[staff_school]))

    # Everyone else with a job: shuffled into teams, teams into workplaces.
    taken = np.zeros(n, dtype=bool)
    taken[slot_worker[filled]] = True
    general = rng.permutation(np.flatnonzero(employed & ~taken))
    sizes = work_group_sizes(rng, len(general))
    g_n = len(sizes)
    per_workplace: list[IntArray] = []
    total = 0
    while total < g_n:
        large = rng.random(g_n // 2 + 8) < 0.15
        count = np.where(large, 5 + np.minimum(rng.geometric(0.06, len(large)) - 1, 55),
                         np.minimum(rng.geometric(0.6, len(large)), 4))
        per_workplace.append(count)
        total += int(count.sum())
    counts = np.concatenate(per_workplace) if per_workplace else np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    keep = int(np.searchsorted(ends, g_n)) + 1 if g_n else 0
    counts = counts[:keep]
    if keep:
        counts[-1] -= int(ends[keep - 1]) - g_n
    wp_n = len(counts)
    kinds = rules.WORKPLACE_KINDS
    small_kinds = np.array([i for i, k in enumerate(kinds) if not k.large])
    large_kinds = np.array([i for i, k in enumerate(kinds) if k.large])
    wp_kind = np.where(counts >= 5, large_kinds[rng.integers(0, len(large_kinds), wp_n)],
                       small_kinds[rng.integers(0, len(small_kinds), wp_n)])
    busy = rng.lognormal(0, 1, c_n)
    wp_comm = rng.choice(c_n, size=wp_n, p=busy / busy.sum())
    wp_lon, wp_lat = _point_in(rng, areas.comm_rect, wp_comm)

    all_kinds = (*kinds, rules.SCHOOL_WORKPLACE)
    school_kind = len(kinds)
    tables["workplace"] = {
        "id": _ids(sc_n + wp_n),
        "name": Joined((
            Categorical((*(_joined_strings(schools.school_name)), *_pair_vocab()),
                        np.concatenate([np.arange(sc_n),
                                        sc_n + _pair_codes(rng, wp_n)]).astype(np.int32)),
            Categorical(("", " "), np.concatenate([np.zeros(sc_n, np.int8),
                                                  np.ones(wp_n, np.int8)])),
            Categorical(tuple(k.label for k in all_kinds),
                        np.concatenate([np.full(sc_n, school_kind), wp_kind]).astype(np.int8)),
        )),
        "kind": Categorical(tuple(k.kind for k in all_kinds),
                            np.concatenate([np.full(sc_n, school_kind), wp_kind]).astype(np.int8)),
        "community_id": _fk(np.concatenate([schools.school_comm, wp_comm])),
        "lat": np.concatenate([schools.school_lat, wp_lat]),
        "lon": np.concatenate([schools.school_lon, wp_lon]),
    }

    group_workplace = np.concatenate([np.repeat(np.arange(sc_n), staff_groups),
                                      sc_n + np.repeat(np.arange(wp_n), counts)])
    group_team = np.concatenate([np.full(int(staff_groups.sum()), school_kind),
                                 np.repeat(wp_kind, counts)])
    group_number = np.concatenate([_within(staff_groups), _within(counts)]) + 1
    wg_n = len(group_workplace)
    tables["work_group"] = {
        "id": _ids(wg_n),
        "workplace_id": _fk(group_workplace),
        "name": Joined((Categorical(tuple(k.team for k in all_kinds), group_team.astype(np.int8)),
                        _constant(" ", wg_n), _numbers(group_number))),
    }
    staff_groups_total = int(staff_groups.sum())
    general_group = staff_groups_total + np.repeat(np.arange(g_n), sizes)
    member_group = np.concatenate([staff_group, general_group])
    member = np.concatenate([staff_worker, general[: len(general_group)]])
    packed = np.sort((member_group << RESIDENT_BITS) | member)
    member_group, member = packed >> RESIDENT_BITS, packed & ((1 << RESIDENT_BITS) - 1)
    mm_n = len(member)
    tables["work_group_membership"] = {
        "id": _ids(mm_n),
        "work_group_id": _fk(member_group),
        "resident_id": _fk(member),
        "start_date": _tenure_start(rng, people.age[member]),
        "end_date": Nullable(np.full(mm_n, REFERENCE_DAY), np.ones(mm_n, dtype=bool)),
    }
    return _Teachers(teacher, teacher_class)


def _pair_vocab() -> tuple[str, ...]:
    syllables = rules.PLACE_SYLLABLES
    return tuple((a[1] + b[1]).capitalize() for a in syllables for b in syllables)


def _pair_codes(rng: np.random.Generator, rows: int) -> IntArray:
    return rng.integers(0, len(rules.PLACE_SYLLABLES) ** 2, rows)


def _joined_strings(column: Joined) -> list[str]:
    """The texts of a (small) joined column of categoricals."""
    out: list[str] = [""] * len(column)
    for part in column.parts:
        assert isinstance(part, Categorical)
        vocab = part.vocabulary
        codes = np.broadcast_to(np.asarray(part.codes), (len(column),)).tolist()
        out = [o + vocab[c] for o, c in zip(out, codes, strict=True)]
    return out


# ------------------------------------------------------------------ venues


def _venues(rng: np.random.Generator, areas: _Areas, tables: dict[str, TableColumns]) -> None:
    c_n, d_n = areas.plan.communities, areas.plan.districts
    kinds = rules.VENUE_KINDS
    per_comm = rng.poisson(areas.comm_pop / rules.VENUE_RESIDENTS)
    v_comm = np.repeat(np.arange(c_n), per_comm)
    weights = np.array([k.weight for k in kinds])
    v_kind = rng.choice(len(kinds), size=len(v_comm), p=weights / weights.sum())
    # Hospitals: at least one per district, one per HOSPITAL_RESIDENTS residents.
    d_pop = np.bincount(areas.district_of_comm, areas.comm_pop, d_n)
    hospitals = np.maximum(1, np.round(d_pop / rules.HOSPITAL_RESIDENTS)).astype(np.int64)
    h_district = np.repeat(np.arange(d_n), hospitals)
    h_comm = _area_community(rng, areas, np.zeros(len(h_district), dtype=bool), h_district)
    all_kinds = (*kinds, rules.HOSPITAL)
    comm = np.concatenate([v_comm, h_comm])
    kind = np.concatenate([v_kind, np.full(len(h_comm), len(kinds))])
    order = np.lexsort((kind, comm))
    comm, kind = comm[order], kind[order]
    n = len(comm)
    lon, lat = _point_in(rng, areas.comm_rect, comm)
    enclosed_share = np.array([k.enclosed_share for k in all_kinds])
    tables["venue"] = {
        "id": _ids(n),
        "name": Joined((Categorical(_pair_vocab(), _pair_codes(rng, n).astype(np.int32)),
                        _constant(" ", n),
                        Categorical(tuple(k.label for k in all_kinds), kind.astype(np.int8)))),
        "kind": Categorical(tuple(k.kind for k in all_kinds), kind.astype(np.int8)),
        "community_id": _fk(comm),
        "lat": lat,
        "lon": lon,
        "enclosed": rng.random(n) < enclosed_share[kind],
    }


# ------------------------------------------------------------------ the whole city


def iter_tables(people: int, seed: int, *, step: Step | None = None) -> Iterator[
        tuple[str, TableColumns]]:
    """Generate the tables of a synthetic city, yielding each in TABLE_ORDER once complete."""
    people = rules.validate_people(people)
    seed = rules.validate_seed(seed)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(8)]
    tables: dict[str, TableColumns] = {}
    position = 0

    def ready(name: str) -> Iterator[tuple[str, TableColumns]]:
        nonlocal position
        if step is not None:
            step(name)
        while position < len(TABLE_ORDER) and TABLE_ORDER[position] in tables:
            table = TABLE_ORDER[position]
            position += 1
            yield table, tables.pop(table)

    areas = _areas(streams[0], people, tables)
    yield from ready("areas")
    hh_size, hh_comm = household_sizes(streams[1], areas.comm_pop)
    yield from ready("households")
    _dwellings(streams[2], areas, hh_comm, hh_size, tables)
    yield from ready("dwellings")
    residents = _residents(streams[3], areas, hh_comm, hh_size, tables)
    del hh_size, hh_comm
    yield from ready("residents")
    schools = _schools(streams[4], areas, residents, tables)
    yield from ready("schools")
    teachers = _work(streams[5], areas, residents, schools, tables)
    _class_memberships(schools, teachers, tables)
    del residents, schools, teachers
    yield from ready("work")
    _venues(streams[6], areas, tables)
    yield from ready("venues")


def city_name(city_table: TableColumns) -> str:
    """The name of the home city (the first row of the city table)."""
    name = city_table["name"]
    assert isinstance(name, Categorical)
    return name.vocabulary[int(np.asarray(name.codes)[0])]


def generate_city(people: int, seed: int, *, step: Step | None = None) -> GeneratedCity:
    """Generate every table of a synthetic city of `people` residents from `seed`."""
    tables = dict(iter_tables(people, seed, step=step))
    return GeneratedCity(city_name(tables["city"]), int(people), int(seed), tables)


# ================================================================== outbreak scenario
#
# An outbreak spreads day by day over the city's contact structure: households every
# day, work groups and school classes on weekdays, venue visits that overlap in time.
# Every random decision is a keyed number (`keyed_uniform`): a function of the seed, a
# stream and the decision's keys (day, person, place), so that the same seed always
# gives the same scenario, and changing the transmission scale (while calibrating)
# leaves every unrelated decision as it was. Detection is what testing produces: a
# person is isolated after a positive single tube, a positive pool isolates its members
# until their single-tube retest the next day, and the close contacts of a case
# (household, work group, class) are quarantined and tested.

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
# Group settings use two streams each: whether a member is infected, and by whom.
SETTING_STREAM = {rules.HOUSEHOLD: 100, rules.WORK_GROUP: 200, rules.SCHOOL_CLASS: 300}


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


def _expand_ranges(lo: IntArray, hi: IntArray) -> tuple[IntArray, IntArray]:
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
        _, run_start, _ = _runs(group)
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
        _, rows = _expand_ranges(lo, hi)
        rows = self.by_person[rows]
        active = self.active(day)
        runs = np.unique(self.run[rows[active[rows]]])
        _, members = _expand_ranges(self.run_start[runs], self.run_start[runs + 1])
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


def disease_courses(people: int, seed: int, params: rules.OutbreakParameters) -> Courses:
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


def local_midnight(epoch_day: int) -> int:
    """Epoch seconds of a day's local midnight (days since 1970-01-01, city time)."""
    naive = np.asarray([epoch_day * DAY_SECONDS], dtype=np.int64)
    return int((naive - clock.utc_offsets(naive - clock.utc_offsets(naive)))[0])


def local_day(seconds: NDArray[Any]) -> IntArray:
    """The local day (days since 1970-01-01, city time) of epoch seconds."""
    day: IntArray = clock.local_days(np.asarray(seconds, dtype=np.int64)).astype(np.int64)
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


# ------------------------------------------------------------------ testing


@dataclass(frozen=True)
class TestingRules:
    """What the active preset says about tubes: pool sizes and the positivity rule."""

    pool_size: int
    pool_sizes: tuple[int, ...]
    thresholds: tuple[float, ...]  # per target gene (rules.TARGET_GENES)
    require_all: bool


@dataclass
class _Tubes:
    """Tubes and their samples collected on one day (tube numbers local to the day)."""

    kind: NDArray[np.int8]
    size: IntArray
    site: IntArray
    lab: IntArray
    collected: IntArray  # first swab
    result: IntArray
    outcome: NDArray[np.int8]  # 0 negative, 1 positive, 2 invalid
    ct: FloatArray  # (tubes, genes), NaN when not reported
    sample_person: IntArray
    sample_tube: IntArray
    sample_collected: IntArray
    sample_onset: IntArray  # scenario day of the onset recorded at sampling, or -1

    @classmethod
    def empty(cls, genes: int) -> _Tubes:
        """No tube."""
        i = np.zeros(0, dtype=np.int64)
        b = np.zeros(0, dtype=np.int8)
        return cls(b, i, i, i, i, i, b, np.zeros((0, genes)), i, i, i, i)

    @staticmethod
    def concat(parts: Sequence[_Tubes], genes: int) -> _Tubes:
        """Tubes of several parts, renumbered in order."""
        if not parts:
            return _Tubes.empty(genes)
        offsets = np.cumsum([0] + [len(p.size) for p in parts[:-1]])
        return _Tubes(
            kind=np.concatenate([p.kind for p in parts]),
            size=np.concatenate([p.size for p in parts]),
            site=np.concatenate([p.site for p in parts]),
            lab=np.concatenate([p.lab for p in parts]),
            collected=np.concatenate([p.collected for p in parts]),
            result=np.concatenate([p.result for p in parts]),
            outcome=np.concatenate([p.outcome for p in parts]),
            ct=np.concatenate([p.ct for p in parts]),
            sample_person=np.concatenate([p.sample_person for p in parts]),
            sample_tube=np.concatenate([p.sample_tube + o for p, o in zip(parts, offsets,
                                                                           strict=True)]),
            sample_collected=np.concatenate([p.sample_collected for p in parts]),
            sample_onset=np.concatenate([p.sample_onset for p in parts]),
        )


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
    detected_by: NDArray[np.int8]  # rules.TEST_KINDS code of that tube, -1
    courses: Courses
    # what the outbreak produced
    tubes: _Tubes
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


class _Simulation:
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
            rules.HOUSEHOLD: rules.daily_hazard(params.household_sar, _mean(
                params.infectious_days)),
            rules.WORK_GROUP: rules.daily_hazard(params.work_group_sar, _mean(
                params.infectious_days) * 5 / 7),
            rules.SCHOOL_CLASS: rules.daily_hazard(params.school_class_sar, _mean(
                params.infectious_days) * 5 / 7),
        }
        self._arrivals()
        self._sites()
        self.parts: list[_Tubes] = []
        self.kept_visits: list[DayVisits] = []
        self.infectious_count = np.zeros(self.total, dtype=np.int64)
        self.isolated_count = np.zeros(self.total, dtype=np.int64)
        self.quarantined_count = np.zeros(self.total, dtype=np.int64)
        genes = len(testing.thresholds)
        self.genes = genes
        self.thresholds = np.asarray(testing.thresholds, dtype=np.float64)

    # ---------------------------------------------------------------- set-up

    def _arrivals(self) -> None:
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

    def _sites(self) -> None:
        """Collection sites: testing points and home sampling per community, fever
        clinics per hospital, quarantine sites, ports of entry."""
        city = self.city
        c = len(city.community_id)
        names: list[str] = []
        for name in city.community_name:
            names += [f"{name} testing point {i + 1}" for i in range(rules.TESTING_POINTS)]
        self.retest_site0 = len(names)
        names += [f"{name} home sampling" for name in city.community_name]
        hospitals = [i for i, k in enumerate(city.venue_kind) if k == "hospital"]
        self.fever_site0 = len(names)
        names += [f"{city.venue_name[i]} fever clinic" for i in hospitals] or [
            f"{city.name} fever clinic"]
        # The fever clinic of each community: a hospital of its district, else any.
        by_district: dict[int, int] = {}
        comm_district = dict(zip(city.community_id.tolist(), city.community_district.tolist(),
                                 strict=True))
        for k, i in enumerate(hospitals):
            by_district.setdefault(comm_district.get(int(city.venue_community[i]), -1), k)
        self.clinic_of_community = np.array(
            [by_district.get(int(d), (j % len(hospitals)) if hospitals else 0)
             for j, d in enumerate(city.community_district.tolist())], dtype=np.int64)[:c]
        self.quarantine_site0 = len(names)
        names += [f"{city.name} centralized quarantine site {i + 1}"
                  for i in range(rules.QUARANTINE_SITES)]
        self.port_site0 = len(names)
        names += list(rules.PORTS)
        self.site_names = tuple(names)

    # ---------------------------------------------------------------- helpers

    def midnight(self, t: int) -> int:
        """Epoch seconds of the local midnight that starts scenario day t."""
        return local_midnight(self.day0 + t)

    def release_day(self, seconds: IntArray) -> IntArray:
        """Scenario day of epoch seconds."""
        day: IntArray = local_day(seconds) - self.day0
        return day

    def infect(self, who: IntArray, day: IntArray | int, origin: str, place: IntArray,
               infector: IntArray) -> None:
        """Mark residents infected."""
        self.inf_day[who] = day
        self.origin[who] = rules.ORIGIN_CODES[origin]
        self.place[who] = place
        self.infector[who] = infector

    def ct_of(self, who: IntArray, at: IntArray) -> FloatArray:
        """Ct values of swabs taken from residents at epoch seconds (NaN: nothing)."""
        ct = np.full(len(who), np.nan)
        infected = self.inf_day[who] != NOT_INFECTED
        if not infected.any():
            return ct
        w = who[infected]
        infected_at = np.array([self.midnight(0)], dtype=np.int64) + (
            self.inf_day[w] * DAY_SECONDS + DAY_SECONDS // 2)
        tau = (at[infected] - infected_at) / DAY_SECONDS
        value = rules.ct_course(tau, self.c.ct_start[w], self.c.ct_peak_at[w], self.c.ct_end[w],
                                self.c.ct_peak[w], self.p.ct_undetectable)
        ct[infected] = np.where(value < self.p.ct_undetectable, value, np.nan)
        return ct

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
        self._seed(t, away)
        isolated = self.isolated_from <= t
        quarantined = (self.q_start <= t) & (t <= self.q_end)
        # Members of a positive pool are isolated on the spot when its result comes out
        # and stay so until their retest the next day.
        held = (self.retest_on == t) | (self.retest_on == t + 1)
        free = ~(isolated | quarantined | held | away)
        if written:
            self._tests(t, free, isolated, quarantined)
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
        found = [self._in_groups(self.city.households, rules.HOUSEHOLD, t, epoch_day, weight,
                                 susceptible)]
        if weekday:
            found.append(self._in_groups(self.city.work, rules.WORK_GROUP, t, epoch_day,
                                         weight, susceptible))
            found.append(self._in_groups(self.city.classes, rules.SCHOOL_CLASS, t, epoch_day,
                                         weight, susceptible))
        found.append(self._at_venues(visits, t, weight, susceptible))
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

    def _seed(self, t: int, away: BoolArray) -> None:
        """Infections brought in from outside by residents who pass no port test."""
        rng = np.random.default_rng(keyed_seed(self.seed, S_SEED, t))
        count = int(rng.poisson(self.p.seeds_per_day_share * self.p.target_daily))
        pool = np.flatnonzero((self.inf_day == NOT_INFECTED) & ~away)
        if not count or not len(pool):
            return
        who = np.sort(rng.choice(pool, size=min(count, len(pool)), replace=False))
        none = np.full(len(who), -1, dtype=np.int64)
        self.infect(who, t, rules.SEED, none, none)

    def _in_groups(self, groups: Groups, setting: str, t: int, epoch_day: int,
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

    def _at_venues(self, visits: DayVisits, t: int, weight: FloatArray,
                   susceptible: BoolArray) -> tuple[IntArray, IntArray, IntArray, str]:
        """Infections between visits to the same venue that overlap in time."""
        none = np.zeros(0, dtype=np.int64)
        sources = np.flatnonzero(weight[visits.person] > 0)
        if not len(sources):
            return none, none, none, rules.VENUE
        lo = np.searchsorted(visits.venue, visits.venue[sources], side="left")
        hi = np.searchsorted(visits.venue, visits.venue[sources], side="right")
        owner, other = _expand_ranges(lo, hi)
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
                self.city.venue_id[visits.venue[src[hit]]], rules.VENUE)

    # ---------------------------------------------------------------- tests of a day

    def _tests(self, t: int, free: BoolArray, isolated: BoolArray,
               quarantined: BoolArray) -> None:
        """Every swab of the day, the tubes' results, and what the results set off."""
        p = self.p
        n = self.n
        tested = np.zeros(n, dtype=bool)
        parts: list[_Tubes] = []

        def take(mask: BoolArray) -> IntArray:
            chosen = np.flatnonzero(mask & ~tested)
            tested[chosen] = True
            return chosen

        who = np.arange(n, dtype=np.int64)
        retest = take(self.retest_on == t)
        parts.append(self._singles(retest, rules.RETEST, t))
        in_quarantine = t - self.q_start + 1
        quarantine = take(quarantined & ~isolated & np.isin(in_quarantine,
                                                            p.quarantine_test_days))
        parts.append(self._singles(quarantine, rules.QUARANTINE, t))
        port = take(self.arrival == t)
        parts.append(self._singles(port, rules.PORT_OF_ENTRY, t))
        infected = self.inf_day != NOT_INFECTED
        onset = self.inf_day + self.c.incubation
        clinic = infected & self.c.symptomatic & (onset + self.c.clinic_delay == t) & ~isolated
        other_fever = free & (keyed_uniform(self.seed, S_FEVER, t, who)
                              < p.background_fever_per_100k / 100_000)
        fever = take(clinic | other_fever)
        parts.append(self._singles(fever, rules.FEVER_CLINIC, t, fever_onset=True))
        rounds = self._round_communities(t)
        if len(rounds):
            in_round = np.isin(self.city.community, rounds) & free
            joining = in_round & (keyed_uniform(self.seed, S_PARTICIPATE, t, who)
                                  < p.participation)
            parts.append(self._pools(take(joining), t))
        day = _Tubes.concat([x for x in parts if len(x.size)], self.genes)
        self._read(day, t)
        self._effects(day)
        self.parts.append(day)

    def _round_communities(self, t: int) -> IntArray:
        """Communities tested in a mass round on day t: all of them every few days, else
        those with a case found in the last few days."""
        k = t - self.warmup
        if k % self.p.citywide_round_every == 0:
            return np.arange(len(self.city.community_id), dtype=np.int64)
        recent = (self.detected >= t - self.p.affected_days) & (self.detected <= t - 1)
        found: IntArray = np.unique(self.city.community[recent])
        return found

    def _times(self, kind: str, t: int, first: IntArray, size: IntArray
               ) -> tuple[IntArray, IntArray]:
        """(first swab, result release) of tubes, in epoch seconds."""
        lo, hi = rules.COLLECTION_HOURS[kind]
        code = rules.TEST_CODES[kind]
        u = keyed_uniform(self.seed, S_TIME, t, code, first)
        start = self.midnight(t) + np.round((lo + (hi - lo) * u) * 3600).astype(np.int64)
        t_lo, t_hi = rules.TURNAROUND_HOURS[kind]
        v = keyed_uniform(self.seed, S_TURNAROUND, t, code, first)
        result = start + size * rules.SWAB_SECONDS + np.round(
            (t_lo + (t_hi - t_lo) * v) * 3600).astype(np.int64)
        return start, result

    def _singles(self, who: IntArray, kind: str, t: int, fever_onset: bool = False) -> _Tubes:
        """One single tube per resident."""
        if not len(who):
            return _Tubes.empty(self.genes)
        size = np.ones(len(who), dtype=np.int64)
        start, result = self._times(kind, t, who, size)
        if kind == rules.RETEST:
            site = self.retest_site0 + self.city.community[who]
        elif kind == rules.FEVER_CLINIC:
            site = self.fever_site0 + self.clinic_of_community[self.city.community[who]]
        elif kind == rules.QUARANTINE:
            site = self.quarantine_site0 + self.city.community[who] % rules.QUARANTINE_SITES
        else:
            site = self.port_site0 + who % len(rules.PORTS)
        onset = self.inf_day[who] + self.c.incubation[who]
        # Symptoms are on record at a swab from the day after they began (assumption:
        # mild symptoms that begin on the day of a swab are noticed after it), at a fever
        # clinic from their first day.
        symptoms = ((self.inf_day[who] != NOT_INFECTED) & self.c.symptomatic[who]
                    & ((onset <= t) if fever_onset else (onset < t)))
        recorded = np.where(symptoms, onset, t if fever_onset else -1)
        number = np.arange(len(who), dtype=np.int64)
        return _Tubes(
            kind=np.full(len(who), rules.TEST_CODES[kind], dtype=np.int8), size=size,
            site=site.astype(np.int64),
            lab=np.full(len(who), rules.LAB_OF_KIND[kind], dtype=np.int64),
            collected=start, result=result, outcome=np.zeros(len(who), dtype=np.int8),
            ct=np.full((len(who), self.genes), np.nan), sample_person=who,
            sample_tube=number, sample_collected=start, sample_onset=recorded)

    def _pools(self, who: IntArray, t: int) -> _Tubes:
        """A mass round: swabs queue at their community's testing points, in pools."""
        if not len(who):
            return _Tubes.empty(self.genes)
        key = keyed_uniform(self.seed, S_QUEUE, t, who)
        comm = self.city.community[who]
        order = np.lexsort((key, comm))
        who, comm = who[order], comm[order]
        counts = np.bincount(comm, minlength=len(self.city.community_id))
        sizes: list[int] = []
        tube_community: list[int] = []
        for c in np.flatnonzero(counts).tolist():
            these = rules.pool_sizes_of(int(counts[c]), self.testing.pool_size,
                                        self.testing.pool_sizes)
            sizes += these
            tube_community += [c] * len(these)
        size = np.asarray(sizes, dtype=np.int64)
        tube_comm = np.asarray(tube_community, dtype=np.int64)
        first_row = np.cumsum(size) - size
        tube_of = np.repeat(np.arange(len(size), dtype=np.int64), size)
        within = _within(np.bincount(tube_comm, minlength=len(self.city.community_id))[
            np.unique(tube_comm)])
        site = tube_comm * rules.TESTING_POINTS + within % rules.TESTING_POINTS
        labs = np.asarray(rules.MASS_ROUND_LABS, dtype=np.int64)
        start, result = self._times(rules.MASS_ROUND, t, who[first_row], size)
        swab = start[tube_of] + (np.arange(len(who)) - first_row[tube_of]) * rules.SWAB_SECONDS
        return _Tubes(
            kind=np.full(len(size), rules.TEST_CODES[rules.MASS_ROUND], dtype=np.int8),
            size=size, site=site, lab=labs[tube_comm % len(labs)], collected=start,
            result=result, outcome=np.zeros(len(size), dtype=np.int8),
            ct=np.full((len(size), self.genes), np.nan), sample_person=who,
            sample_tube=tube_of, sample_collected=swab,
            sample_onset=np.full(len(who), -1, dtype=np.int64))

    def _read(self, day: _Tubes, t: int) -> None:
        """The lab's reading of each tube: Ct per gene, outcome, occasional invalids."""
        if not len(day.size):
            return
        member_ct = self.ct_of(day.sample_person, day.sample_collected)
        tube_ct = rules.pooled_ct(member_ct, day.sample_tube, day.size)
        first_row = np.full(len(day.size), len(day.sample_person), dtype=np.int64)
        np.minimum.at(first_row, day.sample_tube, np.arange(len(day.sample_person)))
        first = day.sample_person[first_row]
        genes = np.full((len(day.size), self.genes), self.p.ct_undetectable + 1.0)
        amplified = ~np.isnan(tube_ct)
        if amplified.any():
            streams = (S_GENE, S_GENE2, S_GENE3)
            for g in range(self.genes):
                offset = self.p.ct_n_gene_offset if rules.TARGET_GENES[g] == "n" else 0.0
                noise = keyed_normal(self.seed, streams[g % 3], t, day.kind, first)
                genes[:, g] = np.where(amplified, tube_ct + offset
                                       + self.p.ct_gene_sd * noise, genes[:, g])
            genes = np.clip(genes, 10.0, None)
        positive, reported = rules.tube_outcome(genes, self.thresholds, self.testing.require_all,
                                                self.p.ct_undetectable)
        invalid = keyed_uniform(self.seed, S_INVALID, t, day.kind, first) < self.p.invalid_share
        day.outcome[:] = np.where(invalid, 2, np.where(positive, 1, 0))
        day.ct[:] = np.where(invalid[:, None], np.nan, reported)

    def _effects(self, day: _Tubes) -> None:
        """What results set off: isolation of cases, quarantine of their close contacts,
        retests of the members of positive pools and invalid tubes."""
        if not len(day.size):
            return
        release = self.release_day(day.result)
        row_tube = day.sample_tube
        single = day.size[row_tube] == 1
        pooled = ~single
        outcome = day.outcome[row_tube]
        retest = ((pooled & (outcome == 1)) | (outcome == 2))
        if retest.any():
            who = day.sample_person[retest]
            on = release[row_tube[retest]] + 1
            np.maximum.at(self.retest_on, who, on)
        found = single & (outcome == 1)
        if not found.any():
            return
        who = day.sample_person[found]
        on = release[row_tube[found]]
        new = on < self.detected[who]
        who, on = who[new], on[new]
        self.detected[who] = on
        self.detected_by[who] = day.kind[row_tube[found]][new]
        np.minimum.at(self.isolated_from, who, on + 1)
        for rd in np.unique(on).tolist():
            cases = who[on == rd]
            epoch_day = self.day0 + rd
            others = np.unique(np.concatenate([self.city.work.co_members(cases, epoch_day),
                                               self.city.classes.co_members(cases, epoch_day)]))
            traced = keyed_uniform(self.seed, S_TRACED, rd, others) < self.p.traced_share
            contacts = np.union1d(self.city.households.co_members(cases, epoch_day),
                                  others[traced])
            contacts = contacts[self.isolated_from[contacts] > rd + 1]
            start, end = rd + 1, rd + self.p.quarantine_days
            fresh = self.q_end[contacts] < start - 1
            self.q_start[contacts] = np.where(fresh, start,
                                              np.minimum(self.q_start[contacts], start))
            self.q_end[contacts] = np.maximum(self.q_end[contacts], end)

    # ---------------------------------------------------------------- the result

    def scenario(self, stopped: bool) -> Scenario:
        """The run's truth and products."""
        tubes = _Tubes.concat(self.parts, self.genes)
        person, day, reported = self._onsets(tubes)
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

    def _onsets(self, tubes: _Tubes) -> tuple[IntArray, IntArray, IntArray]:
        """Symptom onsets of people found before their symptoms began: (person, scenario
        day of onset, reported at in epoch seconds), reported after the positive result."""
        row_tube = tubes.sample_tube
        positive = (tubes.size[row_tube] == 1) & (tubes.outcome[row_tube] == 1)
        who = tubes.sample_person[positive]
        none = np.zeros(0, dtype=np.int64)
        if not len(who):
            return none, none, none
        result = tubes.result[row_tube[positive]]
        recorded = tubes.sample_onset[positive]
        order = np.lexsort((result, who))
        who, result, recorded = who[order], result[order], recorded[order]
        firsts = np.concatenate([[True], who[1:] != who[:-1]])
        who, result, recorded = who[firsts], result[firsts], recorded[firsts]
        onset = self.inf_day[who] + self.c.incubation[who]
        later = self.c.symptomatic[who] & (recorded < 0) & (onset < self.total)
        who, result, onset = who[later], result[later], onset[later]
        hour = 9.0 + 11.0 * keyed_uniform(self.seed, S_ONSET_TIME, who)
        reported = np.maximum(np.array([self.midnight(0)]) + onset * DAY_SECONDS
                              + np.round(hour * 3600).astype(np.int64), result + 3600)
        keep = self.release_day(reported) < self.total
        return who[keep], onset[keep], reported[keep]


def _mean(bounds: tuple[int, int]) -> float:
    return (bounds[0] + bounds[1]) / 2


def outbreak_visits(city: OutbreakCity, *, seed: int, first_epoch_day: int, days: int
                    ) -> list[DayVisits]:
    """The venue visits of each day, from `first_epoch_day` on."""
    return [day_visits(city, seed=seed, epoch_day=first_epoch_day + t) for t in range(days)]


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


# ------------------------------------------------------------------ what the files hold

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
SAMPLE_DIGITS = 9
TUBE_DIGITS = 8
OUTCOME_NAMES = ("negative", "positive", "invalid")


def epoch_date(epoch_day: int) -> date:
    """The date of a day counted from 1970-01-01."""
    return date.fromordinal(EPOCH_ORDINAL + epoch_day)


def codes(prefix: str, numbers: NDArray[Any], width: int) -> NDArray[np.str_]:
    """Barcodes: a prefix and zero-padded numbers."""
    digits = digit_chars(np.asarray(numbers, dtype=np.int64), width)
    head = np.frombuffer(prefix.encode(), dtype=np.uint8)
    chars = np.ascontiguousarray(np.concatenate(
        [np.broadcast_to(head, (len(digits), len(head))), digits], axis=1))
    total = chars.shape[1]
    text: NDArray[np.str_] = chars.view(f"S{total}").ravel().astype(f"U{total}")
    return text


def _date_strings(epoch_days: IntArray) -> NDArray[np.str_]:
    """YYYY-MM-DD of days since 1970-01-01; empty where negative."""
    text = np.datetime_as_string(np.maximum(epoch_days, 0).astype("datetime64[D]"), unit="D")
    result: NDArray[np.str_] = np.where(epoch_days >= 0, text, "")
    return result


@dataclass(frozen=True)
class BatchFile:
    """One laboratory's results released on one written day, as batch columns."""

    day: int  # written day, 1-based
    lab: int  # index into rules.LABS
    columns: dict[str, Any]
    tubes: int
    samples: int
    positive_tubes: int
    pooled_tubes: int


def batch_files(city: OutbreakCity, scenario: Scenario, *, tag: str,
                lab_names: Sequence[str]) -> list[BatchFile]:
    """The lab batches of every written day: each lab's tubes released that day."""
    tubes = scenario.tubes
    if not len(tubes.size):
        return []
    day0 = scenario.first_epoch_day - scenario.warmup
    release = local_day(tubes.result) - day0
    written = (release >= scenario.warmup) & (release < scenario.total_days)
    labs = len(lab_names)
    key_t = np.where(written, release * labs + tubes.lab, -1)
    key_s = key_t[tubes.sample_tube]
    rows = np.flatnonzero(key_s >= 0)
    rows = rows[np.lexsort((rows, tubes.sample_tube[rows], key_s[rows]))]
    keys, starts, counts = _runs(key_s[rows])
    sample_code = codes("S" + tag, np.arange(len(tubes.sample_person)), SAMPLE_DIGITS)
    tube_code = codes("T" + tag, np.arange(len(tubes.size)), TUBE_DIGITS)
    site = np.asarray(scenario.site_names)
    lab = np.asarray(lab_names)
    kinds = np.asarray(["single", "pooled"])
    outcomes = np.asarray(OUTCOME_NAMES)
    onset = np.where(tubes.sample_onset >= 0, tubes.sample_onset + day0, -1)
    port = rules.TEST_CODES[rules.PORT_OF_ENTRY]
    out: list[BatchFile] = []
    for key, start, count in zip(keys.tolist(), starts.tolist(), counts.tolist(), strict=True):
        r = rows[start: start + count]
        t = tubes.sample_tube[r]
        size = tubes.size[t]
        columns: dict[str, Any] = {
            "sample_id": sample_code[r],
            "tube_id": tube_code[t],
            "tube_type": kinds[(size > 1).astype(np.int64)],
            "pool_size": size,
            "resident_id": city.resident_id[tubes.sample_person[r]],
            "collected_at": iso_times(tubes.sample_collected[r]),
            "collection_site": site[tubes.site[t]],
            "lab": lab[tubes.lab[t]],
            "result_at": iso_times(tubes.result[t]),
            "outcome": outcomes[tubes.outcome[t]],
        }
        for g, gene in enumerate(rules.TARGET_GENES):
            columns[f"ct_{gene}"] = np.ma.masked_invalid(tubes.ct[t, g])
        columns["onset_date"] = _date_strings(onset[r])
        columns["imported"] = tubes.kind[t] == port
        unique_t = np.unique(t)
        out.append(BatchFile(
            day=key // labs - scenario.warmup + 1, lab=key % labs, columns=columns,
            tubes=len(unique_t), samples=count,
            positive_tubes=int((tubes.outcome[unique_t] == 1).sum()),
            pooled_tubes=int((tubes.size[unique_t] > 1).sum())))
    return out


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
    values, starts, counts = _runs(day[order])
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
    onset = _date_strings(scenario.onset_day + day0)
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
                            for name, code in rules.TEST_CODES.items()},
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
            rules.TEST_KINDS[int(scenario.detected_by[p])] if detected < NEVER else "",
        ))
    return rows


INFECTION_COLUMNS = ("resident_id", "infected_on", "origin", "place_id", "infector_id",
                     "symptomatic", "onset_date", "detected_on", "detected_by")
