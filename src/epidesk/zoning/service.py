"""Use cases of zoning: draw the zones of every case, step them down day by day, change
them by hand with a reason, and tally the testing rounds of each zone at ingest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from epidesk.cases import repository as cases
from epidesk.errors import NotFoundError, ValidationFailedError
from epidesk.kit import clock, events
from epidesk.kit.bulk.reading import looked_up
from epidesk.kit.merges import Merge
from epidesk.people import repository as people
from epidesk.people.columns import repository as people_columns
from epidesk.policy.schemas import Preset
from epidesk.policy.service import active_preset, get_preset
from epidesk.testing import repository as testing
from epidesk.tracing.graph import service as graphs
from epidesk.tracing.graph.engine import ContactGraph
from epidesk.zoning import repository
from epidesk.zoning.engine import (
    KIND_NAMES,
    LEVEL_NAMES,
    PLACE,
    ComputedZones,
    ZoningTree,
    compute_zones,
)
from epidesk.zoning.models import Zone
from epidesk.zoning.rules import (
    ACTIVE,
    LIFTED,
    MANUAL,
    RANK,
    RULE,
    TREE_KINDS,
    ZoningRuleError,
    check_manual_change,
    ends_zone,
    parse_key,
    planned_end,
    round_negative,
    rule_name,
    step_due,
)
from epidesk.zoning.tree.service import (
    case_arrays,
    case_arrays_in_memory,
    drawing,
    load_tree,
)


def compute(session: Session, *, preset: Preset | None = None, tree: ZoningTree | None = None,
            as_of: dt.date | None = None, graph: ContactGraph | None = None) -> ComputedZones:
    """Every zone the active cases draw under a preset (nothing written): homes and visits
    from the contact graph in memory when one is given, else read for the cases."""
    chosen = preset or active_preset()
    tree = tree or load_tree(session)
    found = (case_arrays(session, chosen, as_of=as_of) if graph is None
             else case_arrays_in_memory(session, chosen, tree, graph, as_of=as_of))
    return compute_zones(tree, found, drawing(chosen))


# ------------------------------------------------------------------ writing the zones


@dataclass
class Applied:
    """What a recomputation or a step-down changed."""

    opened: int = 0
    restarted: int = 0
    stepped_down: int = 0
    lifted: int = 0
    withdrawn: int = 0
    zones: int = 0
    details: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The counts, by kind of change."""
        return {"zones_opened": self.opened, "zones_restarted": self.restarted,
                "zones_stepped_down": self.stepped_down, "zones_lifted": self.lifted,
                "zones_withdrawn": self.withdrawn}


def _label(kind: str, ref: int, tree: ZoningTree) -> str:
    if kind == "floor":
        return f"floor {ref % 1000} of unit {ref // 1000}"
    if kind == "household":
        return f"flat at address {ref}"
    return f"{kind} {ref}"


def _change(zone: Zone, *, day: dt.date, kind: str, from_level: str | None, to_level: str,
            rule: str, actor: str, reason: str | None = None, override: bool = False,
            category: str | None = None) -> dict[str, Any]:
    return {"zone_id": zone.id, "on_day": day, "at": clock.now(), "kind": kind,
            "from_level": from_level, "to_level": to_level, "area_key": zone.area_key,
            "residents": zone.residents, "households": zone.households, "rule": rule,
            "actor": actor[:64], "reason": reason, "override": override,
            "reason_category": category}


def _new_zone(preset: Preset, tree: ZoningTree, *, kind: str, ref: int, level: str,
              rule: str, opened: dt.date, last: dt.date | None, residents: int,
              households: int) -> Zone:
    building, community, district = (int(v[0]) for v in tree.places_of(
        kind, np.asarray([ref], dtype=np.int64)))
    key = f"{kind}:{ref}"
    return Zone(preset=preset.name, area_key=key, area_kind=kind, drawn_key=key,
                district_id=district, community_id=community if community >= 0 else None,
                subdistrict_id=tree.community_subdistrict.get(community),
                building_id=building if building >= 0 else None,
                label=_label(kind, ref, tree), level=level, formerly=None, status=ACTIVE,
                rule=rule, origin=RULE, residents=residents, households=households,
                opened_on=opened, level_since=last or opened, last_infection_on=last,
                planned_end=None, lifted_on=None, updated_at=clock.now())


def _new_rows(preset: Preset, tree: ZoningTree, found: ComputedZones, picks: list[int]
              ) -> list[dict[str, Any]]:
    """The rows of new zones drawn by the rules, places looked up kind by kind."""
    rows: list[dict[str, Any]] = []
    at = np.asarray(picks, dtype=np.int64)
    now = clock.now()
    for code in np.unique(found.kind[at]).tolist() if len(at) else []:
        chosen = at[found.kind[at] == code]
        kind = KIND_NAMES[int(code)]
        refs = found.ref[chosen]
        building, community, district = tree.places_of(kind, refs)
        for j, i in enumerate(chosen.tolist()):
            level = LEVEL_NAMES[int(found.level[i])]
            ref = int(refs[j])
            last = dt.date.fromordinal(int(found.last_day[i]))
            com = int(community[j])
            key = f"{kind}:{ref}"
            rows.append({
                "preset": preset.name, "area_key": key, "area_kind": kind, "drawn_key": key,
                "district_id": int(district[j]), "community_id": com if com >= 0 else None,
                "subdistrict_id": tree.community_subdistrict.get(com),
                "building_id": int(building[j]) if building[j] >= 0 else None,
                "label": _label(kind, ref, tree), "level": level, "formerly": None,
                "status": ACTIVE, "rule": f"zoning.levels.{level}", "origin": RULE,
                "residents": int(found.residents[i]), "households": int(found.households[i]),
                "opened_on": dt.date.fromordinal(int(found.first_day[i])),
                "level_since": last, "last_infection_on": last,
                "planned_end": planned_end(level, None, last, preset), "lifted_on": None,
                "updated_at": now})
    return rows


def _opened(row: dict[str, Any], zone_id: int, actor: str) -> dict[str, Any]:
    return {"zone_id": zone_id, "on_day": row["opened_on"], "at": row["updated_at"],
            "kind": "opened", "from_level": None, "to_level": row["level"],
            "area_key": row["area_key"], "residents": row["residents"],
            "households": row["households"], "rule": row["rule"], "actor": actor[:64],
            "reason": None, "override": False, "reason_category": None}


def _plan(zone: Zone, preset: Preset) -> None:
    start = max(zone.level_since, zone.last_infection_on or zone.level_since)
    zone.planned_end = (None if zone.level == "low"
                        else planned_end(zone.level, zone.formerly, start, preset))


def recompute(session: Session, *, actor: str, preset: Preset | None = None,
              tree: ZoningTree | None = None, day: dt.date | None = None,
              graph: ContactGraph | None = None) -> Applied:
    """Draw every case's zones and write what changed: new zones open, a new infection
    restarts a zone's clock (raising its level where the rule calls for more), zones whose
    cases were all withdrawn close. Idempotent."""
    chosen = preset or active_preset()
    today = day or clock.city_today()
    tree = tree or load_tree(session)
    found = compute(session, preset=chosen, tree=tree, as_of=today, graph=graph)
    keys = found.keys()
    stored = {z.drawn_key: z for z in repository.zones(session, preset=chosen.name,
                                                       triggers=False)
              if z.area_kind != "district"}
    lifted = repository.last_infections_of_lifted(session, preset=chosen.name)
    result = Applied(zones=len(keys))
    changes: list[dict[str, Any]] = []
    zone_ids: dict[int, int] = {}
    fresh: list[int] = []
    for i, key in enumerate(keys):
        level = LEVEL_NAMES[int(found.level[i])]
        last = dt.date.fromordinal(int(found.last_day[i]))
        zone = stored.pop(key, None)
        if zone is None:
            # A lifted zone opens again only for an infection after its last one.
            if key not in lifted or last > lifted[key]:
                fresh.append(i)
            continue
        if zone.last_infection_on is None or last > zone.last_infection_on:
            raised = level if RANK[level] > RANK[zone.level] else zone.level
            changes.append(_change(zone, day=last, kind="restarted", from_level=zone.level,
                                   to_level=raised, rule=f"zoning.levels.{level}",
                                   actor=actor))
            zone.level, zone.formerly = raised, None
            zone.level_since, zone.last_infection_on = last, last
            zone.updated_at = clock.now()
            result.restarted += 1
        if zone.origin == RULE:
            zone.residents, zone.households = (int(found.residents[i]),
                                               int(found.households[i]))
        _plan(zone, chosen)
        zone_ids[i] = zone.id
    rows = _new_rows(chosen, tree, found, fresh)
    ids = repository.add_zones(session, rows)
    for i, row in zip(fresh, rows, strict=True):
        zone_ids[i] = ids[row["area_key"]]
        changes.append(_opened(row, zone_ids[i], actor))
    result.opened = len(rows)
    for zone in stored.values():
        if zone.origin == RULE:
            changes.append(_change(zone, day=today, kind="withdrawn", from_level=zone.level,
                                   to_level=LIFTED, rule=zone.rule, actor=actor,
                                   reason="every case that drew the zone was withdrawn"))
            zone.status, zone.lifted_on, zone.planned_end = LIFTED, today, None
            result.withdrawn += 1
    _write_triggers(session, found, zone_ids, fresh={zone_ids[i] for i in fresh})
    repository.add_changes(session, changes)
    _low_rest(session, chosen, tree, today, actor, result)
    session.flush()
    return result


def _write_triggers(session: Session, found: ComputedZones, zone_of: dict[int, int],
                    fresh: set[int]) -> None:
    session.flush()
    repository.drop_triggers(session, [z for z in zone_of.values() if z not in fresh])
    repository.add_triggers(session, [
        {"zone_id": zone_of[int(z)], "case_id": int(c),
         "link": "place" if int(k) == PLACE else "residence",
         "sampling_date": dt.date.fromordinal(int(d))}
        for z, c, k, d in zip(found.trigger_zone, found.trigger_case, found.trigger_link,
                              found.trigger_day, strict=True) if int(z) in zone_of])
    written = set(zone_of.values())
    for zone in session.identity_map.values():
        if isinstance(zone, Zone) and zone.id in written:
            session.expire(zone, ["triggers"])


def _low_rest(session: Session, preset: Preset, tree: ZoningTree, day: dt.date, actor: str,
              result: Applied, ended: dict[int, dt.date] | None = None) -> None:
    """Keep one low-risk zone per district holding a higher zone (the rest of it)."""
    d = preset.zoning.drawn()
    active = repository.zones(session, preset=preset.name, triggers=False)
    low = {z.area_key: z for z in active if z.area_kind == "district"}
    higher = [z for z in active if z.area_kind != "district" and z.level != "low"]
    wanted: dict[int, list[Zone]] = {}
    if "low" in preset.zoning.levels and d.low_area == "district":
        for z in higher:
            wanted.setdefault(z.district_id, []).append(z)
    changes: list[dict[str, Any]] = []
    for district, inside in wanted.items():
        total, homes = tree.population("district", np.asarray([district], dtype=np.int64))
        residents = max(0, int(total[0]) - sum(z.residents for z in inside))
        households = max(0, int(homes[0]) - sum(z.households for z in inside))
        key = f"district:{district}"
        zone = low.pop(key, None)
        if zone is None:
            zone = _new_zone(preset, tree, kind="district", ref=district, level="low",
                             rule="zoning.levels.low", opened=min(z.opened_on for z in inside),
                             last=None, residents=residents, households=households)
            zone.label = f"the rest of district {district}"
            session.add(zone)
            session.flush()
            changes.append(_change(zone, day=zone.opened_on, kind="opened", from_level=None,
                                   to_level="low", rule=zone.rule, actor=actor))
        else:
            zone.residents, zone.households = residents, households
    for zone in low.values():
        on = (ended or {}).get(zone.district_id, day)
        changes.append(_change(zone, day=on, kind="lifted", from_level="low", to_level=LIFTED,
                               rule="zoning.levels.low", actor=actor,
                               reason="no higher-risk zone is left in the district"))
        zone.status, zone.lifted_on = LIFTED, on
        result.lifted += 1
    repository.add_changes(session, changes)


# ------------------------------------------------------------------ stepping down


def step_down(session: Session, *, actor: str, day: dt.date | None = None,
              preset: Preset | None = None, tree: ZoningTree | None = None) -> Applied:
    """Step every zone down whose clock has run by `day` (with a negative full round where
    the rule asks for one), on the first day it could; idempotent for a day."""
    chosen = preset or active_preset()
    today = day or clock.city_today()
    share = chosen.zoning.drawn().round_share
    result = Applied()
    changes: list[dict[str, Any]] = []
    ended: dict[int, dt.date] = {}
    zones = [z for z in repository.zones(session, preset=chosen.name, triggers=False)
             if z.area_kind != "district"]
    since = min((z.level_since for z in zones), default=today)
    rounds = repository.tallies_between(session, [z.id for z in zones], since, today)
    for zone in zones:
        while zone.status == ACTIVE:
            clock_start = max(zone.level_since, zone.last_infection_on or zone.level_since)
            stepped = _first_step(rounds, zone, clock_start, today, share, chosen)
            if stepped is None:
                break
            on, rule = stepped
            to = rule.to_level
            lifted = ends_zone(to)
            # An area stepped to low joins the district's low-risk rest: its zone ends.
            changes.append(_change(zone, day=on, kind="lifted" if lifted else "stepped_down",
                                   from_level=zone.level, to_level=LIFTED if lifted else to,
                                   rule=rule_name(rule, chosen), actor=actor))
            if lifted:
                zone.status, zone.lifted_on, zone.planned_end = LIFTED, on, None
                ended[zone.district_id] = max(on, ended.get(zone.district_id, on))
                result.lifted += 1
            else:
                zone.formerly, zone.level, zone.level_since = zone.level, to, on
                _plan(zone, chosen)
                result.stepped_down += 1
            zone.updated_at = clock.now()
    repository.add_changes(session, changes)
    session.flush()
    _low_rest(session, chosen, tree or load_tree(session), today, actor, result, ended)
    session.flush()
    return result


def _first_step(rounds: dict[tuple[int, dt.date], tuple[int, int]], zone: Zone,
                clock_start: dt.date, today: dt.date, share: float, preset: Preset
                ) -> tuple[dt.date, Any] | None:
    """The first day in (clock start, today] the zone may step down, and the rule."""
    day = clock_start
    while day < today:
        day += dt.timedelta(days=1)
        due = step_due(zone.level, zone.formerly, clock_start, day, True, preset)
        if due is None:
            continue
        if due.negative_full_round_on_day is None:
            return day, due
        sampled, positive = rounds.get((zone.id, day), (0, 0))
        negative = round_negative(sampled, positive, zone.residents, share)
        rule = step_due(zone.level, zone.formerly, clock_start, day, negative, preset)
        if rule is not None:
            return day, rule
    return None


def daily(session: Session, *, actor: str, day: dt.date | None = None,
          preset: Preset | None = None, tree: list[ZoningTree] | None = None) -> Applied:
    """The daily job: tally the batches not tallied yet, draw the zones of new cases, then
    step zones down; safe to run twice. `tree` may hold the zoning tree already read (or
    receives it)."""
    chosen = preset or active_preset()
    tree = [] if tree is None else tree
    tally_pending(session, tree=tree)  # batches whose tallies followed no commit yet
    if (not repository.zones(session, preset=chosen.name, triggers=False, limit=1)
            and not cases.active_episode_rows(session)):
        return Applied()  # no case and no zone: nothing to draw or step down
    areas = _tree_of(session, tree)
    # Homes and visits come from the contact graph when this process holds one already;
    # else they are read for the active cases alone.
    drawn = recompute(session, actor=actor, preset=chosen, tree=areas, day=day,
                      graph=graphs.held_graph(session))
    stepped = step_down(session, actor=actor, day=day, preset=chosen, tree=areas)
    drawn.stepped_down += stepped.stepped_down
    drawn.lifted += stepped.lifted
    return drawn


# ------------------------------------------------------------------ testing rounds


def follow_testing(session: Session, *, actor: str = "system", now: dt.datetime | None = None,
                   preset: Preset | None = None, **_: Any) -> dict[str, int]:
    """After an ingest: tally who of each zone was sampled per city day (and who was in a
    positive tube), then draw the new cases' zones and step zones down for the day."""
    chosen = preset or active_preset()
    tree: list[ZoningTree] = []  # read once, when first needed, for the tallies and the day
    sampled = tally_pending(session, tree=tree)
    day = clock.city_today(now)
    counts = daily(session, actor=actor, day=day, preset=chosen, tree=tree).counts()
    counts["zone_residents_sampled"] = sampled
    return counts


def tally_pending(session: Session, *, tree: list[ZoningTree] | None = None) -> int:
    """Tally the batches accepted since zoning last followed testing (see tally_batch);
    how many swabs of zone residents they held."""
    cursor = events.cursor_name("zoning", "testing")
    batch_ids = testing.accepted_batch_ids_after(session, events.position(session, cursor))
    sampled = 0
    for batch_id in batch_ids:
        sampled += tally_batch(session, batch_id=batch_id, tree=tree)
    if batch_ids:
        events.advance(session, cursor, batch_ids[-1])
    return sampled


# Zones holding up to this many residents in all have their swabs read from their
# addresses down; beyond it, the batch's swabs and everyone's home are read as columns.
# On a 10,000,000-resident city with 48 compounds in force (201,895 residents), one
# batch of 10,000,000 swabs took 10.1-10.4 s from the zones down and 32.2 s as columns;
# the first grows with the zones' residents, the second with the city.
ZONE_FIRST_RESIDENTS = 600_000


def _tree_of(session: Session, held: list[ZoningTree] | None) -> ZoningTree:
    """The zoning tree: the one held in `held` when there is one, else read (and kept
    there for the caller's next step)."""
    if held:
        return held[0]
    tree = load_tree(session)
    if held is not None:
        held.append(tree)
    return tree


def tally_batch(session: Session, *, batch_id: int, tree: list[ZoningTree] | None = None
                ) -> int:
    """Add one batch's swabs to the tallies of the active zones (of every preset) their
    residents live in. `tree` may hold the zoning tree already read (or receives it)."""
    active = repository.active_zone_ids_by_key(session)
    refs_of: dict[str, dict[int, list[int]]] = {}
    for key, zone_ids in active.items():
        kind, _, ref = key.partition(":")
        if kind in TREE_KINDS and ref.lstrip("-").isdigit():
            refs_of.setdefault(kind, {})[int(ref)] = zone_ids
    if not refs_of:
        return 0  # no zone in force over any home: nothing to tally
    areas = _tree_of(session, tree)
    # Per address under a zone, the zones in force over it (each kind of area looked up
    # for every address at once).
    zones_of: dict[int, list[int]] = {}
    residents = 0
    for kind, refs in refs_of.items():
        wanted = np.fromiter(refs, dtype=np.int64, count=len(refs))
        residents += int(areas.population(kind, wanted)[0].sum())
        addresses, nodes = areas.addresses_under(kind, wanted)
        for a, ref in zip(addresses.tolist(), nodes.tolist(), strict=True):
            zones_of.setdefault(a, []).extend(refs[ref])
    if not zones_of:
        return 0
    zone = clock.city_zone()
    rows = []
    if residents <= ZONE_FIRST_RESIDENTS:
        homes = dict(people.residents_at_addresses(session, sorted(zones_of)))
        for resident, at, outcome in testing.batch_swabs_of_residents(session, batch_id,
                                                                      sorted(homes)):
            day = clock.local_day(clock.aware(at), zone)
            for zone_id in zones_of[homes[resident]]:
                rows.append({"zone_id": zone_id, "day": day, "resident_id": resident,
                             "positive": outcome == "positive"})
    else:
        # Zones over many residents: the batch's swabs and everyone's home as columns,
        # matched with numpy; only the swabs under a zone become rows.
        ids, homes_of = people_columns.resident_addresses(session)
        swabbed, seconds, in_positive = testing.batch_swab_columns(session, batch_id)
        home = looked_up(ids, homes_of, swabbed)
        under = np.isin(home, np.fromiter(zones_of, dtype=np.int64, count=len(zones_of)))
        days = clock.local_days(seconds[under], zone).tolist()
        for r, address, day, pos in zip(swabbed[under].tolist(), home[under].tolist(), days,
                                        in_positive[under].tolist(), strict=True):
            for zone_id in zones_of[address]:
                rows.append({"zone_id": zone_id, "day": day, "resident_id": r,
                             "positive": pos})
    added = repository.add_samples(session, rows)
    for (zone_id, day), (n, positive) in added.items():
        repository.add_to_tally(session, zone_id, day, n, positive)
    return sum(n for n, _ in added.values())


# ------------------------------------------------------------------ manual changes


def active_zones(session: Session, *, preset: Preset | None = None) -> Sequence[Zone]:
    """The zones in force under a preset (default: the active one)."""
    return repository.zones(session, preset=(preset or active_preset()).name)


def zone_history(session: Session, *, zone_id: int) -> Sequence[Any]:
    """A zone's changes, oldest first."""
    return repository.changes_of(session, zone_id)


def get_zone(session: Session, *, zone_id: int) -> Zone:
    """A zone, or NotFoundError."""
    zone = repository.zone(session, zone_id)
    if zone is None:
        raise NotFoundError(f"no zone {zone_id}")
    return zone


def change_area(session: Session, *, zone_id: int, to_key: str, reason: str, actor: str,
                override: bool = False, override_reason: str = "",
                category: str | None = None, preset: Preset | None = None,
                tree: ZoningTree | None = None) -> Zone:
    """Widen or narrow an active zone to another area of the tree, with a written reason.
    Beyond the preset's units only with an administrator's override (reason and category)."""
    zone = get_zone(session, zone_id=zone_id)
    chosen = preset or get_preset(zone.preset)  # the rules the zone was drawn under
    if zone.status != ACTIVE:
        raise ValidationFailedError(f"zone {zone_id} is lifted; only active zones change")
    try:
        to_kind, to_ref = parse_key(to_key)
        kind = check_manual_change(from_kind=zone.area_kind, to_kind=to_kind, reason=reason,
                                   preset=chosen, override=override,
                                   override_reason=override_reason, category=category)
    except ZoningRuleError as exc:
        raise ValidationFailedError(str(exc)) from exc
    tree = tree or load_tree(session)
    from_kind, from_ref = parse_key(zone.area_key)
    inner_kind, inner_ref = ((from_kind, from_ref) if kind == "widened" else (to_kind, to_ref))
    outer_kind, outer_ref = ((to_kind, to_ref) if kind == "widened" else (from_kind, from_ref))
    inner = tree.addresses_in(inner_kind, inner_ref)
    if len(inner) == 0 or int(tree.node_of(outer_kind, inner[:1])[0]) != outer_ref:
        raise ValidationFailedError(
            f"{to_key} does not {'contain' if kind == 'widened' else 'lie inside'} "
            f"the zone's area {zone.area_key}")
    before = zone.level
    residents, households = tree.population(to_kind, np.asarray([to_ref], dtype=np.int64))
    building, community, _ = tree.places_of(to_kind, np.asarray([to_ref], dtype=np.int64))
    zone.area_key, zone.area_kind = to_key, to_kind
    zone.label = _label(to_kind, to_ref, tree)
    zone.building_id = int(building[0]) if building[0] >= 0 else None
    zone.community_id = int(community[0]) if community[0] >= 0 else zone.community_id
    zone.residents, zone.households = int(residents[0]), int(households[0])
    zone.origin = MANUAL
    zone.updated_at = clock.now()
    note = reason if not override else f"{reason}\nOverride: {override_reason}"
    needs_override = not chosen.zoning.high_risk_unit.allows(to_kind)
    repository.add_changes(session, [_change(
        zone, day=clock.city_today(), kind=kind, from_level=before, to_level=zone.level,
        rule=f"manual ({from_kind} to {to_kind})", actor=actor, reason=note,
        override=needs_override, category=category if needs_override else None)])
    session.flush()
    return zone


def merge_person_rows(session: Session, merge: Merge) -> list[str]:
    """Zoning's merge part: the merged record's sampled days in zones' testing rounds
    become the survivor's (a day both were sampled in one zone is kept once)."""
    moved, once = repository.merge_samples(session, survivor_id=merge.survivor_id,
                                           merged_id=merge.merged_id)
    notes = [f"{moved} zone testing-round sample(s) moved"]
    if once:
        notes.append(f"{once} day(s) sampled under both records kept once")
    return notes

