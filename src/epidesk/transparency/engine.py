"""Open-data files of one publication, as bytes: CSV, JSON and Parquet, and the dictionary.

Column names are the tables' stable names. A count that can be withheld (below city
level) and every measure have a companion column `<name>_note` holding what the page
shows instead of the value ("<5", "x", "-"); the value itself is then empty (null).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from epidesk.kit import i18n
from epidesk.kit.publication import Column
from epidesk.transparency.rules import Published, Withheld, plain

FORMATS = ("csv", "json", "parquet")
MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json",
               "parquet": "application/vnd.apache.parquet"}
DICTIONARY = "dictionary"
NOTE_SUFFIX = "_note"


@dataclass(frozen=True)
class DataFile:
    """One open-data file of a publication."""

    name: str  # e.g. "cases_by_district_daily_2022-05-03.csv"
    table: str  # the table's name, or "dictionary"
    format: str
    scope: str  # "day" (the publication's day or week), "history" (every day) or "dictionary"
    content: bytes

    @property
    def digest(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def noted(table: Published, column: Column) -> bool:
    """Whether a column can be withheld, and so has a `_note` companion."""
    return column.kind == "measure" or (column.kind == "count" and table.level != "city")


def file_columns(table: Published) -> list[tuple[str, str]]:
    """(name, kind) of every column of the table's files, notes beside what they explain."""
    out: list[tuple[str, str]] = []
    for column in table.columns:
        out.append((column.name, column.kind))
        if noted(table, column):
            out.append((column.name + NOTE_SUFFIX, "note"))
    return out


def file_rows(table: Published, rows: Sequence[tuple[Any, ...]]) -> list[list[Any]]:
    """Rows as the files hold them: plain values, withheld cells empty with their note."""
    out = []
    for row in rows:
        line: list[Any] = []
        for column, value in zip(table.columns, row, strict=True):
            line.append(plain(value))
            if noted(table, column):
                line.append(value.mark if isinstance(value, Withheld) else None)
        out.append(line)
    return out


def day_rows(table: Published, day: date) -> list[tuple[Any, ...]]:
    """The rows of the publication's day (of its week for a weekly table); every row for
    a table without days."""
    at = next((i for i, c in enumerate(table.columns) if c.kind == "day"), None)
    if at is None:
        return list(table.rows)
    if table.weekly:
        from epidesk.transparency.rules import week_start

        day = week_start(day)
    return [row for row in table.rows if row[at] == day]


def csv_bytes(table: Published, rows: Sequence[tuple[Any, ...]]) -> bytes:
    """A table as UTF-8 CSV with a header of stable names."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([name for name, _ in file_columns(table)])
    for line in file_rows(table, rows):
        writer.writerow(["" if v is None else v for v in line])
    return out.getvalue().encode()


def json_bytes(table: Published, rows: Sequence[tuple[Any, ...]], *, day: date, version: int
               ) -> bytes:
    """A table as JSON: the publication, the column names, and one object per row."""
    names = [name for name, _ in file_columns(table)]
    body = {"table": table.name, "publication_day": day.isoformat(), "version": version,
            "weekly": table.weekly, "columns": names,
            "rows": [dict(zip(names, line, strict=True)) for line in file_rows(table, rows)]}
    return json.dumps(body, ensure_ascii=False, indent=1).encode()


_ARROW = {"day": pa.date32(), "area": pa.string(), "key": pa.string(), "count": pa.int64(),
          "measure": pa.float64(), "note": pa.string()}


def parquet_bytes(table: Published, rows: Sequence[tuple[Any, ...]]) -> bytes:
    """A table as Parquet, typed: days as dates, counts as 64-bit integers (null when
    withheld), measures as doubles, the rest as text."""
    columns = file_columns(table)
    lines = file_rows(table, rows)
    arrays = []
    for i, (_, kind) in enumerate(columns):
        values = [line[i] for line in lines]
        if kind == "day":
            values = [date.fromisoformat(v) if v is not None else None for v in values]
        elif kind in ("area", "key", "note"):
            values = [str(v) if v is not None else None for v in values]
        arrays.append(pa.array(values, type=_ARROW[kind]))
    schema = pa.schema([(name, _ARROW[kind]) for name, kind in columns])
    out = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, schema=schema), out)
    return out.getvalue()


def encode(table: Published, rows: Sequence[tuple[Any, ...]], fmt: str, *, day: date,
           version: int) -> bytes:
    """One table's rows in one format."""
    if fmt == "csv":
        return csv_bytes(table, rows)
    if fmt == "json":
        return json_bytes(table, rows, day=day, version=version)
    return parquet_bytes(table, rows)


def _words(value: Any, language: str) -> str:
    with i18n.using(language):
        return str(value)


def dictionary_entries(tables: Sequence[Published]) -> list[dict[str, str]]:
    """The data dictionary: every column of every table, with its meaning in both languages."""
    out = []
    for table in tables:
        for column in table.columns:
            out.append({"table": table.name, "column": column.name, "kind": column.kind,
                        "title_en": _words(column.title, "en"),
                        "title_zh": _words(column.title, "zh"),
                        "description_en": _words(column.description, "en"),
                        "description_zh": _words(column.description, "zh")})
            if noted(table, column):
                out.append({"table": table.name, "column": column.name + NOTE_SUFFIX,
                            "kind": "note", **_note_words(column.name, table.threshold)})
    return out


def _note_words(name: str, threshold: int) -> dict[str, str]:
    from epidesk.kit.i18n import _

    out = {}
    for language in ("en", "zh"):
        with i18n.using(language):
            out[f"title_{language}"] = _("Note on %(column)s", column=name)
            out[f"description_{language}"] = _(
                "Empty when %(column)s is shown. \"<%(threshold)d\": a count from 1 to "
                "%(below)d. \"x\": withheld so that a small count cannot be worked out "
                "from the totals (any value; where a whole day's cells are \"x\", zeros "
                "are withheld too). \"-\": a measure withheld because too few are behind "
                "it or its row's counts are withheld.",
                column=name, threshold=threshold, below=threshold - 1)
    return out


DICTIONARY_COLUMNS = ("table", "column", "kind", "title_en", "title_zh", "description_en",
                      "description_zh")


def dictionary_files(tables: Sequence[Published]) -> list[DataFile]:
    """The data dictionary as CSV and JSON."""
    entries = dictionary_entries(tables)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=DICTIONARY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(entries)
    return [DataFile(f"{DICTIONARY}.csv", DICTIONARY, "csv", DICTIONARY, out.getvalue().encode()),
            DataFile(f"{DICTIONARY}.json", DICTIONARY, "json", DICTIONARY,
                     json.dumps(entries, ensure_ascii=False, indent=1).encode())]


def data_files(tables: Sequence[Published], *, day: date, version: int) -> list[DataFile]:
    """Every file of a publication: per table and format the day's rows and the whole
    history, then the dictionary."""
    out = []
    for table in tables:
        for fmt in FORMATS:
            out.append(DataFile(f"{table.name}_{day.isoformat()}.{fmt}", table.name, fmt, "day",
                                encode(table, day_rows(table, day), fmt, day=day,
                                       version=version)))
            out.append(DataFile(f"{table.name}.{fmt}", table.name, fmt, "history",
                                encode(table, table.rows, fmt, day=day, version=version)))
    out.extend(dictionary_files(tables))
    return out
