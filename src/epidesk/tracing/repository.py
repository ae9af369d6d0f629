"""Queries the tracing domain shares: bulk writes of its tables.

Columns are read in bulk with `kit.bulk.reading`; the residents, venues, places and
cases its views name are read through the people and cases repositories.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa
from sqlalchemy.orm import Session

from epidesk.kit import bulk


def write_rows(session: Session, table: sa.Table, columns: Mapping[str, bulk.Column],
               progress: bulk.Progress | None = None) -> int:
    """Write rows given as columns (binary COPY on PostgreSQL)."""
    return bulk.copy_rows(session, table, columns, progress=progress)


def tracing_table(name: str) -> sa.Table:
    """A table of the tracing domain."""
    from epidesk.kit.domains import load_models

    return load_models().tables[name]
