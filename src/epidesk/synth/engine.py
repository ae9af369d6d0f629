"""The synthetic city as numpy column arrays, table by table: no session, no I/O.

Every step is vectorised over all rows of a table; Python loops run over short lists
(building types, school stages, place names), never over residents or households. Each
part of the city draws from its own random stream spawned from the seed, so the same
seed always gives the same city, whatever database it is written to.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeAlias

import numpy as np
from numpy.typing import NDArray

from epidesk.bulk import Categorical, CharMatrix, Column, Joined, Nullable
from epidesk.synth import rules

IntArray: TypeAlias = NDArray[np.int64]
FloatArray: TypeAlias = NDArray[np.float64]
BoolArray: TypeAlias = NDArray[np.bool_]
ByteMatrix: TypeAlias = NDArray[np.uint8]
TableColumns: TypeAlias = dict[str, Column]
Step: TypeAlias = Callable[[str], None]

# Tables in an order that satisfies every foreign key.
TABLE_ORDER = (
    "city", "district", "subdistrict", "community", "building", "unit", "address",
    "household", "resident", "school", "school_class", "class_membership",
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
