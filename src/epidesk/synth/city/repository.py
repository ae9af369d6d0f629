"""Queries of the synthetic city."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from epidesk.geography.models import City


def first_city(session: Session) -> City | None:
    """The home city if there is one, else any city, else None."""
    query = sa.select(City).order_by((City.kind != "home"), City.id).limit(1)
    return session.scalars(query).first()


def tables_with_rows(session: Session, tables: Sequence[sa.Table]) -> list[str]:
    """Names of the tables that hold at least one row."""
    return [
        table.name
        for table in tables
        if session.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first()
    ]


def row_counts(session: Session, tables: Sequence[sa.Table]) -> dict[str, int]:
    """Number of rows in each table."""
    return {
        table.name: int(session.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
        for table in tables
    }
