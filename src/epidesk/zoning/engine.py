"""The geometry tree with resident counts rolled up once, and the zones of every case
computed on plain arrays: a zone's population is a lookup, not a scan."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from epidesk.zoning.rules import FLOORS, TREE_KINDS

IntArray = NDArray[np.int64]
# Zone kinds as numbers in the arrays: the tree's, then venue and district.
KIND_CODES: dict[str, int] = {k: i for i, k in enumerate((*TREE_KINDS, "venue", "district"))}
KIND_NAMES: tuple[str, ...] = tuple(KIND_CODES)
LEVEL_CODES: dict[str, int] = {"low": 1, "medium": 2, "high": 3}
LEVEL_NAMES: dict[int, str] = {v: k for k, v in LEVEL_CODES.items()}
RESIDENCE, PLACE = 0, 1


def _i64(values: Any) -> IntArray:
    return np.asarray(values, dtype=np.int64)


@dataclass(frozen=True)
class TreeArrays:
    """The geometry and who lives where, as read from the database."""

    address: IntArray  # address ids
    address_unit: IntArray
    address_floor: IntArray
    address_community: IntArray
    unit: IntArray
    unit_building: IntArray
    community: IntArray
    community_subdistrict: IntArray
    subdistrict: IntArray
    subdistrict_district: IntArray
    household_address: IntArray  # one row per household with its resident count
    household_residents: IntArray
    venue: IntArray
    venue_community: IntArray
    household: IntArray  # every household (by id) and its address
    household_at: IntArray


def _lookup(keys: IntArray, values: IntArray, wanted: IntArray, default: int = -1) -> IntArray:
    """values[keys == wanted] for sorted keys; `default` where a key is missing."""
    if len(keys) == 0:
        return np.full(len(wanted), default, dtype=np.int64)
    at = np.searchsorted(keys, wanted)
    at = np.clip(at, 0, len(keys) - 1)
    found = keys[at] == wanted
    out: IntArray = np.where(found, values[at], default).astype(np.int64)
    return out


@dataclass
class Rollup:
    """One kind of node: its references (sorted), residents, households and places above."""

    ref: IntArray
    residents: IntArray
    households: IntArray
    building: IntArray
    community: IntArray
    district: IntArray


@dataclass
class ZoningTree:
    """city > district > subdistrict > community > building > unit > floor > household."""

    address: IntArray
    refs: dict[str, IntArray]  # kind -> the node of each address (by position)
    rollups: dict[str, Rollup] = field(default_factory=dict)
    venue: IntArray = field(default_factory=lambda: _i64([]))
    venue_community: IntArray = field(default_factory=lambda: _i64([]))
    venue_district: IntArray = field(default_factory=lambda: _i64([]))
    community_district: dict[int, int] = field(default_factory=dict)
    community_subdistrict: dict[int, int] = field(default_factory=dict)
    household: IntArray = field(default_factory=lambda: _i64([]))
    household_at: IntArray = field(default_factory=lambda: _i64([]))

    def address_of_households(self, households: IntArray) -> IntArray:
        """The address of each household (-1 for an unknown one)."""
        return _lookup(self.household, self.household_at, households)

    def population(self, kind: str, refs: IntArray) -> tuple[IntArray, IntArray]:
        """Residents and households of nodes of one kind (0 for a venue or an unknown node)."""
        if kind not in self.rollups:
            zero = np.zeros(len(refs), dtype=np.int64)
            return zero, zero.copy()
        r = self.rollups[kind]
        return (_lookup(r.ref, r.residents, refs, 0), _lookup(r.ref, r.households, refs, 0))

    def node_of(self, kind: str, address_ids: IntArray) -> IntArray:
        """The node of each address at a kind of the tree (-1 for an unknown address)."""
        at = _lookup(self.address, np.arange(len(self.address), dtype=np.int64),
                     _i64(address_ids))
        out = np.full(len(at), -1, dtype=np.int64)
        ok = at >= 0
        out[ok] = self.refs[kind][at[ok]]
        return out

    def places_of(self, kind: str, refs: IntArray) -> tuple[IntArray, IntArray, IntArray]:
        """Building, community and district of nodes (-1 where the kind has none)."""
        if kind == "venue":
            com = _lookup(self.venue, self.venue_community, refs)
            return (np.full(len(refs), -1, dtype=np.int64), com,
                    _lookup(self.venue, self.venue_district, refs))
        if kind == "district":
            none = np.full(len(refs), -1, dtype=np.int64)
            return none, none.copy(), _i64(refs)
        r = self.rollups[kind]
        return (_lookup(r.ref, r.building, refs), _lookup(r.ref, r.community, refs),
                _lookup(r.ref, r.district, refs))

    def addresses_under(self, kind: str, refs: IntArray) -> tuple[IntArray, IntArray]:
        """Every address under any of these nodes of one kind, and the node of each."""
        hit = np.isin(self.refs[kind], _i64(refs))
        return self.address[hit], self.refs[kind][hit]

    def addresses_in(self, kind: str, ref: int) -> IntArray:
        """Every address of a node of the tree."""
        found: IntArray = self.address[self.refs[kind] == ref]
        return found

    @property
    def residents(self) -> int:
        """Residents of the whole tree."""
        return int(self.rollups["district"].residents.sum()) if "district" in self.rollups else 0


def build_tree(a: TreeArrays) -> ZoningTree:
    """Roll resident and household counts up the tree, once."""
    order = np.argsort(a.address, kind="stable")
    address = a.address[order]
    unit = a.address_unit[order]
    floor = a.address_floor[order]
    community = a.address_community[order]
    uorder = np.argsort(a.unit, kind="stable")
    building = _lookup(a.unit[uorder], a.unit_building[uorder], unit)
    corder = np.argsort(a.community, kind="stable")
    subdistrict = _lookup(a.community[corder], a.community_subdistrict[corder], community)
    sorder = np.argsort(a.subdistrict, kind="stable")
    district = _lookup(a.subdistrict[sorder], a.subdistrict_district[sorder], subdistrict)
    at = _lookup(address, np.arange(len(address), dtype=np.int64), a.household_address)
    ok = at >= 0
    residents = np.bincount(at[ok], weights=a.household_residents[ok],
                            minlength=len(address)).astype(np.int64)
    households = np.bincount(at[ok], weights=(a.household_residents[ok] > 0),
                             minlength=len(address)).astype(np.int64)
    refs = {"household": address, "floor": unit * FLOORS + floor, "unit": unit,
            "building": building, "compound": community, "district": district}
    tree = ZoningTree(address=address, refs=refs)
    for kind, node in refs.items():
        uniq, first, inverse = np.unique(node, return_index=True, return_inverse=True)
        tree.rollups[kind] = Rollup(
            ref=uniq.astype(np.int64),
            residents=np.bincount(inverse, weights=residents, minlength=len(uniq)).astype(np.int64),
            households=np.bincount(inverse, weights=households,
                                   minlength=len(uniq)).astype(np.int64),
            building=building[first], community=community[first], district=district[first])
    tree.community_district = dict(zip(community.tolist(), district.tolist(), strict=True))
    tree.community_subdistrict = dict(zip(a.community.tolist(), a.community_subdistrict.tolist(),
                                          strict=True))
    vorder = np.argsort(a.venue, kind="stable")
    tree.venue = a.venue[vorder]
    tree.venue_community = a.venue_community[vorder]
    ccom = a.community[corder]
    cdis = _lookup(a.subdistrict[sorder], a.subdistrict_district[sorder],
                   a.community_subdistrict[corder])
    tree.venue_district = _lookup(ccom, cdis, tree.venue_community)
    horder = np.argsort(a.household, kind="stable")
    tree.household, tree.household_at = a.household[horder], a.household_at[horder]
    return tree


@dataclass(frozen=True)
class CaseArrays:
    """Cases and where they were while infectious, as day numbers (date ordinals)."""

    case: IntArray
    sampling: IntArray
    first: IntArray  # first infectious day
    last: IntArray  # last infectious day
    # Household stays: case position, address, first and last day (inclusive).
    stay_case: IntArray
    stay_address: IntArray
    stay_first: IntArray
    stay_last: IntArray
    # Venue visits: case position, venue, day (visit logs, and recorded exposures
    # naming a venue).
    visit_case: IntArray
    visit_venue: IntArray
    visit_day: IntArray
    # Buildings named in recorded exposures: case position, building, day.
    place_case: IntArray = field(default_factory=lambda: _i64([]))
    place_building: IntArray = field(default_factory=lambda: _i64([]))
    place_day: IntArray = field(default_factory=lambda: _i64([]))


@dataclass(frozen=True)
class Drawing:
    """What the preset asks: the unit of residence zones, the level of places, low-risk rest."""

    granularity: str
    places_level: str | None
    low: bool


@dataclass
class ComputedZones:
    """Zones as arrays, sorted by (kind, ref); triggers point into them."""

    kind: IntArray
    ref: IntArray
    level: IntArray
    first_day: IntArray
    last_day: IntArray
    residents: IntArray
    households: IntArray
    district: IntArray
    trigger_zone: IntArray
    trigger_case: IntArray
    trigger_link: IntArray
    trigger_day: IntArray

    def __len__(self) -> int:
        return len(self.kind)

    def keys(self) -> list[str]:
        """The area key of every zone."""
        return [f"{KIND_NAMES[k]}:{r}" for k, r in zip(self.kind.tolist(), self.ref.tolist(),
                                                         strict=True)]

    def same_as(self, other: ComputedZones) -> bool:
        """Whether two computations found the same zones with the same triggers."""
        mine = sorted(zip(self.keys(), self.level.tolist(), self.residents.tolist(),
                          strict=True))
        theirs = sorted(zip(other.keys(), other.level.tolist(), other.residents.tolist(),
                            strict=True))
        return mine == theirs and _trigger_set(self) == _trigger_set(other)


def _trigger_set(z: ComputedZones) -> set[tuple[str, int, int]]:
    keys = z.keys()
    return {(keys[i], c, k) for i, c, k in zip(z.trigger_zone.tolist(), z.trigger_case.tolist(),
                                                z.trigger_link.tolist(), strict=True)}


def compute_zones(tree: ZoningTree, cases: CaseArrays, drawing: Drawing) -> ComputedZones:
    """Every zone the cases draw: the node of the preset's unit holding each home a case
    lived in while infectious (high), and each place it stayed (the preset's place level)."""
    kinds: list[IntArray] = []
    refs: list[IntArray] = []
    levels: list[IntArray] = []
    positions: list[IntArray] = []
    links: list[IntArray] = []
    c = cases.stay_case
    lived = (cases.stay_first <= cases.last[c]) & (cases.stay_last >= cases.first[c])
    home = tree.node_of(drawing.granularity, cases.stay_address[lived])
    known = home >= 0
    pos = c[lived][known]
    kinds.append(np.full(len(pos), KIND_CODES[drawing.granularity], dtype=np.int64))
    refs.append(home[known])
    levels.append(np.full(len(pos), LEVEL_CODES["high"], dtype=np.int64))
    positions.append(pos)
    links.append(np.full(len(pos), RESIDENCE, dtype=np.int64))
    if drawing.places_level is not None and len(cases.visit_case):
        v = cases.visit_case
        stayed = (cases.visit_day >= cases.first[v]) & (cases.visit_day <= cases.last[v])
        venue = cases.visit_venue[stayed]
        if drawing.granularity == "compound":
            place_kind = "compound"
            place = _lookup(tree.venue, tree.venue_community, venue)
        else:
            place_kind = "venue"
            place = np.where(_lookup(tree.venue, tree.venue, venue) >= 0, venue, -1)
        ok = place >= 0
        pos = v[stayed][ok]
        kinds.append(np.full(len(pos), KIND_CODES[place_kind], dtype=np.int64))
        refs.append(place[ok])
        levels.append(np.full(len(pos), LEVEL_CODES[drawing.places_level], dtype=np.int64))
        positions.append(pos)
        links.append(np.full(len(pos), PLACE, dtype=np.int64))
    if drawing.places_level is not None and len(cases.place_case):
        p = cases.place_case
        stayed = (cases.place_day >= cases.first[p]) & (cases.place_day <= cases.last[p])
        building = cases.place_building[stayed]
        buildings = tree.rollups["building"]
        if drawing.granularity == "compound":
            place_kind = "compound"
            place = _lookup(buildings.ref, buildings.community, building)
        else:
            place_kind = "building"
            place = _lookup(buildings.ref, buildings.ref, building)
        ok = place >= 0
        pos = p[stayed][ok]
        kinds.append(np.full(len(pos), KIND_CODES[place_kind], dtype=np.int64))
        refs.append(place[ok])
        levels.append(np.full(len(pos), LEVEL_CODES[drawing.places_level], dtype=np.int64))
        positions.append(pos)
        links.append(np.full(len(pos), PLACE, dtype=np.int64))
    kind = np.concatenate(kinds)
    ref = np.concatenate(refs)
    level = np.concatenate(levels)
    position = np.concatenate(positions)
    link = np.concatenate(links)
    key = kind * (1 << 48) + ref
    uniq, inverse = np.unique(key, return_inverse=True)
    n = len(uniq)
    zkind = (uniq >> 48).astype(np.int64)
    zref = (uniq & ((1 << 48) - 1)).astype(np.int64)
    zlevel = np.zeros(n, dtype=np.int64)
    np.maximum.at(zlevel, inverse, level)
    day = cases.sampling[position]
    first_day = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first_day, inverse, day)
    last_day = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(last_day, inverse, day)
    residents = np.zeros(n, dtype=np.int64)
    households = np.zeros(n, dtype=np.int64)
    district = np.full(n, -1, dtype=np.int64)
    for code in np.unique(zkind).tolist():
        pick = zkind == code
        name = KIND_NAMES[code]
        residents[pick], households[pick] = tree.population(name, zref[pick])
        district[pick] = tree.places_of(name, zref[pick])[2]
    # One trigger per zone and case: the residence link wins over a stay.
    tkey = inverse * (1 << 32) + cases.case[position]
    order = np.lexsort((link, tkey))
    tkey_sorted = tkey[order]
    keep = np.ones(len(order), dtype=bool)
    keep[1:] = tkey_sorted[1:] != tkey_sorted[:-1]
    chosen = order[keep]
    zones = ComputedZones(kind=zkind, ref=zref, level=zlevel, first_day=first_day,
                          last_day=last_day, residents=residents, households=households,
                          district=district, trigger_zone=inverse[chosen].astype(np.int64),
                          trigger_case=cases.case[position[chosen]],
                          trigger_link=link[chosen], trigger_day=day[chosen])
    if drawing.low:
        zones = with_low_rest(tree, zones)
    return zones


def with_low_rest(tree: ZoningTree, zones: ComputedZones) -> ComputedZones:
    """Add the low-risk rest of every district holding a higher zone: its residents are
    the district's less those in its higher zones."""
    higher = zones.level > LEVEL_CODES["low"]
    districts = np.unique(zones.district[higher & (zones.district >= 0)])
    if len(districts) == 0:
        return zones
    total, homes = tree.population("district", districts)
    at = np.searchsorted(districts, zones.district[higher])
    inside = np.bincount(at, weights=zones.residents[higher], minlength=len(districts))
    inside_h = np.bincount(at, weights=zones.households[higher], minlength=len(districts))
    n = len(districts)
    code = KIND_CODES["district"]
    first = np.full(n, zones.first_day.min() if len(zones) else 0, dtype=np.int64)
    last = np.full(n, zones.last_day.max() if len(zones) else 0, dtype=np.int64)
    merged = ComputedZones(
        kind=np.concatenate([zones.kind, np.full(n, code, dtype=np.int64)]),
        ref=np.concatenate([zones.ref, districts]),
        level=np.concatenate([zones.level, np.full(n, LEVEL_CODES["low"], dtype=np.int64)]),
        first_day=np.concatenate([zones.first_day, first]),
        last_day=np.concatenate([zones.last_day, last]),
        residents=np.concatenate([zones.residents, np.maximum(total - inside, 0)
                                  .astype(np.int64)]),
        households=np.concatenate([zones.households, np.maximum(homes - inside_h, 0)
                                   .astype(np.int64)]),
        district=np.concatenate([zones.district, districts]),
        trigger_zone=zones.trigger_zone, trigger_case=zones.trigger_case,
        trigger_link=zones.trigger_link, trigger_day=zones.trigger_day)
    return merged


def drawing_of(granularity: str, places_level: str | None, levels: tuple[str, ...],
               low_area: str | None) -> Drawing:
    """The engine's drawing from a preset's values."""
    return Drawing(granularity=granularity, places_level=places_level,
                   low="low" in levels and low_area == "district")
