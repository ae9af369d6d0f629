"""Reading a lab batch file: CSV or Parquet read with pyarrow into numpy columns.

Every value is converted and checked over whole columns; Python loops run only over the
few rows that need them (the problems a report lists). No session, no database. The
checks across lines and tubes are in `testing.ingest.engine`.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray

from epidesk.kit.reports import FILE_LINE, HEADER_LINE, Finding, Problem
from epidesk.testing import rules

IntArray: TypeAlias = NDArray[np.int64]
BoolArray: TypeAlias = NDArray[np.bool_]
FloatArray: TypeAlias = NDArray[np.float64]
TimeArray: TypeAlias = NDArray[np.datetime64]

KIND_CODES = {rules.SINGLE: 0, rules.POOLED: 1}
OUTCOME_CODES = {rules.POSITIVE: 0, rules.NEGATIVE: 1, rules.INVALID: 2}
NAT = np.datetime64("NaT", "us")
# An integer that is missing or unreadable (any other value, even negative, was written).
MISSING = np.iinfo(np.int64).min
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$").pattern
_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$").pattern
_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)$"
).pattern
_DATE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$").pattern


# ------------------------------------------------------------------ columns


@dataclass
class ParsedBatch:
    """A batch's values as numpy columns; bad or missing values are -1, NaN or NaT."""

    rows: int
    file_format: str
    genes: tuple[str, ...]
    columns: tuple[str, ...]
    sample_code: pa.Array
    tube_code: pa.Array
    tube_of_row: IntArray
    tube_codes: pa.Array
    first_row: IntArray
    kind: NDArray[np.int8]
    pool_size: IntArray
    resident_id: IntArray
    collected_at: TimeArray
    result_at: TimeArray
    site_vocabulary: tuple[str, ...]
    site: NDArray[np.int32]
    lab_vocabulary: tuple[str, ...]
    lab: NDArray[np.int32]
    outcome: NDArray[np.int8]
    ct: dict[str, FloatArray]
    onset_date: NDArray[np.datetime64]
    imported: BoolArray
    # The times as written, kept to find the lab's local dates of the few rows that need them.
    collected_raw: pa.Array
    result_raw: pa.Array
    findings: list[Finding] = field(default_factory=list)
    file_problems: list[Problem] = field(default_factory=list)

    @property
    def tubes(self) -> int:
        """How many distinct tubes the batch holds."""
        return len(self.first_row)

    @property
    def contiguous(self) -> bool:
        """True when the lines of every tube follow one another."""
        tube = self.tube_of_row
        return bool(len(tube) and tube[0] == 0 and (np.diff(tube) >= 0).all())

    def local_time(self, row: int, column: str) -> datetime:
        """A row's collected_at or result_at in the offset the lab wrote it in."""
        raw = self.collected_raw if column == "collected_at" else self.result_raw
        return _as_local(raw, row)

    def members(self) -> IntArray:
        """How many rows each tube has."""
        return np.bincount(self.tube_of_row[self.tube_of_row >= 0],
                           minlength=self.tubes).astype(np.int64)


def _as_local(raw: pa.Array, row: int) -> datetime:
    value = raw[row].as_py()
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value).strip().replace("z", "Z"))


def _empty_message(name: str) -> Callable[[int], str]:
    return lambda _row: f"{name} is empty"


def combined(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    """A column as one array, its chunks joined."""
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return column


def rows_of(mask: Any) -> IntArray:
    """The rows (0-based) where a mask is true."""
    return np.flatnonzero(np.asarray(mask)).astype(np.int64)


def _null_mask(array: pa.Array) -> BoolArray:
    if array.null_count == 0:
        return np.zeros(len(array), dtype=bool)
    return np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)


def text_at(array: pa.Array, row: int) -> str:
    """A row's value as text for a report, shortened to 40 characters."""
    value = array[row].as_py()
    text = "" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_text(array: pa.Array) -> bool:
    return bool(pa.types.is_string(array.type) or pa.types.is_large_string(array.type))


def parse(table: pa.Table, file_format: str,
          counted: Callable[[int], None] | None = None) -> ParsedBatch:
    """Columns of a batch table as numpy arrays, with every value-level problem found.

    `counted(tubes)` is called as soon as the tubes are numbered, while the rest of the
    columns are still being read.
    """
    rows = table.num_rows
    names = tuple(table.column_names)
    file_problems: list[Problem] = []
    findings: list[Finding] = []
    for name in names:
        if name not in rules.COLUMNS:
            hint = (f"; genes: {', '.join(rules.GENES)}" if name.startswith("ct_")
                    else f"; columns: {', '.join(rules.COLUMNS)}")
            file_problems.append(Problem(HEADER_LINE, name, "unknown_column",
                                         f"unknown column {name!r}{hint}"))
    seen: set[str] = set()
    for name in names:
        if name in seen:
            file_problems.append(Problem(HEADER_LINE, name, "unknown_column",
                                         f"the column {name!r} appears twice"))
        seen.add(name)
    for name in rules.REQUIRED_COLUMNS:
        if name not in names:
            file_problems.append(Problem(HEADER_LINE, name, "missing_column",
                                         f"the required column {name!r} is missing"))
    if rows == 0:
        file_problems.append(Problem(FILE_LINE, "", "empty_file",
                                     "the file holds no sample line"))

    def column(name: str, combine: bool = True) -> pa.Array:
        if name in names:
            found = table.column(names.index(name))
            return combined(found) if combine else found
        return pa.nulls(rows, pa.string())

    required_present = {n for n in rules.REQUIRED_COLUMNS if n in names}

    def missing(name: str, array: pa.Array) -> BoolArray:
        null = _null_mask(array)
        if name in required_present and null.any():
            findings.append(Finding("missing_value", name, rows_of(null), _empty_message(name)))
        return null

    sample_code = column("sample_id")
    tube_code = column("tube_id")
    for name, array in (("sample_id", sample_code), ("tube_id", tube_code)):
        array = _as_text(array)
        missing(name, array)
        _check_length(findings, name, array, rules.MAX_CODE_LENGTH)
    sample_code = _as_text(sample_code)
    tube_code = _as_text(tube_code)

    tube_of_row, tube_codes = group_codes(tube_code)
    first_row = first_rows(tube_of_row, len(tube_codes))
    if counted is not None:
        counted(len(first_row))

    kind = _categorical_codes(findings, "tube_type", column("tube_type"), KIND_CODES,
                              "unknown_tube_type", missing)
    outcome = _categorical_codes(findings, "outcome", column("outcome"), OUTCOME_CODES,
                                 "unknown_outcome", missing)
    pool_size = _integers(findings, "pool_size", column("pool_size"), missing)
    resident_id = _integers(findings, "resident_id", column("resident_id"), missing)
    # The times stay in their chunks as read: only a few of them are looked at as text.
    collected_raw = column("collected_at", combine=False)
    result_raw = column("result_at", combine=False)
    collected_at = _times(findings, "collected_at", collected_raw, missing)
    result_at = _times(findings, "result_at", result_raw, missing)
    site_vocabulary, site = _vocabulary(findings, "collection_site", column("collection_site"),
                                        missing)
    lab_vocabulary, lab = _vocabulary(findings, "lab", column("lab"), missing)
    genes = tuple(g for g in rules.GENES if f"ct_{g}" in names)
    ct = {g: _numbers(findings, f"ct_{g}", column(f"ct_{g}")) for g in genes}
    onset = (_dates(findings, "onset_date", column("onset_date")) if "onset_date" in names
             else np.full(rows, np.datetime64("NaT", "D")))
    imported = (_booleans(findings, "imported", column("imported")) if "imported" in names
                else np.zeros(rows, dtype=bool))
    return ParsedBatch(
        rows=rows, file_format=file_format, genes=genes, columns=names,
        sample_code=sample_code, tube_code=tube_code, tube_of_row=tube_of_row,
        tube_codes=tube_codes, first_row=first_row, kind=kind, pool_size=pool_size,
        resident_id=resident_id, collected_at=collected_at, result_at=result_at,
        site_vocabulary=site_vocabulary, site=site, lab_vocabulary=lab_vocabulary, lab=lab,
        outcome=outcome, ct=ct, onset_date=onset, imported=imported,
        collected_raw=collected_raw, result_raw=result_raw, findings=findings,
        file_problems=file_problems,
    )


@dataclass
class SamplePart:
    """The values a block of a batch's lines gives its sample rows, read as `parse` does."""

    sample_code: pa.Array
    tube_code: pa.Array
    resident_id: IntArray
    collected_at: TimeArray


def sample_part(block: pa.RecordBatch) -> SamplePart | None:
    """A block's sample ids, tube ids, resident ids and swab times, when every one of them
    reads; None when one is missing, too long or unreadable (the parse of the whole batch
    then says where)."""
    names = block.schema.names
    if any(names.count(n) != 1 for n in ("sample_id", "tube_id", "resident_id",
                                         "collected_at")):
        return None
    findings: list[Finding] = []

    def missing(name: str, array: pa.Array) -> BoolArray:
        null = _null_mask(array)
        if null.any():
            findings.append(Finding("missing_value", name, rows_of(null), _empty_message(name)))
        return null

    codes = [_as_text(block.column(n)) for n in ("sample_id", "tube_id")]
    for name, array in zip(("sample_id", "tube_id"), codes, strict=True):
        missing(name, array)
        _check_length(findings, name, array, rules.MAX_CODE_LENGTH)
    resident_id = _integers(findings, "resident_id", block.column("resident_id"), missing)
    collected_at = _times(findings, "collected_at", block.column("collected_at"), missing)
    if findings:
        return None
    return SamplePart(sample_code=codes[0], tube_code=codes[1], resident_id=resident_id,
                      collected_at=collected_at)


def group_codes(values: pa.Array) -> tuple[IntArray, pa.Array]:
    """Each row's group (numbered by first appearance, -1 for null) and the group values.

    Labs list a pooled tube's swabs together, so the runs of equal values are found
    first; only when a value comes back after another is every row hashed.
    """
    n = len(values)
    if n and values.null_count == 0:
        changes = np.asarray(pc.not_equal(values[1:], values[:-1])
                             .to_numpy(zero_copy_only=False), dtype=bool)
        starts = np.flatnonzero(np.concatenate(([True], changes)))
        heads = values.take(pa.array(starts))
        if len(heads.unique()) == len(starts):
            lengths = np.diff(np.append(starts, n))
            return np.repeat(np.arange(len(starts), dtype=np.int64), lengths), heads
    encoded = values.dictionary_encode()
    codes = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False),
                       dtype=np.int64)
    return codes, encoded.dictionary


def first_rows(group_of_row: IntArray, groups: int) -> IntArray:
    """The first row of each group, for groups numbered in order of first appearance."""
    valid = group_of_row >= 0
    if not valid.any():
        return np.zeros(0, dtype=np.int64)
    rows = np.flatnonzero(valid)
    codes = group_of_row[valid]
    # Codes are handed out as groups first appear, so a row opens its group exactly
    # when its code exceeds every code before it.
    running = np.maximum.accumulate(codes)
    opens = np.empty(len(codes), dtype=bool)
    opens[0] = True
    opens[1:] = codes[1:] > running[:-1]
    first = rows[opens].astype(np.int64)
    assert len(first) == groups
    return first


def _as_text(array: pa.Array) -> pa.Array:
    if _is_text(array):
        return array
    if pa.types.is_null(array.type):
        return array.cast(pa.string())
    return pc.cast(array, pa.string())


def _check_length(findings: list[Finding], name: str, array: pa.Array, limit: int) -> None:
    lengths = pc.utf8_length(array)
    longest = pc.max(lengths).as_py()
    if longest is not None and longest > limit:
        too_long = np.asarray(pc.fill_null(pc.greater(lengths, limit), False)
                              .to_numpy(zero_copy_only=False), dtype=bool)
        findings.append(Finding("too_long", name, rows_of(too_long),
                                lambda r: f"{text_at(array, r)!r} is longer than {limit} "
                                          "characters"))


def _categorical_codes(findings: list[Finding], name: str, array: pa.Array,
                       codes: Mapping[str, int], kind: str,
                       missing: Callable[[str, pa.Array], BoolArray]) -> NDArray[np.int8]:
    null = missing(name, array)
    encoded = _encoded(array)
    words = [str(w).strip().lower() for w in encoded.dictionary.to_pylist()]
    lookup = np.array([codes.get(w, -1) for w in words] + [-1], dtype=np.int8)
    index = np.asarray(encoded.indices.fill_null(len(words)).to_numpy(zero_copy_only=False),
                       dtype=np.int64)
    out = lookup[index]
    bad = (out < 0) & ~null
    if bad.any():
        allowed = " or ".join(codes)
        findings.append(Finding(kind, name, rows_of(bad),
                                lambda r: f"{text_at(array, r)!r} is not {allowed}"))
    return out


def _encoded(array: pa.Array) -> pa.DictionaryArray:
    """A text column as a dictionary array (as read, or encoded now)."""
    if pa.types.is_dictionary(array.type):
        return array
    return _as_text(array).dictionary_encode()


def _vocabulary(findings: list[Finding], name: str, array: pa.Array,
                missing: Callable[[str, pa.Array], BoolArray]
                ) -> tuple[tuple[str, ...], NDArray[np.int32]]:
    missing(name, array)
    encoded = _encoded(array)
    words = tuple(str(w).strip() for w in encoded.dictionary.to_pylist())
    codes = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False),
                       dtype=np.int32)
    long_words = np.array([len(w) > rules.MAX_TEXT_LENGTH for w in words] + [False])
    if long_words.any():
        too_long = long_words[np.where(codes < 0, len(words), codes)]
        findings.append(Finding("too_long", name, rows_of(too_long),
                                lambda r: f"{text_at(array, r)!r} is longer than "
                                          f"{rules.MAX_TEXT_LENGTH} characters"))
    return words, codes


def _integers(findings: list[Finding], name: str, array: pa.Array,
              missing: Callable[[str, pa.Array], BoolArray]) -> IntArray:
    null = missing(name, array)
    if pa.types.is_integer(array.type):
        wide = pc.cast(array, pa.int64())
        return np.asarray(wide.fill_null(MISSING).to_numpy(zero_copy_only=False), dtype=np.int64)
    if pa.types.is_floating(array.type):
        values = np.asarray(array.fill_null(np.nan).to_numpy(zero_copy_only=False),
                            dtype=np.float64)
        bad = ~null & ~(np.isfinite(values) & (values == np.round(values)))
        out = np.where(bad | null, MISSING, np.nan_to_num(values, nan=0)).astype(np.int64)
    else:
        text = _as_text(array)
        try:
            cast = pc.cast(pc.utf8_trim_whitespace(text), pa.int64())
            return np.asarray(cast.fill_null(MISSING).to_numpy(zero_copy_only=False),
                              dtype=np.int64)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            pass
        ok = np.asarray(pc.fill_null(pc.match_substring_regex(text, _INTEGER), False)
                        .to_numpy(zero_copy_only=False), dtype=bool)
        cleaned = pc.if_else(pa.array(ok), pc.utf8_trim_whitespace(text),
                             pa.nulls(len(text), pa.string()))
        try:
            cast = pc.cast(cleaned, pa.int64())
        except pa.ArrowInvalid:
            # Digits beyond 64 bits: read those rows one by one.
            small = [int(v) if v is not None and abs(int(v)) < 2**62 else None
                     for v in cleaned.to_pylist()]
            cast = pa.array(small, pa.int64())
            ok &= ~np.asarray(cast.is_null().to_numpy(zero_copy_only=False), dtype=bool)
        out = np.asarray(cast.fill_null(MISSING).to_numpy(zero_copy_only=False), dtype=np.int64)
        bad = ~ok & ~null
        array = text
    if bad.any():
        findings.append(Finding("bad_integer", name, rows_of(bad),
                                lambda r: f"{text_at(array, r)!r} is not a whole number"))
    return out


def _numbers(findings: list[Finding], name: str, array: pa.Array) -> FloatArray:
    null = _null_mask(array)
    if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
        values = np.asarray(pc.cast(array, pa.float64()).fill_null(np.nan)
                            .to_numpy(zero_copy_only=False), dtype=np.float64)
        bad = np.zeros(len(values), dtype=bool)
    else:
        text = _as_text(array)
        try:
            cast = pc.cast(pc.utf8_trim_whitespace(text), pa.float64())
            values = np.asarray(cast.fill_null(np.nan).to_numpy(zero_copy_only=False),
                                dtype=np.float64)
            bad = np.zeros(len(values), dtype=bool)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            ok = np.asarray(pc.fill_null(pc.match_substring_regex(text, _NUMBER), False)
                            .to_numpy(zero_copy_only=False), dtype=bool)
            cleaned = pc.if_else(pa.array(ok), pc.utf8_trim_whitespace(text),
                                 pa.nulls(len(text), pa.string()))
            values = np.asarray(pc.cast(cleaned, pa.float64()).fill_null(np.nan)
                                .to_numpy(zero_copy_only=False), dtype=np.float64)
            bad = ~ok & ~null
            if bad.any():
                findings.append(Finding("bad_number", name, rows_of(bad),
                                        lambda r: f"{text_at(text, r)!r} is not a number"))
        array = text
    problem = ~bad & ~np.isnan(values) & ~((values > 0) & (values <= rules.CT_MAX))
    if problem.any():
        findings.append(Finding("ct_out_of_range", name, rows_of(problem),
                                lambda r: rules.ct_problem(float(values[r])) or ""))
    return values


def _times(findings: list[Finding], name: str, array: pa.Array,
           missing: Callable[[str, pa.Array], BoolArray]) -> TimeArray:
    null = missing(name, array)
    utc = pa.timestamp("us", tz="UTC")
    if pa.types.is_timestamp(array.type):
        if array.type.tz is None:
            findings.append(Finding("bad_time", name, rows_of(~null),
                                    lambda _r: "a time without time zone; write times with "
                                               "their UTC offset"))
            return np.full(len(array), NAT)
        cast = pc.cast(array, utc)
        return _datetimes(cast)
    text = _as_text(array)
    try:
        return _datetimes(pc.cast(text, utc))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    ok = np.asarray(pc.fill_null(pc.match_substring_regex(text, _TIME), False)
                    .to_numpy(zero_copy_only=False), dtype=bool)
    cleaned = pc.if_else(pa.array(ok), text, pa.nulls(len(text), pa.string()))
    try:
        values = _datetimes(pc.cast(cleaned, utc))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        values = np.full(len(text), NAT)
        for r in np.flatnonzero(ok):
            try:
                moment = datetime.fromisoformat(str(text[r].as_py()).replace("z", "Z"))
            except ValueError:
                ok[r] = False
                continue
            if moment.tzinfo is None:
                ok[r] = False
                continue
            values[r] = np.datetime64(moment.astimezone(UTC).replace(tzinfo=None), "us")
    bad = ~ok & ~null
    if bad.any():
        findings.append(Finding("bad_time", name, rows_of(bad),
                                lambda r: f"{text_at(text, r)!r} is not an ISO 8601 time with "
                                          "a UTC offset (e.g. 2026-11-20T08:15:00+08:00)"))
    return values


def _datetimes(array: pa.Array) -> TimeArray:
    plain = array.cast(pa.timestamp("us"))
    return np.asarray(plain.to_numpy(zero_copy_only=False), dtype="datetime64[us]")


def _dates(findings: list[Finding], name: str, array: pa.Array) -> NDArray[np.datetime64]:
    null = _null_mask(array)
    if pa.types.is_date(array.type):
        return np.asarray(array.cast(pa.date32()).to_numpy(zero_copy_only=False),
                          dtype="datetime64[D]")
    if pa.types.is_timestamp(array.type):
        return np.asarray(array.cast(pa.date32()).to_numpy(zero_copy_only=False),
                          dtype="datetime64[D]")
    text = _as_text(array)
    ok = np.asarray(pc.fill_null(pc.match_substring_regex(text, _DATE), False)
                    .to_numpy(zero_copy_only=False), dtype=bool)
    values = np.full(len(text), np.datetime64("NaT", "D"))
    for r in np.flatnonzero(ok):
        try:
            values[r] = np.datetime64(date.fromisoformat(str(text[r].as_py()).strip()), "D")
        except ValueError:
            ok[r] = False
    bad = ~ok & ~null
    if bad.any():
        findings.append(Finding("bad_date", name, rows_of(bad),
                                lambda r: f"{text_at(text, r)!r} is not a date (YYYY-MM-DD)"))
    return values


def _booleans(findings: list[Finding], name: str, array: pa.Array) -> BoolArray:
    if pa.types.is_boolean(array.type):
        return np.asarray(array.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)
    text = _as_text(array)
    encoded = text.dictionary_encode()
    words = [rules.parse_boolean(str(w)) for w in encoded.dictionary.to_pylist()]
    lookup = np.array([-1 if w is None else int(w) for w in words] + [0], dtype=np.int8)
    index = np.asarray(encoded.indices.fill_null(len(words)).to_numpy(zero_copy_only=False),
                       dtype=np.int64)
    values = lookup[index]
    if (values < 0).any():
        findings.append(Finding("bad_boolean", name, rows_of(values < 0),
                                lambda r: f"{text_at(text, r)!r} is not true or false"))
    return np.asarray(values == 1, dtype=bool)


# ------------------------------------------------------------------ writing files


def write_batch(path: str | Path, columns: Mapping[str, Sequence[Any] | NDArray[Any]]) -> Path:
    """Write a lab batch (CSV, or Parquet when the name ends in .parquet) from columns.

    Columns are lists or numpy arrays named as in the batch format; numpy datetime64
    times are taken as UTC, strings are written as given.
    """
    target = Path(path)
    table = pa.table({name: _arrow_column(values) for name, values in columns.items()})
    if target.suffix.lower() == ".parquet":
        pq.write_table(table, target)
    else:
        buffer = io.BytesIO()
        pacsv.write_csv(table, buffer, write_options=pacsv.WriteOptions(
            include_header=True, quoting_style="needed"))
        target.write_bytes(buffer.getvalue())
    return target


def _arrow_column(values: Sequence[Any] | NDArray[Any]) -> pa.Array:
    if isinstance(values, np.ndarray):
        array = pa.array(values)
        if pa.types.is_timestamp(array.type) and array.type.tz is None:
            # numpy times carry no zone: they are taken as UTC.
            return array.cast(pa.timestamp(array.type.unit, tz="UTC"))
        return array
    return pa.array(list(values))
