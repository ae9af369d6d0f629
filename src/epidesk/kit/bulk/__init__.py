"""Bulk writing of numpy columns: binary COPY on PostgreSQL, batched executemany on SQLite.

`columns` holds the column values, `tables` checks them against a table, `pgcopy`
encodes and streams binary COPY, `sqlite` writes batches, `constraints` sets keys and
indexes aside during a load, and `loader` writes one table (`copy_rows`) or several
in foreign-key order in one transaction (`load_tables`).
"""

from epidesk.kit.bulk.columns import (
    Categorical,
    CharMatrix,
    Column,
    Joined,
    Nullable,
    Progress,
    TextColumn,
    text_values,
)
from epidesk.kit.bulk.constraints import SuspendedConstraints, suspend_constraints
from epidesk.kit.bulk.loader import LoadReport, TableSource, copy_rows, load_tables
from epidesk.kit.bulk.pgcopy import (
    PGCOPY_HEADER,
    PGCOPY_TRAILER,
    encode_chunks,
    encode_copy_binary,
    tune_session_for_bulk_load,
    write_copy_chunks,
)
from epidesk.kit.bulk.tables import CopyTarget, column_kind, copy_target

__all__ = [
    "PGCOPY_HEADER",
    "PGCOPY_TRAILER",
    "Categorical",
    "CharMatrix",
    "Column",
    "CopyTarget",
    "Joined",
    "LoadReport",
    "Nullable",
    "Progress",
    "SuspendedConstraints",
    "TableSource",
    "TextColumn",
    "column_kind",
    "copy_rows",
    "copy_target",
    "encode_chunks",
    "encode_copy_binary",
    "load_tables",
    "suspend_constraints",
    "text_values",
    "tune_session_for_bulk_load",
    "write_copy_chunks",
]
