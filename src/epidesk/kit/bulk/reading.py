"""Bulk reading of columns as numpy arrays, for the repositories that read millions of rows.

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
from sqlalchemy import func
from sqlalchemy.orm import Session

from epidesk.db import is_postgres
from epidesk.kit import clock

IntArray = NDArray[np.int64]


CHUNK = 5_000


GROUP_BITS = 20


PG_EPOCH_SECONDS = 946_684_800


PG_DATE_INFINITY = 2**31 - 1


_ARRAY_HEADER = 20


# A time column as whole seconds since the epoch, in SQLite.
LITE_SECONDS = "CAST(strftime('%s', {}) AS INTEGER)"


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
                parts[i].append(_array_values(value, wires[kind]))
    out: list[NDArray[Any]] = []
    for chunks, (_expr, kind) in zip(parts, columns, strict=True):
        raw = np.concatenate(chunks) if chunks else np.zeros(0, dtype=wires[kind])
        out.append(_seconds(raw, kind, zone))
    return out


def _array_values(value: bytes, wire: str) -> NDArray[Any]:
    """The values of a one-dimensional binary array (`array_send`) of fixed-width
    elements, each `wire` wide."""
    dtype = np.dtype([("length", ">i4"), ("value", wire)])
    return np.frombuffer(value, dtype=dtype, offset=_ARRAY_HEADER)["value"]


def pg_ids(session: Session, table: str) -> IntArray:
    """Every id of a table, ascending, a chunk of 2**GROUP_BITS at a time in the order
    of its primary key: read from that index alone (a vacuumed table's rows are not
    visited), with nothing to sort; grouping the rows as `pg_columns` does sorts them
    first, twice the database's time for a table of residents."""
    sql = (f"SELECT array_send(array_agg(id)) FROM (SELECT id FROM {table} "
           f"WHERE id >= %(start)s ORDER BY id LIMIT {2**GROUP_BITS}) AS chunk")
    parts: list[IntArray] = []
    start = -(2**31)
    with driver(session).cursor(binary=True) as cursor:
        while True:
            cursor.execute(sql, {"start": start})
            row = cursor.fetchone()
            if row is None or row[0] is None:
                break
            part = _array_values(row[0], ">i4")
            parts.append(part.astype(np.int64))
            if len(part) < 2**GROUP_BITS:
                break
            start = int(part[-1]) + 1
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)


def looked_up(keys: IntArray, values: IntArray, wanted: IntArray, missing: int = -1
              ) -> IntArray:
    """The value of each wanted key, given keys in ascending order and their values;
    `missing` for a key that is not there."""
    if not len(keys):
        return np.full(len(wanted), missing, dtype=np.int64)
    at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
    return np.where(keys[at] == wanted, values[at], missing).astype(np.int64)


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
    epoch_days = np.where(days == PG_DATE_INFINITY, 0,
                          days + PG_EPOCH_SECONDS // clock.DAY_SECONDS)
    seconds = clock.local_midnights(epoch_days.astype("datetime64[D]"),
                                    zone or clock.city_zone())
    return np.where(days == PG_DATE_INFINITY, clock.FOREVER, seconds)


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
            midnights = clock.local_midnights(
                (known // clock.DAY_SECONDS).astype("datetime64[D]"), zone or clock.city_zone())
            out.append(np.where(np.asarray([v is None for v in values], dtype=bool),
                                clock.FOREVER, midnights).astype(np.int64))
        else:
            out.append(np.asarray(values, dtype=np.int64).reshape(-1))
    return out
