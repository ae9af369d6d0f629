"""Small-count suppression and the shape of what is published: pure functions on plain values.

A count below city level from 1 to `threshold - 1` is shown as "<5" (for the default 5),
zero as 0. Where the city's totals are published beside a table, each group of cells that
adds up to a published total (one day, one column, every area) is protected again: an
attacker knows that a "<5" lies in 1..threshold-1, that a cell withheld as "x" is at
least the threshold, and the total; cells are withheld ("x", the smallest first) until no
withheld cell's feasible range is a single value. Where no choice protects the group (one
area holds every case of the day), every cell of the group is withheld as "x", zeros
included, and then "x" may be any value. A measure (a median, a share) is withheld with
the counts of its row, and where the count it rests on is below its `min_support`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from epidesk.kit.i18n import _l
from epidesk.kit.publication import Column, PublicTable

DEFAULT_THRESHOLD = 5
# Below this a "<threshold" label would tell the value (1 is the only count below 2).
MIN_THRESHOLD = 3
SMALL = "small"  # 1..threshold-1, shown as "<threshold"
SECONDARY = "secondary"  # withheld so that another cell cannot be worked out, shown "x"
UNSUPPORTED = "unsupported"  # a measure withheld: too few behind it, or its row withheld
SECONDARY_MARK = "x"
UNSUPPORTED_MARK = "-"
# Daily figures below city level are published weekly where more than this share of
# their non-zero cells would be withheld.
WEEKLY_ABOVE = 0.5


@dataclass(frozen=True)
class Withheld:
    """A cell not shown as its value: why, and what is shown instead."""

    why: str  # SMALL, SECONDARY or UNSUPPORTED
    mark: str  # "<5", "x" or "-"

    def __str__(self) -> str:
        return self.mark


@dataclass(frozen=True)
class Published:
    """A public table after suppression: rows hold values or Withheld cells."""

    source: PublicTable
    name: str
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    threshold: int
    weekly: bool = False
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def level(self) -> str:
        return self.source.level

    @property
    def title(self) -> Any:
        return self.source.title

    @property
    def description(self) -> Any:
        return self.source.description

    def column(self, name: str) -> int:
        """The position of a column."""
        return next(i for i, c in enumerate(self.columns) if c.name == name)


def protect_group(values: Sequence[int], threshold: int) -> list[str | None]:
    """Which cells of one group adding up to a published total to withhold, and why.

    None: shown; SMALL: shown as "<threshold"; SECONDARY: withheld as "x".
    """
    status: list[str | None] = [SMALL if 1 <= v < threshold else None for v in values]
    if SMALL not in status:
        return status
    while True:
        if not weak_cells(values, status, threshold):
            return status
        candidates = sorted((v, i) for i, v in enumerate(values)
                            if status[i] is None and v >= threshold)
        if not candidates:
            return [SECONDARY] * len(values)
        status[candidates[0][1]] = SECONDARY


def bounds(status: Sequence[str | None], threshold: int, whole: bool) -> list[tuple[float, float]]:
    """What an attacker knows of each cell before using the total: (low, high)."""
    out: list[tuple[float, float]] = []
    for s in status:
        if s == SMALL:
            out.append((1, threshold - 1))
        elif s == SECONDARY:
            out.append((0, math.inf) if whole else (threshold, math.inf))
        else:
            out.append((0, 0))  # placeholder: shown cells are known exactly
    return out


def feasible(values: Sequence[int], status: Sequence[str | None], threshold: int
             ) -> list[tuple[float, float] | None]:
    """Each withheld cell's feasible range given the group's total (None: shown)."""
    whole = all(s == SECONDARY for s in status)
    hidden = [i for i, s in enumerate(status) if s is not None]
    rest = sum(values[i] for i in hidden)  # the total less every shown cell
    own = bounds(status, threshold, whole)
    out: list[tuple[float, float] | None] = [None] * len(values)
    for i in hidden:
        lo, hi = own[i]
        # Summed afresh for each cell: an unbounded cell makes a running sum infinite,
        # and infinity less infinity is no number.
        others_low = sum(own[j][0] for j in hidden if j != i)
        others_high = sum(own[j][1] for j in hidden if j != i)
        out[i] = (max(lo, rest - others_high), min(hi, rest - others_low))
    return out


def weak_cells(values: Sequence[int], status: Sequence[str | None], threshold: int) -> list[int]:
    """Withheld cells whose feasible range holds a single value (recoverable)."""
    return [i for i, r in enumerate(feasible(values, status, threshold))
            if r is not None and r[1] - r[0] < 1]


def _positions(columns: Sequence[Column], kinds: Iterable[str]) -> list[int]:
    wanted = set(kinds)
    return [i for i, c in enumerate(columns) if c.kind in wanted]


def group_key(columns: Sequence[Column], row: Sequence[Any]) -> tuple[Any, ...]:
    """The values naming a row's group: its day and keys, every area left out."""
    return tuple(row[i] for i in _positions(columns, ("day", "key")))


def _totals(table: PublicTable, city: PublicTable | None) -> dict[tuple[Any, ...], dict[str, Any]]:
    if city is None:
        return {}
    return {group_key(city.columns, row): {c.name: row[i] for i, c in enumerate(city.columns)}
            for row in city.rows}


def suppress(table: PublicTable, *, threshold: int, city: PublicTable | None = None
             ) -> Published:
    """Apply the small-count rules to one table (city tables keep their counts)."""
    if threshold < MIN_THRESHOLD:
        raise ValueError(f"the small-count threshold must be at least {MIN_THRESHOLD}")
    rows = [list(row) for row in table.rows]
    counts = _positions(table.columns, ("count",))
    if table.level != "city" and rows:
        groups: dict[tuple[Any, ...], list[int]] = {}
        for n, row in enumerate(rows):
            groups.setdefault(group_key(table.columns, row), []).append(n)
        published_totals = _totals(table, city)
        for key, members in groups.items():
            total = published_totals.get(key, {})
            for c in counts:
                name = table.columns[c].name
                values = [int(table.rows[n][c]) for n in members]
                if name in total:
                    status = protect_group(values, threshold)
                else:  # no total beside it: only the small counts themselves
                    status = [SMALL if 1 <= v < threshold else None for v in values]
                for n, s in zip(members, status, strict=True):
                    if s is not None:
                        rows[n][c] = Withheld(s, f"<{threshold}" if s == SMALL
                                              else SECONDARY_MARK)
    _withhold_measures(table, rows)
    return Published(source=table, name=table.name, columns=table.columns,
                     rows=[tuple(r) for r in rows], threshold=threshold)


def _withhold_measures(table: PublicTable, rows: list[list[Any]]) -> None:
    counts = _positions(table.columns, ("count",))
    index = {c.name: i for i, c in enumerate(table.columns)}
    for i, column in enumerate(table.columns):
        if column.kind != "measure":
            continue
        for n, row in enumerate(rows):
            base = index.get(column.rests_on or "")
            support = table.rows[n][base] if base is not None else None
            row_withheld = any(isinstance(row[c], Withheld) for c in counts)
            too_few = (table.min_support > 0 and
                       (support is None or int(support) < table.min_support))
            if row[i] is not None and (row_withheld or too_few):
                row[i] = Withheld(UNSUPPORTED, UNSUPPORTED_MARK)


def withheld_share(published: Published) -> float:
    """The share of a table's non-zero count cells that are withheld."""
    counts = _positions(published.columns, ("count",))
    source = published.source.rows
    nonzero = withheld = 0
    for n, row in enumerate(published.rows):
        for c in counts:
            if int(source[n][c]) != 0:
                nonzero += 1
                withheld += isinstance(row[c], Withheld)
    return withheld / nonzero if nonzero else 0.0


def week_start(day: date) -> date:
    """The Monday of the ISO week holding the day."""
    return day - timedelta(days=day.weekday())


WEEK_COLUMN_NAME = "week_start"


def weekly(table: PublicTable) -> PublicTable:
    """A daily table summed by ISO week (Monday first); measures are left out."""
    day = next(i for i, c in enumerate(table.columns) if c.kind == "day")
    keep = [i for i, c in enumerate(table.columns) if c.kind != "measure"]
    counts = {i for i, c in enumerate(table.columns) if c.kind == "count"}
    sums: dict[tuple[Any, ...], list[Any]] = {}
    for row in table.rows:
        values = list(row)
        values[day] = week_start(row[day])
        key = tuple(values[i] for i in keep if i not in counts)
        if key not in sums:
            sums[key] = [values[i] if i not in counts else 0 for i in keep]
        for pos, i in enumerate(keep):
            if i in counts:
                sums[key][pos] += int(row[i])
    columns = tuple(
        replace(table.columns[i], name=WEEK_COLUMN_NAME, title=WEEK_TITLE,
                description=WEEK_DESCRIPTION) if i == day else table.columns[i]
        for i in keep)
    name = (table.name[:-len("_daily")] if table.name.endswith("_daily") else table.name)
    return replace(table, name=name + "_weekly", columns=columns,
                   rows=[tuple(v) for v in sums.values()], min_support=0,
                   totals_of=(table.totals_of + "_weekly") if table.totals_of else None)


WEEK_TITLE = _l("Week starting")
WEEK_DESCRIPTION = _l("The Monday of the week (the city's days, Monday to Sunday) whose days "
                      "the counts add up.")


def publish_tables(tables: Sequence[PublicTable], *, threshold: int) -> list[Published]:
    """Every table of a day through the rules: city tables as they are, tables below
    city level suppressed against their totals, weekly where daily would be mostly
    withheld (their totals summed by week beside them)."""
    by_name = {t.name: t for t in tables}
    out: list[Published] = []
    for table in tables:
        city = by_name.get(table.totals_of) if table.totals_of else None
        limit = table.small_count or threshold
        published = suppress(table, threshold=limit, city=city)
        has_day = any(c.kind == "day" for c in table.columns)
        if (table.level != "city" and has_day and table.flow
                and withheld_share(published) > WEEKLY_ABOVE):
            week = weekly(table)
            week_city = weekly(city) if city is not None else None
            published = replace(suppress(week, threshold=limit, city=week_city), weekly=True)
            if week_city is not None and all(p.name != week_city.name for p in out):
                out.append(replace(suppress(week_city, threshold=limit), weekly=True))
        out.append(published)
    return out


# ------------------------------------------------------------------ values and digests

def plain(value: Any) -> Any:
    """A cell as open data holds it: a number, text, an ISO day, or None when withheld."""
    if isinstance(value, Withheld):
        return None
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value


def shown(value: Any) -> str:
    """A cell as a page shows it."""
    if value is None:
        return ""
    if isinstance(value, Withheld):
        return value.mark
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def canonical(tables: Sequence[Published]) -> list[dict[str, Any]]:
    """Every table's names and cells as JSON-ready values (cells as the page shows them)."""
    return [{"name": t.name, "columns": [c.name for c in t.columns],
             "kinds": [c.kind for c in t.columns],
             "rows": [[shown(v) for v in row] for row in t.rows]} for t in tables]


def digest(tables: Sequence[Published]) -> str:
    """The SHA-256 of everything a publication shows: equal for an unchanged day."""
    text = json.dumps(canonical(tables), ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


# ------------------------------------------------------------------ what changed

@dataclass(frozen=True)
class Change:
    """A past figure that reads differently from what an earlier publication said."""

    table: str
    day: str  # ISO day (or week start)
    area: str  # the row's areas and keys joined, "" for the city
    column: str
    before: str
    after: str


def changes(before: Sequence[dict[str, Any]], after: Sequence[dict[str, Any]], *,
            up_to: str) -> list[Change]:
    """Figures of days up to `up_to` that differ between two publications' canonical
    tables (a row that vanished reads as 0 after; one that appeared as 0 before)."""
    old = {t["name"]: t for t in before}
    out: list[Change] = []
    for table in after:
        previous = old.get(table["name"])
        if previous is None or previous["columns"] != table["columns"]:
            continue
        out.extend(_table_changes(previous, table, up_to))
    return out


def _table_changes(previous: dict[str, Any], table: dict[str, Any], up_to: str) -> list[Change]:
    columns: list[str] = table["columns"]
    day = next((i for i, c in enumerate(columns) if c in ("day", WEEK_COLUMN_NAME)), None)
    if day is None:
        return []
    kinds: list[str] = table["kinds"]
    keyed = [i for i, k in enumerate(kinds) if k in ("day", "area", "key")]
    figures = [i for i in range(len(columns)) if i not in keyed]

    def index(rows: list[list[str]]) -> dict[tuple[str, ...], list[str]]:
        return {tuple(r[i] for i in keyed): r for r in rows if r[day] <= up_to}

    old, new = index(previous["rows"]), index(table["rows"])
    out = []
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        for i in figures:
            was = a[i] if a else "0"
            now = b[i] if b else "0"
            if was != now:
                area = " ".join(k for k, pos in zip(key, keyed, strict=True) if pos != day)
                out.append(Change(table["name"], key[keyed.index(day)], area, columns[i],
                                  was, now))
    return out


def unexplained_negatives(tables: Sequence[Published], explained: set[tuple[str, str]]
                          ) -> list[tuple[str, str, str]]:
    """(table, day, column) of every negative count without a note explaining that day."""
    out = []
    for table in tables:
        day = next((i for i, c in enumerate(table.columns) if c.kind == "day"), None)
        for row in table.rows:
            for i, column in enumerate(table.columns):
                value = row[i]
                if column.kind == "count" and isinstance(value, int) and value < 0:
                    when = plain(row[day]) if day is not None else ""
                    if (table.name, when) not in explained:
                        out.append((table.name, when, column.name))
    return out
