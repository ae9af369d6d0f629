"""The public pages of one publication, rendered once in each language when it is made.

Pages read only the suppressed tables (the same cells as the open-data files), the list
of publications, the files and the revisions; nothing on them is computed on a view.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from epidesk.kit import assets, i18n
from epidesk.kit.templating import render_text
from epidesk.transparency import engine, rules

# The public pages every publication renders (and the snapshot of its own day).
LANDING = "/public"
DISTRICTS = "/public/districts"
CHANGES = "/public/changes"
SNAPSHOTS = "/public/snapshots"
DATA = "/public/data"
LATEST_PAGES = (LANDING, DISTRICTS, CHANGES, SNAPSHOTS, DATA)
# How much of each series the pages show (the files hold every day).
TREND_DAYS = 60
TABLE_DAYS = 14
TABLE_WEEKS = 8


def snapshot_path(day: date) -> str:
    """The address of a day's snapshot page."""
    return f"{SNAPSHOTS}/{day.isoformat()}"


@dataclass(frozen=True)
class RenderedPage:
    """One page in one language, as stored and served."""

    path: str
    language: str
    body: str

    @property
    def etag(self) -> str:
        return hashlib.sha256(self.body.encode()).hexdigest()[:32]


def _day_index(table: rules.Published) -> int | None:
    return next((i for i, c in enumerate(table.columns) if c.kind == "day"), None)


def charted(table: rules.Published) -> bool:
    """Whether a city table is drawn as a trend: one row per day (no keys beside it)."""
    return (_day_index(table) is not None
            and not any(c.kind in ("area", "key") for c in table.columns))


def trend(table: rules.Published) -> dict[str, Any]:
    """A city table's last days as chart data: days and one series per count column."""
    at = _day_index(table)
    assert at is not None
    rows = sorted(table.rows, key=lambda r: r[at])[-TREND_DAYS:]
    series = []
    for i, column in enumerate(table.columns):
        if column.kind == "count":
            series.append({"label": str(column.title),
                           "data": [v if isinstance(v, int) else None for v in
                                    (r[i] for r in rows)]})
    return {"name": table.name, "days": [r[at].isoformat() for r in rows], "series": series}


@dataclass(frozen=True)
class Pivot:
    """A table below city level as the page shows it: one line per area, one column per
    recent day (or week), cells as shown."""

    table: rules.Published
    column: Any  # the count column shown
    days: list[date]
    lines: list[tuple[str, list[str]]]


def pivots(table: rules.Published) -> list[Pivot]:
    """A table below city level, one pivot per count column, the latest days only."""
    at = _day_index(table)
    if at is None:
        return []
    areas = [i for i, c in enumerate(table.columns) if c.kind in ("area", "key")]
    days = sorted({r[at] for r in table.rows})[-(TABLE_WEEKS if table.weekly else TABLE_DAYS):]
    out = []
    for i, column in enumerate(table.columns):
        if column.kind != "count":
            continue
        cells: dict[str, dict[date, str]] = {}
        for row in table.rows:
            if row[at] in days:
                name = " ".join(str(row[a]) for a in areas)
                cells.setdefault(name, {})[row[at]] = rules.shown(row[i])
        lines = [(name, [by_day.get(d, "0") for d in days]) for name, by_day in
                 sorted(cells.items())]
        out.append(Pivot(table, column, days, lines))
    return out


def _recent(table: rules.Published) -> list[tuple[Any, ...]]:
    at = _day_index(table)
    if at is None:
        return list(table.rows)
    return sorted(table.rows, key=lambda r: r[at], reverse=True)[:TABLE_DAYS]


def _pages(context: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    publication = context["publication"]
    tables: Sequence[rules.Published] = context["tables"]
    # The city's weekly totals (beside a weekly district table) are in the open data;
    # the landing page shows the daily series they add up.
    city = [t for t in tables if t.level == "city" and not t.weekly]
    local = [t for t in tables if t.level != "city"]
    day_rows = {t.name: engine.day_rows(t, publication.day) for t in tables}
    return [
        (LANDING, "transparency/landing.html", {
            "city": city, "recent": {t.name: _recent(t) for t in city},
            "trends": json.dumps([trend(t) for t in city if charted(t)],
                                 ensure_ascii=False).replace("</", "<\\/"),
            "charted": {t.name for t in city if charted(t)},
            "chart_js": assets.url("chart.js", "dist/chart.umd.min.js")}),
        (DISTRICTS, "transparency/districts.html", {
            "pivots": [p for t in local for p in pivots(t)], "local": local}),
        (CHANGES, "transparency/changes.html", {}),
        (SNAPSHOTS, "transparency/snapshots.html", {}),
        (DATA, "transparency/data.html", {"by_table": _files_by_table(context["files"])}),
        (snapshot_path(publication.day), "transparency/snapshot.html", {"day_rows": day_rows}),
    ]


def _files_by_table(files: Sequence[Any]) -> list[tuple[str, list[Any]]]:
    grouped: dict[str, list[Any]] = {}
    for f in files:
        grouped.setdefault(f.table_name, []).append(f)
    return sorted(grouped.items(), key=lambda item: (item[0] == engine.DICTIONARY, item[0]))


def render_pages(context: dict[str, Any]) -> list[RenderedPage]:
    """Every page of a publication in every language."""
    publication = context["publication"]
    out = []
    for language in i18n.LANGUAGES:
        with i18n.using(language):
            pages = _pages(context)
        for path, template, extra in pages:
            body = render_text(template, {
                **context, **extra, "path": path, "page_language": language,
                "shown": rules.shown, "file_url": _file_url, "snapshot_path": snapshot_path,
                "week_end": lambda d: d + timedelta(days=6),
                "threshold": publication.threshold}, language=language)
            out.append(RenderedPage(path, language, body))
    return out


def _file_url(publication: Any, name: str) -> str:
    return f"/public/data/{publication.day.isoformat()}/v{publication.version}/{name}"
