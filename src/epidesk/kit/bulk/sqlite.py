"""SQLite: rows written in batches of executemany, values as SQLAlchemy stores them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from epidesk.kit.bulk.columns import (
    Categorical,
    CharMatrix,
    Column,
    Joined,
    Nullable,
    Progress,
    slice_rows,
    text_array,
)
from epidesk.kit.bulk.tables import CopyTarget, quoted

SQLITE_BATCH_ROWS = 50_000


def _python_values(column: Column, kind: str) -> list[Any]:
    """The values of a column as Python objects in the form SQLAlchemy stores in SQLite."""
    if kind == "text":
        if not isinstance(column, Categorical | CharMatrix | Joined):
            raise TypeError("a text column must be Categorical, CharMatrix or Joined")
        return text_array(column).tolist()  # type: ignore[no-any-return]
    if isinstance(column, Categorical | CharMatrix | Joined):
        raise TypeError(f"a {kind} column cannot hold text")
    null = None
    values = np.asarray(column.values if isinstance(column, Nullable) else column)
    if isinstance(column, Nullable):
        null = np.asarray(column.null, dtype=bool)
    out: NDArray[Any]
    if kind == "date":
        out = values.astype("datetime64[D]").astype(str).astype(object)
    elif kind == "timestamp":
        text = np.datetime_as_string(values.astype("datetime64[us]"), unit="us")
        out = np.char.replace(text, "T", " ").astype(object)
    elif kind == "bool":
        out = values.astype(bool).astype(np.int64)
    elif kind in ("float4", "float8"):
        out = values.astype(np.float64)
    else:
        out = values.astype(np.int64)
    if null is not None and null.any():
        obj = out.astype(object)
        obj[null] = None
        return obj.tolist()  # type: ignore[no-any-return]
    return out.tolist()  # type: ignore[no-any-return]


def insert_batches(
    session: Session,
    target: CopyTarget,
    columns: Mapping[str, Column],
    progress: Progress | None,
) -> None:
    """Insert the rows of columns into the target table in batches of executemany."""
    names = ", ".join(quoted(session, n) for n in target.names)
    marks = ", ".join("?" for _ in target.names)
    sql = f"INSERT INTO {quoted(session, target.table.name)} ({names}) VALUES ({marks})"
    connection = session.connection()
    rows = target.rows
    for start in range(0, rows, SQLITE_BATCH_ROWS):
        stop = min(rows, start + SQLITE_BATCH_ROWS)
        values = [
            _python_values(slice_rows(columns[n], start, stop), k)
            for n, k in zip(target.names, target.kinds, strict=True)
        ]
        connection.exec_driver_sql(sql, list(zip(*values, strict=True)))
        if progress is not None:
            progress(target.table.name, stop, rows)
