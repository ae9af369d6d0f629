"""Every query of the zoning domain: its own tables, and the geometry (reference data)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date
from typing import Any

import numpy as np
from sqlalchemy import Select, delete, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from epidesk.db import is_postgres
from epidesk.geography.models import Address, Building, Community, District, Subdistrict, Unit
from epidesk.kit import bulk
from epidesk.kit.bulk.reading import chunks, lite_columns, member, pg_columns
from epidesk.people.columns import repository as people_columns
from epidesk.zoning.models import Zone, ZoneChange, ZoneSample, ZoneTally, ZoneTrigger
from epidesk.zoning.rules import ACTIVE, FLOORS

IntArray = Any


def _ints(rows: Sequence[Any], n: int) -> list[IntArray]:
    return [np.asarray([r[i] for r in rows], dtype=np.int64) for i in range(n)]


def geometry_columns(session: Session) -> dict[str, IntArray]:
    """The tree's geometry as columns: addresses, units, communities, subdistricts."""
    if is_postgres(session):
        address, unit, floor, community = pg_columns(session, "address", [
            ("id", "int4"), ("unit_id", "int4"), ("floor", "int4"), ("community_id", "int4")])
    else:
        address, unit, floor, community = lite_columns(
            session, "SELECT id, unit_id, floor, community_id FROM address",
            ("int", "int", "int", "int"))
    uid, building = _ints(session.execute(select(Unit.id, Unit.building_id)).all(), 2)
    cid, sid = _ints(session.execute(select(Community.id, Community.subdistrict_id)).all(), 2)
    sub, district = _ints(session.execute(select(Subdistrict.id, Subdistrict.district_id))
                          .all(), 2)
    return {"address": address, "address_unit": unit, "address_floor": floor,
            "address_community": community, "unit": uid, "unit_building": building,
            "community": cid, "community_subdistrict": sid, "subdistrict": sub,
            "subdistrict_district": district}


def addresses_of(session: Session, kind: str, ref: int) -> list[int]:
    """Every address of an area of the tree."""
    query: Select[Any]
    if kind == "household":
        query = select(Address.id).where(Address.id == ref)
    elif kind == "floor":
        query = select(Address.id).where(Address.unit_id == ref // FLOORS,
                                         Address.floor == ref % FLOORS)
    elif kind == "unit":
        query = select(Address.id).where(Address.unit_id == ref)
    elif kind == "building":
        query = select(Address.id).join(Unit, Unit.id == Address.unit_id).where(
            Unit.building_id == ref)
    elif kind == "compound":
        query = select(Address.id).where(Address.community_id == ref)
    else:
        return []
    return list(session.scalars(query.order_by(Address.id)))


def address_place(session: Session, address_id: int) -> tuple[Address, Unit, Building] | None:
    """An address with its unit and building."""
    row = session.execute(select(Address, Unit, Building)
                          .join(Unit, Unit.id == Address.unit_id)
                          .join(Building, Building.id == Unit.building_id)
                          .where(Address.id == address_id)).first()
    return None if row is None else (row[0], row[1], row[2])


def find_address(session: Session, *, community: str, building: int, unit: int, floor: int,
                 door: int) -> int | None:
    """The address at a community (name, local name or code), building, unit and flat."""
    return session.scalar(
        select(Address.id).join(Unit, Unit.id == Address.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .join(Community, Community.id == Building.community_id)
        .where(or_(Community.name == community, Community.name_local == community,
                   Community.code == community),
               Building.number == building, Unit.number == unit, Address.floor == floor,
               Address.door == door))


def building_shapes(session: Session, ids: Sequence[int]) -> dict[int, Building]:
    """Buildings by id (their polygons and numbers)."""
    out: dict[int, Building] = {}
    for chunk in chunks(ids):
        out.update({b.id: b for b in session.scalars(select(Building).where(
            Building.id.in_(chunk)))})
    return out


def districts(session: Session, ids: Sequence[int]) -> Sequence[District]:
    """Districts by id."""
    return session.scalars(select(District).where(District.id.in_(list(ids)))).all()


def community_shapes(session: Session, ids: Sequence[int]) -> dict[int, Community]:
    """Communities by id (their polygons and names)."""
    out: dict[int, Community] = {}
    for chunk in chunks(ids):
        out.update({c.id: c for c in session.scalars(select(Community).where(
            Community.id.in_(chunk)))})
    return out


def household_columns(session: Session) -> tuple[IntArray, IntArray, IntArray]:
    """Households (id, address) and the household of every resident (the people domain's)."""
    return people_columns.household_columns(session)


# ------------------------------------------------------------------ zones


def zones(session: Session, *, preset: str, status: str | None = ACTIVE,
          district_ids: Sequence[int] | None = None, limit: int | None = None,
          offset: int = 0, triggers: bool = True) -> Sequence[Zone]:
    """Zones of a preset by district, level and area (with their triggers, if asked)."""
    query = select(Zone).where(Zone.preset == preset)
    if triggers:
        query = query.options(selectinload(Zone.triggers))
    if status is not None:
        query = query.where(Zone.status == status)
    if district_ids is not None:
        query = query.where(Zone.district_id.in_(list(district_ids)))
    query = query.order_by(Zone.district_id, Zone.level, Zone.area_key).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    return session.scalars(query).all()


def last_infections_of_lifted(session: Session, *, preset: str) -> dict[str, date]:
    """For each area a lifted zone of the preset was drawn for, its last infection's day."""
    rows = session.execute(
        select(Zone.drawn_key, func.max(Zone.last_infection_on))
        .where(Zone.preset == preset, Zone.status != ACTIVE,
               Zone.last_infection_on.is_not(None))
        .group_by(Zone.drawn_key)).all()
    return {str(k): d for k, d in rows if d is not None}


def zone(session: Session, zone_id: int) -> Zone | None:
    """A zone by id."""
    return session.get(Zone, zone_id)


def zones_by_keys(session: Session, *, preset: str | None, keys: Sequence[str]
                  ) -> Sequence[Zone]:
    """The active zones of a preset (or of every preset) over these areas."""
    out: list[Zone] = []
    for start in range(0, len(keys), 10_000):
        chunk = list(keys[start:start + 10_000])
        query = select(Zone).where(Zone.status == ACTIVE, Zone.area_key.in_(chunk))
        if preset is not None:
            query = query.where(Zone.preset == preset)
        out += session.scalars(query).all()
    return out


def _columns(table: Any, rows: Sequence[dict[str, Any]]) -> dict[str, bulk.Column]:
    """Rows of dicts as the bulk writer's columns (NULLs masked, texts categorical)."""
    out: dict[str, bulk.Column] = {}
    for name in rows[0]:
        values = [r[name] for r in rows]
        kind = bulk.column_kind(table.c[name].type)
        null = np.asarray([v is None for v in values], dtype=bool)
        if kind == "text":
            out[name] = bulk.Categorical.of(values)
            continue
        if kind == "date":
            array = np.asarray([v or date(1970, 1, 1) for v in values], dtype="datetime64[D]")
        elif kind == "timestamp":
            array = np.asarray([np.datetime64(v.astimezone(UTC).replace(tzinfo=None), "us")
                                for v in values], dtype="datetime64[us]")
        elif kind == "bool":
            array = np.asarray([bool(v) for v in values], dtype=bool)
        else:
            array = np.asarray([0 if v is None else v for v in values], dtype=np.int64)
        out[name] = bulk.Nullable(array, null) if null.any() else array
    return out


def _copy(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    session.flush()
    table = model.__table__
    bulk.copy_rows(session, table, _columns(table, rows))


def add_zones(session: Session, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Write zones in bulk; the ids of the active zones of their preset by area key."""
    if not rows:
        return {}
    _copy(session, Zone, rows)
    preset = rows[0]["preset"]
    keys = [r["area_key"] for r in rows]
    out: dict[str, int] = {}
    for start in range(0, len(keys), 10_000):
        chunk = keys[start:start + 10_000]
        out.update({str(k): int(i) for i, k in session.execute(
            select(Zone.id, Zone.area_key).where(
                Zone.preset == preset, Zone.status == ACTIVE, Zone.area_key.in_(chunk))
            .order_by(Zone.id)).all()})
    return out


def add_triggers(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Add trigger rows (zone, case, link, sampling day)."""
    if rows:
        _copy(session, ZoneTrigger, rows)


def drop_triggers(session: Session, zone_ids: Sequence[int]) -> None:
    """Remove the triggers of these zones (to be written again)."""
    for chunk in chunks(list(zone_ids)):
        session.execute(delete(ZoneTrigger).where(ZoneTrigger.zone_id.in_(chunk)))


def trigger_rows(session: Session, zone_ids: Sequence[int]) -> list[tuple[int, int, str, date]]:
    """(zone, case, link, sampling day) of these zones' triggers."""
    out: list[tuple[int, int, str, date]] = []
    for chunk in chunks(list(zone_ids)):
        out += [(int(z), int(c), str(k), d) for z, c, k, d in session.execute(
            select(ZoneTrigger.zone_id, ZoneTrigger.case_id, ZoneTrigger.link,
                   ZoneTrigger.sampling_date).where(ZoneTrigger.zone_id.in_(chunk))).all()]
    return out


def add_changes(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """Append rows to the zones' history."""
    if rows:
        _copy(session, ZoneChange, rows)


def changes_of(session: Session, zone_id: int) -> Sequence[ZoneChange]:
    """A zone's history, oldest first."""
    return session.scalars(select(ZoneChange).where(ZoneChange.zone_id == zone_id)
                           .order_by(ZoneChange.on_day, ZoneChange.id)).all()


def states_on(session: Session, *, preset: str, day: date) -> list[tuple[Zone, ZoneChange]]:
    """Every zone of a preset with its last change on or before a day (the replay)."""
    last = (select(ZoneChange.zone_id, func.max(ZoneChange.id).label("change_id"))
            .where(ZoneChange.on_day <= day).group_by(ZoneChange.zone_id).subquery())
    rows = session.execute(select(Zone, ZoneChange)
                           .join(last, last.c.zone_id == Zone.id)
                           .join(ZoneChange, ZoneChange.id == last.c.change_id)
                           .where(Zone.preset == preset).order_by(Zone.id)).all()
    return [(z, c) for z, c in rows]


def changes_up_to(session: Session, *, preset: str, day: date
                  ) -> list[tuple[int, date, str, int, int]]:
    """(zone, day, level after, residents, households) of every change up to a day."""
    return [(int(z), d, str(t), int(r), int(h)) for z, d, t, r, h in session.execute(
        select(ZoneChange.zone_id, ZoneChange.on_day, ZoneChange.to_level,
               ZoneChange.residents, ZoneChange.households)
        .join(Zone, Zone.id == ZoneChange.zone_id)
        .where(Zone.preset == preset, ZoneChange.on_day <= day)
        .order_by(ZoneChange.on_day, ZoneChange.id)).all()]


def overrides(session: Session, *, preset: str) -> Sequence[ZoneChange]:
    """Every administrator's override of the preset's granularity, newest first."""
    return session.scalars(select(ZoneChange).join(Zone, Zone.id == ZoneChange.zone_id)
                           .where(Zone.preset == preset, ZoneChange.override.is_(True))
                           .order_by(ZoneChange.id.desc())).all()


# ------------------------------------------------------------------ testing rounds


def tallies_between(session: Session, zone_ids: Sequence[int], first: date, last: date
                    ) -> dict[tuple[int, date], tuple[int, int]]:
    """(sampled, positive) of these zones' rounds on the days of [first, last]."""
    out: dict[tuple[int, date], tuple[int, int]] = {}
    for chunk in chunks(list(zone_ids)):
        out.update({(int(z), d): (int(s), int(p)) for z, d, s, p in session.execute(
            select(ZoneTally.zone_id, ZoneTally.day, ZoneTally.sampled, ZoneTally.positive)
            .where(ZoneTally.zone_id.in_(chunk), ZoneTally.day >= first,
                   ZoneTally.day <= last)).all()})
    return out


def sampled_residents(session: Session, zone_id: int, day: date) -> dict[int, bool]:
    """Residents of a zone sampled on a day, and whether their tube was positive."""
    return {int(r): bool(p) for r, p in session.execute(
        select(ZoneSample.resident_id, ZoneSample.positive)
        .where(ZoneSample.zone_id == zone_id, ZoneSample.day == day)).all()}


def active_zone_ids_by_key(session: Session) -> dict[str, list[int]]:
    """The zones in force (of every preset) by the area they cover."""
    out: dict[str, list[int]] = {}
    for zone_id, key in session.execute(
            select(Zone.id, Zone.area_key).where(Zone.status == ACTIVE).order_by(Zone.id)):
        out.setdefault(key, []).append(zone_id)
    return out


def add_samples(session: Session, rows: Sequence[dict[str, Any]]
                ) -> dict[tuple[int, Any], list[int]]:
    """Record sampled residents not yet recorded; the tally of those added, by (zone, day):
    [sampled, positive]. A resident sampled again the same day, positive this time, counts
    as positive. The rows already recorded are read in a few queries and the new ones
    written in one COPY (batched inserts on SQLite)."""
    wanted: dict[tuple[int, Any, int], bool] = {}
    for row in rows:
        key = (row["zone_id"], row["day"], row["resident_id"])
        wanted[key] = wanted.get(key, False) or bool(row["positive"])
    if not wanted:
        return {}
    zone_ids = sorted({k[0] for k in wanted})
    days = sorted({k[1] for k in wanted})
    residents = sorted({k[2] for k in wanted})
    found: dict[tuple[int, Any, int], bool] = {}
    for condition in member(session, ZoneSample.resident_id, residents):
        found.update(((z, d, r), bool(p)) for z, d, r, p in session.execute(
            select(ZoneSample.zone_id, ZoneSample.day, ZoneSample.resident_id,
                   ZoneSample.positive)
            .where(ZoneSample.zone_id.in_(zone_ids), ZoneSample.day.in_(days), condition)))
    added: dict[tuple[int, Any], list[int]] = {}
    new: list[dict[str, Any]] = []
    turned: list[tuple[int, Any, int]] = []
    for (zone_id, day, resident_id), positive in wanted.items():
        counts = added.setdefault((zone_id, day), [0, 0])
        before = found.get((zone_id, day, resident_id))
        if before is None:
            new.append({"zone_id": zone_id, "day": day, "resident_id": resident_id,
                        "positive": positive})
            counts[0] += 1
            counts[1] += int(positive)
        elif positive and not before:
            turned.append((zone_id, day, resident_id))
            counts[1] += 1
    session.flush()
    if new:
        _copy(session, ZoneSample, new)
    for key in turned:  # few: a resident negative earlier the same day
        sample = session.get(ZoneSample, key)
        if sample is not None:
            sample.positive = True
    session.flush()
    return added


def add_to_tally(session: Session, zone_id: int, day: date, sampled: int, positive: int) -> None:
    """Add to a zone's tally of a day."""
    row = session.get(ZoneTally, (zone_id, day))
    if row is None:
        session.add(ZoneTally(zone_id=zone_id, day=day, sampled=sampled, positive=positive))
    else:
        row.sampled += sampled
        row.positive += positive
    session.flush()


def merge_samples(session: Session, *, survivor_id: int, merged_id: int) -> tuple[int, int]:
    """Move a merged record's sampled days to the survivor; a day on which both were
    sampled in one zone is kept once, positive if either was. Returns (rows moved, days
    kept once)."""
    columns = (ZoneSample.zone_id, ZoneSample.day, ZoneSample.positive)
    theirs = {(z, d): bool(p) for z, d, p in session.execute(
        select(*columns).where(ZoneSample.resident_id == merged_id))}
    if not theirs:
        return 0, 0
    ours = {(z, d): bool(p) for z, d, p in session.execute(
        select(*columns).where(ZoneSample.resident_id == survivor_id))}
    both = sorted(theirs.keys() & ours.keys())
    for zone_id, day in both:
        if theirs[(zone_id, day)] and not ours[(zone_id, day)]:
            session.execute(update(ZoneSample).where(
                ZoneSample.zone_id == zone_id, ZoneSample.day == day,
                ZoneSample.resident_id == survivor_id).values(positive=True))
        session.execute(delete(ZoneSample).where(
            ZoneSample.zone_id == zone_id, ZoneSample.day == day,
            ZoneSample.resident_id == merged_id))
    moved = session.execute(update(ZoneSample).where(ZoneSample.resident_id == merged_id)
                            .values(resident_id=survivor_id))
    return int(getattr(moved, "rowcount", 0) or 0), len(both)

