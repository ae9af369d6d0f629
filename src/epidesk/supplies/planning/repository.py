"""Bulk reads for the city-wide plan: columns as numpy arrays (PostgreSQL: server-built
binary arrays; SQLite: one query), days as whole days since 1970-01-01."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from epidesk.db import is_postgres
from epidesk.kit.bulk.reading import IntArray, lite_columns, pg_columns

PG_DAY = "({} - DATE '1970-01-01')"
LITE_DAY = "CAST(julianday({}) - 2440587.5 AS INTEGER)"


def _read(session: Session, table: str, columns: list[tuple[str, str]], where: str = ""
          ) -> list[IntArray]:
    """Whole-number columns of a table (expressions use {day(...)} for dates)."""
    if is_postgres(session):
        exprs = [(expr.format(day=_pg_day), "int4") for expr, _ in columns]
        found: list[Any] = pg_columns(session, table.format(day=_pg_day), exprs,
                                      where.format(day=_pg_day))
        return [f.astype("int64") for f in found]
    listed = ", ".join(expr.format(day=_lite_day) for expr, _ in columns)
    return lite_columns(session, f"SELECT {listed} FROM {table.format(day=_lite_day)} "
                                 f"{where.format(day=_lite_day)}", ["int"] * len(columns))


class _Day:
    def __init__(self, pattern: str) -> None:
        self.pattern = pattern

    def __getitem__(self, column: str) -> str:
        return self.pattern.format(column)


_pg_day = _Day(PG_DAY)
_lite_day = _Day(LITE_DAY)


def roster(session: Session) -> list[IntArray]:
    """Households served now: household, building, restricted since, last delivery (0:
    none), as days."""
    table = ("(SELECT household_id AS id, building_id, {day[restricted_since]} AS since, "
             "coalesce({day[last_delivery_on]}, 0) AS last FROM supply_household "
             "WHERE restricted_until IS NULL) AS served")
    return _read(session, table, [("id", ""), ("building_id", ""), ("since", ""),
                                  ("last", "")])


def members(session: Session) -> list[IntArray]:
    """Every resident: household, birth day, pregnant, disability, chronic medication."""
    return _read(session, "resident", [
        ("household_id", ""), ("{day[birth_date]}", ""), ("CAST(pregnant AS INTEGER)", ""),
        ("CAST(disability AS INTEGER)", ""), ("CAST(chronic_medication AS INTEGER)", "")],
        "WHERE merged_into_id IS NULL")


def stops(session: Session) -> list[IntArray]:
    """Every household's door in walking order: household, (unit * 1000 + floor) * 100 +
    door."""
    table = ("(SELECT h.id AS id, (u.number * 1000 + a.floor) * 100 + a.door AS stop "
             "FROM household h JOIN address a ON a.id = h.address_id "
             "JOIN unit u ON u.id = a.unit_id) AS doors")
    return _read(session, table, [("id", ""), ("stop", "")])


def open_requests(session: Session) -> list[IntArray]:
    """Open requests matched to a household: household, urgency (0 normal, 1 urgent, 2
    medical)."""
    return _read(session, "supply_request", [
        ("household_id", ""),
        ("CASE urgency WHEN 'medical' THEN 2 WHEN 'urgent' THEN 1 ELSE 0 END", "")],
        "WHERE status = 'open' AND household_id IS NOT NULL")


def recorded_needs(session: Session, *, day_number: int) -> list[IntArray]:
    """Recorded needs in force: household, kind (0 diet, 1 medication, 2 disability, 3
    infant, 4 other)."""
    return _read(session, "supply_household_need", [
        ("household_id", ""),
        ("CASE kind WHEN 'diet' THEN 0 WHEN 'medication' THEN 1 WHEN 'disability' THEN 2 "
         "WHEN 'infant' THEN 3 ELSE 4 END", "")],
        f"WHERE ended_on IS NULL OR {{day[ended_on]}} > {int(day_number)}")


def planned(session: Session) -> list[IntArray]:
    """Households with a delivery planned and not yet closed."""
    return _read(session, "supply_delivery", [("household_id", "")],
                 "WHERE status = 'planned'")


def stamp(session: Session) -> tuple[int, ...]:
    """What the households' members and doors depend on, summed: when it is unchanged,
    the arrays read before still hold (residents moved, registered, merged or their
    vulnerability flags changed all change it)."""
    flags = ("CAST(pregnant AS INTEGER) + 2 * CAST(disability AS INTEGER) "
             "+ 4 * CAST(chronic_medication AS INTEGER)")
    row = session.execute(sa.text(
        f"SELECT count(*), coalesce(max(id), 0), coalesce(sum(household_id), 0), "
        f"coalesce(sum({flags}), 0), coalesce(sum(CASE WHEN merged_into_id IS NULL "
        f"THEN 0 ELSE id END), 0) FROM resident")).one()
    homes = session.execute(sa.text(
        "SELECT count(*), coalesce(max(id), 0), coalesce(sum(address_id), 0) "
        "FROM household")).one()
    return tuple(int(v) for v in (*row, *homes))
