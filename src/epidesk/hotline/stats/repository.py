"""Queries of the hotline's daily figures: the tickets' times as arrays, the table kept
ready, and the straightforward SQL version of the same figures (for comparison)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import delete, insert, select, text, tuple_
from sqlalchemy.orm import Session

from epidesk.db import is_postgres
from epidesk.hotline.models import DailyStat, Ticket
from epidesk.kit.bulk.reading import LITE_SECONDS, PG_EPOCH_SECONDS, driver, lite_columns

# Times are read as microseconds since the epoch; one not yet given reads as this
# moment (2200-01-01 UTC).
LATER = 7_258_118_400_000_000
_TIMES = ("received_at", "first_response_at", "first_response_due", "resolved_at",
          "resolution_due")


def _lite_moment(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _category_case(categories: Sequence[str]) -> str:
    whens = " ".join(f"WHEN '{c}' THEN {i}" for i, c in enumerate(categories))
    return f"CASE category {whens} ELSE {len(categories)} END"


def ticket_times(session: Session, categories: Sequence[str], *,
                 since: datetime | None = None, until: datetime | None = None,
                 category: str | None = None) -> dict[str, Any]:
    """Every ticket's category index and times in microseconds since the epoch (LATER
    where not yet given; whole seconds on SQLite), optionally of those received in
    [since, until) of one category."""
    where: list[str] = []
    params: dict[str, Any] = {}
    if since is not None and until is not None:
        where.append("received_at >= %(since)s AND received_at < %(until)s"
                     if is_postgres(session) else "received_at >= ? AND received_at < ?")
        params.update(since=since, until=until)
    if category is not None:
        where.append("category = %(category)s" if is_postgres(session) else "category = ?")
        params["category"] = category
    clause = ("WHERE " + " AND ".join(where)) if where else ""
    if is_postgres(session):
        found = _pg_copy(session, categories, clause, params)
    else:
        if params.get("since") is not None:
            params["since"] = _lite_moment(params["since"])
            params["until"] = _lite_moment(params["until"])
        selected = ", ".join([_category_case(categories)] + [
            f"coalesce({LITE_SECONDS.format(c)} * 1000000, {LATER})" for c in _TIMES])
        found = lite_columns(session, f"SELECT {selected} FROM hotline_ticket {clause}",
                             ["int"] * 6, params)
    names = ("category", *_TIMES)
    return {n: np.asarray(a, dtype=np.int64) for n, a in zip(names, found, strict=True)}


# One row of a binary COPY of (int4, five timestamptz), none NULL: the field count, then
# each field's length and value, big-endian.
_ROW = np.dtype([("fields", ">i2"), ("n0", ">i4"), ("category", ">i4")]
                + [x for i in range(1, 6) for x in ((f"n{i}", ">i4"), (f"t{i}", ">i8"))])
_HEADER = 19  # signature (11), flags (4), header extension length (4)


def _pg_copy(session: Session, categories: Sequence[str], clause: str,
             params: dict[str, Any]) -> list[NDArray[np.int64]]:
    """The columns by one binary COPY, read as fixed-width records (no value is NULL)."""
    later = "timestamptz '2200-01-01 00:00:00+00'"
    selected = ", ".join([f"({_category_case(categories)})::int4"]
                         + [f"coalesce({c}, {later})" for c in _TIMES])
    connection = driver(session)
    query = f"COPY (SELECT {selected} FROM hotline_ticket {clause}) TO STDOUT (FORMAT BINARY)"
    with connection.cursor() as cursor, cursor.copy(query, params or None) as copy:
        data = b"".join(bytes(block) for block in copy)
    body = data[_HEADER:len(data) - 2]  # the trailer is a field count of -1
    rows = np.frombuffer(body, dtype=_ROW)
    out = [rows["category"].astype(np.int64)]
    out += [rows[f"t{i}"].astype(np.int64) + PG_EPOCH_SECONDS * 1_000_000 for i in range(1, 6)]
    return out


def changed_since(session: Session, moment: datetime) -> list[tuple[str, datetime]]:
    """(category, received_at) of the tickets changed after a moment (what the refresh job
    must recompute)."""
    return [(c, r) for c, r in session.execute(
        select(Ticket.category, Ticket.received_at).where(Ticket.updated_at > moment))]


def replace_rows(session: Session, rows: list[dict[str, Any]], *, day: date | None = None,
                 category: str | None = None) -> None:
    """Put the figures in place: of one day and category, or all of them."""
    stmt = delete(DailyStat)
    if day is not None:
        stmt = stmt.where(DailyStat.day == day)
    if category is not None:
        stmt = stmt.where(DailyStat.category == category)
    session.execute(stmt)
    if rows:
        session.execute(insert(DailyStat), rows)


def replace_groups(session: Session, rows: list[dict[str, Any]],
                   groups: Sequence[tuple[date, str]]) -> None:
    """Put the figures of some (day, category) groups in place (a group without tickets
    any more loses its row)."""
    for start in range(0, len(groups), 500):
        part = groups[start:start + 500]
        session.execute(delete(DailyStat).where(
            tuple_(DailyStat.day, DailyStat.category).in_(part)))
    if rows:
        session.execute(insert(DailyStat), rows)


def stored(session: Session, *, first: date | None = None, last: date | None = None
           ) -> Sequence[DailyStat]:
    """The figures kept, by day and category."""
    stmt = select(DailyStat)
    if first is not None:
        stmt = stmt.where(DailyStat.day >= first)
    if last is not None:
        stmt = stmt.where(DailyStat.day <= last)
    return session.scalars(stmt.order_by(DailyStat.day, DailyStat.category)).all()


SQL_FIGURES = """
SELECT (received_at AT TIME ZONE :zone)::date AS day, category,
       count(*) AS received,
       count(first_response_at) AS responded,
       count(*) FILTER (WHERE first_response_at <= first_response_due) AS responded_in_time,
       count(resolved_at) AS resolved,
       count(*) FILTER (WHERE resolved_at <= resolution_due) AS resolved_in_time,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM
           first_response_at - received_at) / 60.0) AS median_response_minutes,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM
           resolved_at - received_at) / 60.0) AS median_resolution_minutes
FROM hotline_ticket GROUP BY 1, 2 ORDER BY 1, 2
"""


def sql_figures(session: Session, zone: str) -> list[Any]:
    """The same figures by one straightforward SQL statement (PostgreSQL only)."""
    if not is_postgres(session):
        raise RuntimeError("the SQL version of the figures needs PostgreSQL")
    return list(session.execute(text(SQL_FIGURES), {"zone": zone}))


def count_tickets(session: Session) -> int:
    """How many tickets there are."""
    from sqlalchemy import func

    return int(session.scalar(select(func.count()).select_from(Ticket)) or 0)
