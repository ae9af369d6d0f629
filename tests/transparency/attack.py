"""An attacker holding every table published for a day (as the open-data files hold
them): for each withheld cell, the smallest and largest value consistent with
everything shown, by linear programming over every published total at once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.optimize import linprog

NOTE = "_note"


@dataclass(frozen=True)
class Bound:
    """What the attacker can learn of one withheld cell."""

    table: str
    row: int
    column: str
    low: float
    high: float

    @property
    def recovered(self) -> bool:
        return self.high - self.low < 1 - 1e-6


def _time_column(columns: list[str]) -> str:
    return "week_start" if "week_start" in columns else "day"


def recover(tables: Mapping[str, dict[str, Any]], totals: Mapping[str, str],
            threshold: int) -> list[Bound]:
    """Bounds of every withheld count cell of every table that has published totals
    (`totals`: table -> the table holding its totals). "<k" means 1..k-1; "x" means at
    least k unless every cell of its group is "x" (then anything from 0)."""
    cells: list[tuple[str, int, str]] = []
    bounds: list[tuple[float, float | None]] = []
    equalities: list[tuple[list[int], float]] = []
    for name, total_name in totals.items():
        table, city = tables.get(name), tables.get(total_name)
        if table is None or city is None:
            continue
        when = _time_column(table["columns"])
        counts = [c for c in table["columns"] if c + NOTE in table["columns"]]
        city_rows = {r[when]: r for r in city["rows"]}
        groups: dict[Any, list[int]] = {}
        for n, row in enumerate(table["rows"]):
            groups.setdefault(row[when], []).append(n)
        for key, members in groups.items():
            for column in counts:
                total = city_rows[key][column]
                whole = all(table["rows"][n][column + NOTE] == "x" for n in members)
                hidden: list[int] = []
                for n in members:
                    row = table["rows"][n]
                    note = row[column + NOTE]
                    if note is None:
                        total -= row[column]
                        continue
                    cells.append((name, n, column))
                    hidden.append(len(cells) - 1)
                    if note.startswith("<"):
                        bounds.append((1, threshold - 1))
                    else:
                        bounds.append((0, None) if whole else (threshold, None))
                if hidden:
                    equalities.append((hidden, float(total)))
    if not cells:
        return []
    a = np.zeros((len(equalities), len(cells)))
    b = np.zeros(len(equalities))
    for i, (members, total) in enumerate(equalities):
        a[i, members] = 1
        b[i] = total
    out = []
    for i, (name, row, column) in enumerate(cells):
        c = np.zeros(len(cells))
        c[i] = 1
        low = linprog(c, A_eq=a, b_eq=b, bounds=bounds, method="highs")
        high = linprog(-c, A_eq=a, b_eq=b, bounds=bounds, method="highs")
        assert low.status == 0, f"the published figures are inconsistent: {low.message}"
        top = np.inf if high.status == 3 else -high.fun
        out.append(Bound(name, row, column, low.fun, top))
    return out
