"""The places of the synthetic city as columns: city, districts, subdistricts and
communities on a Hilbert curve, buildings, units and addresses, and venues.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from epidesk.kit.bulk import Categorical, CharMatrix, Joined
from epidesk.synth.city import rules
from epidesk.synth.engine import (
    BoolArray,
    ByteMatrix,
    FloatArray,
    IntArray,
    TableColumns,
    constant_text,
    group_starts,
    ids_of,
    positions_within,
    random_bits,
    row_ids,
    sort_order,
)

# Where the synthetic city lies, and the grid cell of one community (about 500 m).


CITY_CENTRE = (116.60, 35.40)  # lon, lat
CELL_LON = 0.0055
CELL_LAT = 0.0045
KM_PER_DEGREE_LAT = 111.0


COORDINATE_DECIMALS = 6


def choice_from(rng: np.random.Generator, options: list[tuple[int, ...]],
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


def point_in(rng: np.random.Generator, rects: FloatArray, which: NDArray[Any]) -> tuple[
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


def place_names(rng: np.random.Generator, count: int,
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
class Areas:
    """The areas of the city: sizes, which area holds which, rectangles and names."""

    plan: rules.HierarchyPlan
    name: str
    district_of_sub: IntArray
    sub_of_comm: IntArray
    district_of_comm: IntArray
    comm_pop: IntArray
    comm_rect: FloatArray  # (C, 4): lon0, lat0, lon1, lat1
    sub_base: list[str]
    district_base: list[str]


def build_areas(rng: np.random.Generator, people: int, tables: dict[str, TableColumns]) -> Areas:
    """The city, its neighbours, districts, subdistricts and communities, into tables."""
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

    city_local, city_latin, _ = place_names(rng, 1 + rules.NEIGHBOUR_CITIES, (rules.CITY_SUFFIX,))
    d_local, d_latin, d_base = place_names(rng, d_n, (rules.DISTRICT_SUFFIX,))
    s_local, s_latin, s_base = place_names(rng, s_n, (rules.SUBDISTRICT_SUFFIX,))
    c_local, c_latin, _ = place_names(rng, c_n, rules.COMMUNITY_SUFFIXES)

    # The home city and its neighbours, which host quarantine sites; only the home city
    # has generated residents, so the neighbours' population is 0.
    k = rules.NEIGHBOUR_CITIES
    distance = np.round(rng.uniform(*rules.NEIGHBOUR_DISTANCE_KM, k), 1)
    bearing = rng.uniform(0, 2 * np.pi) + np.arange(k) * 2 * np.pi / k + rng.uniform(-0.3, 0.3, k)
    n_lat = CITY_CENTRE[1] + distance * np.cos(bearing) / KM_PER_DEGREE_LAT
    n_lon = CITY_CENTRE[0] + distance * np.sin(bearing) / (
        KM_PER_DEGREE_LAT * np.cos(np.radians(CITY_CENTRE[1])))
    tables["city"] = {
        "id": row_ids(1 + k),
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
    s_within = positions_within(subs_per_district)
    s_codes = [f"{d_codes[d]}-S{w + 1:02d}"
               for d, w in zip(district_of_sub.tolist(), s_within.tolist(), strict=True)]
    c_within = positions_within(comms_per_sub)
    c_codes = [f"{s_codes[s]}-C{w + 1:03d}"
               for s, w in zip(sub_of_comm.tolist(), c_within.tolist(), strict=True)]
    tables["district"] = {
        "id": row_ids(d_n),
        "city_id": np.ones(d_n, dtype=np.int32),
        "code": Categorical.of(d_codes),
        "name": Categorical.of(d_latin),
        "name_local": Categorical.of(d_local),
        "centroid_lat": mean_of(c_lat, district_of_comm, d_n),
        "centroid_lon": mean_of(c_lon, district_of_comm, d_n),
        "population": np.bincount(district_of_comm, comm_pop, d_n).astype(np.int32),
    }
    tables["subdistrict"] = {
        "id": row_ids(s_n),
        "district_id": ids_of(district_of_sub),
        "code": Categorical.of(s_codes),
        "name": Categorical.of(s_latin),
        "name_local": Categorical.of(s_local),
        "centroid_lat": mean_of(c_lat, sub_of_comm, s_n),
        "centroid_lon": mean_of(c_lon, sub_of_comm, s_n),
        "population": np.bincount(sub_of_comm, comm_pop, s_n).astype(np.int32),
    }
    ring_lon, ring_lat = rectangle_rings(lon0, lat0, lon1, lat1)
    tables["community"] = {
        "id": row_ids(c_n),
        "subdistrict_id": ids_of(sub_of_comm),
        "code": Categorical.of(c_codes),
        "name": Categorical.of(c_latin),
        "name_local": Categorical.of(c_local),
        "centroid_lat": c_lat,
        "centroid_lon": c_lon,
        "polygon": ring_json(ring_lon, ring_lat),
        "population": comm_pop.astype(np.int32),
    }
    return Areas(plan, city_latin[0], district_of_sub, sub_of_comm, district_of_comm,
                 comm_pop, comm_rect, s_base, d_base)


# ------------------------------------------------------------------ dwellings


def build_dwellings(rng: np.random.Generator, areas: Areas, hh_comm: IntArray, hh_size: IntArray,
                    tables: dict[str, TableColumns]) -> None:
    """Buildings, units and addresses of every community, one address per household."""
    c_n = areas.plan.communities
    households = np.bincount(hh_comm, minlength=c_n)
    types = rules.BUILDING_TYPES
    kind = rng.choice(len(types), size=c_n, p=[t.weight for t in types])
    floors = choice_from(rng, [t.floors for t in types], kind)
    units = choice_from(rng, [t.units for t in types], kind)
    doors = choice_from(rng, [t.doors for t in types], kind)
    vacancy = rng.uniform(*rules.VACANCY_RANGE, c_n)
    flats_needed = np.ceil(households / (1 - vacancy)).astype(np.int64)
    per_building = floors * units * doors
    buildings = np.maximum(1, -(-flats_needed // per_building))

    b_comm = np.repeat(np.arange(c_n), buildings)
    b_number = positions_within(buildings) + 1
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
        "id": row_ids(b_n),
        "community_id": ids_of(b_comm),
        "number": b_number.astype(np.int32),
        "floors": floors[b_comm].astype(np.int32),
        "centroid_lat": np.round(cy, COORDINATE_DECIMALS),
        "centroid_lon": np.round(cx, COORDINATE_DECIMALS),
        "polygon": ring_json(ring_lon, ring_lat),
    }

    u_building = np.repeat(np.arange(b_n), units[b_comm])
    u_n = len(u_building)
    tables["unit"] = {
        "id": row_ids(u_n),
        "building_id": ids_of(u_building),
        "number": (positions_within(units[b_comm]) + 1).astype(np.int32),
    }

    u_comm = b_comm[u_building]
    flats_per_unit = floors[u_comm] * doors[u_comm]
    a_unit = np.repeat(np.arange(u_n), flats_per_unit)
    a_comm = u_comm[a_unit]
    a_k = positions_within(flats_per_unit)
    a_doors = doors[a_comm]
    tables["address"] = {
        "id": row_ids(len(a_unit)),
        "unit_id": ids_of(a_unit),
        "community_id": ids_of(a_comm),
        "floor": (a_k // a_doors + 1).astype(np.int32),
        "door": (a_k % a_doors + 1).astype(np.int32),
    }

    # Households move into a random choice of each community's flats, in address order.
    order = sort_order((a_comm << 20) | random_bits(rng, len(a_comm)))
    rank = positions_within(np.bincount(a_comm, minlength=c_n))
    chosen = np.sort(order[rank < households[a_comm[order]]])
    suitable = rng.random(len(hh_size)) < rules.home_suitable_probability(hh_size)
    tables["household"] = {
        "id": row_ids(len(hh_size)),
        "address_id": ids_of(chosen),
        "community_id": ids_of(hh_comm),
        "home_suitable": suitable,
    }


def area_community(rng: np.random.Generator, areas: Areas, local: BoolArray,
                   area: IntArray) -> IntArray:
    """A random community inside each row's subdistrict (local) or district."""
    s_n, d_n = areas.plan.subdistricts, areas.plan.districts
    per_sub = np.bincount(areas.sub_of_comm, minlength=s_n)
    per_district = np.bincount(areas.district_of_comm, minlength=d_n)
    first = np.where(local, group_starts(per_sub)[np.where(local, area, 0)],
                     group_starts(per_district)[np.where(local, 0, area)])
    count = np.where(local, per_sub[np.where(local, area, 0)],
                     per_district[np.where(local, 0, area)])
    return first + np.floor(rng.random(len(area)) * count).astype(np.int64)


def pair_vocab() -> tuple[str, ...]:
    """Every two-syllable latin name."""
    syllables = rules.PLACE_SYLLABLES
    return tuple((a[1] + b[1]).capitalize() for a in syllables for b in syllables)


def pair_codes(rng: np.random.Generator, rows: int) -> IntArray:
    """A random two-syllable name (code into pair_vocab) per row."""
    return rng.integers(0, len(rules.PLACE_SYLLABLES) ** 2, rows)


# ------------------------------------------------------------------ venues


def build_venues(rng: np.random.Generator, areas: Areas, tables: dict[str, TableColumns]) -> None:
    """Venues of every community and the hospitals of every district, into tables."""
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
    h_comm = area_community(rng, areas, np.zeros(len(h_district), dtype=bool), h_district)
    all_kinds = (*kinds, rules.HOSPITAL)
    comm = np.concatenate([v_comm, h_comm])
    kind = np.concatenate([v_kind, np.full(len(h_comm), len(kinds))])
    order = np.lexsort((kind, comm))
    comm, kind = comm[order], kind[order]
    n = len(comm)
    lon, lat = point_in(rng, areas.comm_rect, comm)
    enclosed_share = np.array([k.enclosed_share for k in all_kinds])
    tables["venue"] = {
        "id": row_ids(n),
        "name": Joined((Categorical(pair_vocab(), pair_codes(rng, n).astype(np.int32)),
                        constant_text(" ", n),
                        Categorical(tuple(k.label for k in all_kinds), kind.astype(np.int8)))),
        "kind": Categorical(tuple(k.kind for k in all_kinds), kind.astype(np.int8)),
        "community_id": ids_of(comm),
        "lat": lat,
        "lon": lon,
        "enclosed": rng.random(n) < enclosed_share[kind],
    }
