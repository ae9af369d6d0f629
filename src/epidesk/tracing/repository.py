"""Queries the tracing domain shares: columns read as numpy arrays, bulk writes, and
the residents, venues and places its views name.

Columns are read on PostgreSQL as binary arrays built by the server
(`array_send(array_agg(...))`, a million rows per value), so that tens of millions of
rows reach numpy without a Python object per row; on SQLite row by row. Times leave
the database as seconds since the epoch; a date column becomes the first second of
that day in the city's zone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Any

import numpy as np
import sqlalchemy as sa
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.cases.models import CaseEpisode
from epidesk.db import is_postgres
from epidesk.geography.models import Address, Building, Community, Subdistrict, Unit
from epidesk.kit import bulk, clock
from epidesk.kit.access import AreaPath
from epidesk.people.models import (
    Household,
    Resident,
    School,
    SchoolClass,
    Venue,
    WorkGroup,
    Workplace,
)
from epidesk.tracing import rules

IntArray = NDArray[np.int64]


CHUNK = 5_000


GROUP_BITS = 20


PG_EPOCH_SECONDS = 946_684_800


PG_DATE_INFINITY = 2**31 - 1


_ARRAY_HEADER = 20


def driver(session: Session) -> Any:
    """The session's DB-API driver connection."""
    found = session.connection().connection.driver_connection
    assert found is not None
    return found


def chunks(values: Sequence[int], size: int = CHUNK) -> list[list[int]]:
    """Distinct values, sorted, in lists of at most `size`."""
    ordered = sorted(set(int(v) for v in values))
    return [ordered[i: i + size] for i in range(0, len(ordered), size)]


def distinct_ids(values: Sequence[int] | IntArray) -> list[int]:
    """Distinct ids, sorted, as Python integers."""
    return sorted({int(v) for v in values})


def member(session: Session, column: Any, values: Sequence[int] | IntArray) -> list[Any]:
    """Conditions that together select rows whose column is one of the values."""
    wanted = distinct_ids(values)
    if not wanted:
        return []
    if is_postgres(session):
        from sqlalchemy.dialects.postgresql import ARRAY

        return [column == sa.any_(sa.bindparam(None, wanted, type_=ARRAY(sa.Integer)))]
    return [column.in_(wanted[i: i + CHUNK]) for i in range(0, len(wanted), CHUNK)]


def epoch(session: Session, column: Any) -> Any:
    """A time column as whole seconds since the epoch, in SQL."""
    if is_postgres(session):
        return sa.cast(func.extract("epoch", column), sa.BigInteger)
    return sa.cast(func.strftime("%s", column), sa.BigInteger)


def pg_columns(session: Session, table: str, columns: Sequence[tuple[str, str]],
               where: str = "", params: Mapping[str, Any] | None = None,
               zone: tzinfo | None = None) -> list[NDArray[Any]]:
    """Columns of a table as numpy arrays, via server-built binary arrays.

    Each column is (SQL expression, kind) with kind "int4", "date" or "timestamp"; no
    value may be NULL.
    """
    return columns_on(driver(session), table, columns, where, params, zone)


def columns_on(connection: Any, table: str, columns: Sequence[tuple[str, str]],
               where: str = "", params: Mapping[str, Any] | None = None,
               zone: tzinfo | None = None) -> list[NDArray[Any]]:
    """Columns of a table read on a driver connection (see pg_columns)."""
    selected = ", ".join(f"array_send(array_agg({expr}))" for expr, _ in columns)
    sql = (f"SELECT {selected} FROM {table} {where} "
           f"GROUP BY id >> {GROUP_BITS} ORDER BY id >> {GROUP_BITS}")
    wires = {"int4": ">i4", "date": ">i4", "timestamp": ">i8"}
    parts: list[list[NDArray[Any]]] = [[] for _ in columns]
    with connection.cursor(binary=True) as cursor:
        cursor.execute(sql, params or {})
        for row in cursor:
            for i, (value, (_expr, kind)) in enumerate(zip(row, columns, strict=True)):
                dtype = np.dtype([("length", ">i4"), ("value", wires[kind])])
                parts[i].append(np.frombuffer(value, dtype=dtype,
                                              offset=_ARRAY_HEADER)["value"])
    out: list[NDArray[Any]] = []
    for chunks, (_expr, kind) in zip(parts, columns, strict=True):
        raw = np.concatenate(chunks) if chunks else np.zeros(0, dtype=wires[kind])
        out.append(_seconds(raw, kind, zone))
    return out


def int_matrix(rows: Sequence[Any], width: int) -> NDArray[np.int64]:
    """Rows of integers as a matrix; plain tuples first, which numpy reads far faster
    than SQLAlchemy rows."""
    return np.asarray([tuple(r) for r in rows], dtype=np.int64).reshape(-1, width)


def _seconds(raw: NDArray[Any], kind: str, zone: tzinfo | None) -> IntArray:
    if kind == "int4":
        return raw.astype(np.int64)
    if kind == "timestamp":
        return raw.astype(np.int64) // 1_000_000 + PG_EPOCH_SECONDS
    days = raw.astype(np.int64)
    epoch_days = np.where(days == PG_DATE_INFINITY, 0, days + PG_EPOCH_SECONDS // rules.DAY)
    seconds = rules.local_midnights(epoch_days.astype("datetime64[D]"),
                                    zone or clock.city_zone())
    return np.where(days == PG_DATE_INFINITY, rules.FOREVER, seconds)


def lite_columns(session: Session, sql: str, kinds: Sequence[str],
                 params: Mapping[str, Any] | None = None, zone: tzinfo | None = None
                 ) -> list[IntArray]:
    """Columns of a SQLite query as arrays; kind "date" columns hold UTC-midnight seconds."""
    rows = session.connection().exec_driver_sql(sql, tuple((params or {}).values())
                                                ).fetchall()
    out: list[IntArray] = []
    for i, kind in enumerate(kinds):
        values = [r[i] for r in rows]
        if kind == "date":
            known = np.asarray([0 if v is None else int(v) for v in values], dtype=np.int64)
            midnights = rules.local_midnights((known // rules.DAY).astype("datetime64[D]"),
                                              zone or clock.city_zone())
            out.append(np.where(np.asarray([v is None for v in values], dtype=bool),
                                rules.FOREVER, midnights).astype(np.int64))
        else:
            out.append(np.asarray(values, dtype=np.int64).reshape(-1))
    return out


LITE_SECONDS = "CAST(strftime('%s', {}) AS INTEGER)"


def write_rows(session: Session, table: sa.Table, columns: Mapping[str, bulk.Column],
               progress: bulk.Progress | None = None) -> int:
    """Write rows given as columns (binary COPY on PostgreSQL)."""
    return bulk.copy_rows(session, table, columns, progress=progress)


def tracing_table(name: str) -> sa.Table:
    """A table of the tracing domain."""
    from epidesk.kit.domains import load_models

    return load_models().tables[name]


# ------------------------------------------------------------------ residents, venues, places


def resident_ids(session: Session) -> IntArray:
    """Every resident id."""
    if is_postgres(session):
        return pg_columns(session, "resident", [("id", "int4")])[0]
    return lite_columns(session, "SELECT id FROM resident", ("int",))[0]


def venue_ids(session: Session) -> IntArray:
    """Every venue id."""
    return np.asarray(session.scalars(select(Venue.id)).all(), dtype=np.int64)


def residents_with_community(session: Session) -> tuple[IntArray, IntArray]:
    """Every resident id with the community they live in, by id."""
    if is_postgres(session):
        ids, community = pg_columns(session, "resident", [("id", "int4"),
                                                           ("community_id", "int4")])
    else:
        ids, community = lite_columns(session, "SELECT id, community_id FROM resident",
                                       ("int", "int"))
    order = np.argsort(ids, kind="stable")
    return ids[order], community[order]


def venues_with_kind(session: Session) -> tuple[IntArray, IntArray, list[str]]:
    """Every venue: id, community and kind."""
    rows = session.execute(select(Venue.id, Venue.community_id, Venue.kind)
                           .order_by(Venue.id)).all()
    return (np.asarray([r[0] for r in rows], dtype=np.int64),
            np.asarray([r[1] for r in rows], dtype=np.int64), [r[2] for r in rows])


def residents_exist(session: Session, ids: Sequence[int]) -> set[int]:
    """Which of the ids are registered residents."""
    found: set[int] = set()
    for chunk in chunks(ids):
        found.update(session.scalars(select(Resident.id).where(Resident.id.in_(chunk))))
    return found


def resident_area(session: Session, resident_id: int) -> AreaPath | None:
    """Where a resident lives."""
    row = session.execute(
        select(Resident.community_id, Community.subdistrict_id, Subdistrict.district_id)
        .join(Community, Community.id == Resident.community_id)
        .join(Subdistrict, Subdistrict.id == Community.subdistrict_id)
        .where(Resident.id == resident_id)).first()
    if row is None:
        return None
    return AreaPath(district_id=row[2], subdistrict_id=row[1], community_id=row[0])


def resident(session: Session, resident_id: int) -> Resident | None:
    """A resident by id."""
    return session.get(Resident, resident_id)


def residents_by_id(session: Session, ids: Sequence[int]) -> dict[int, Resident]:
    """Residents by id."""
    out: dict[int, Resident] = {}
    for chunk in chunks(ids):
        out.update({r.id: r for r in session.scalars(select(Resident)
                                                     .where(Resident.id.in_(chunk)))})
    return out


def residents_in(session: Session, ids: Sequence[int], community_ids: Sequence[int] | None
                 ) -> set[int]:
    """Which of the residents live in the communities (all of them without a filter)."""
    if community_ids is None:
        return {int(i) for i in ids}
    found: set[int] = set()
    allowed = sorted(set(community_ids))
    for chunk in chunks(ids):
        found.update(session.scalars(select(Resident.id).where(
            Resident.id.in_(chunk), Resident.community_id.in_(allowed))))
    return found


def household_labels(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """Households as addresses: community, building, unit, flat."""
    out: dict[int, str] = {}
    for chunk in chunks(ids):
        rows = session.execute(
            select(Household.id, Community.name, Building.number, Unit.number, Address.floor,
                   Address.door)
            .join(Address, Address.id == Household.address_id)
            .join(Unit, Unit.id == Address.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .join(Community, Community.id == Building.community_id)
            .where(Household.id.in_(chunk))).all()
        for hid, community, building, unit, floor, door in rows:
            out[int(hid)] = (f"{community}, building {building}, unit {unit}, "
                             f"flat {floor}{door:02d}")
    return out


def work_group_labels(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """Work groups with their workplaces."""
    out: dict[int, str] = {}
    for chunk in chunks(ids):
        for gid, name, place in session.execute(
                select(WorkGroup.id, WorkGroup.name, Workplace.name)
                .join(Workplace, Workplace.id == WorkGroup.workplace_id)
                .where(WorkGroup.id.in_(chunk))):
            out[int(gid)] = f"{name}, {place}"
    return out


def class_labels(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """School classes with their schools."""
    out: dict[int, str] = {}
    for chunk in chunks(ids):
        for cid, name, school in session.execute(
                select(SchoolClass.id, SchoolClass.name, School.name)
                .join(School, School.id == SchoolClass.school_id)
                .where(SchoolClass.id.in_(chunk))):
            out[int(cid)] = f"{name}, {school}"
    return out


def venue_labels(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """Venues by name."""
    out: dict[int, str] = {}
    for chunk in chunks(ids):
        for vid, name in session.execute(select(Venue.id, Venue.name)
                                         .where(Venue.id.in_(chunk))):
            out[int(vid)] = str(name)
    return out


def case_episode(session: Session, case_id: int) -> CaseEpisode | None:
    """A case by id."""
    return session.get(CaseEpisode, case_id)
