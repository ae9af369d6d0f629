"""Lab batches as columns: read CSV or Parquet with pyarrow, validate vectorised with numpy.

Every check runs over whole columns; Python loops run only over the few rows that need
them (the problems a report lists, residents with open retests). No session, no
database.
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

from epidesk.kit.bulk import Categorical, CharMatrix
from epidesk.policy.schemas import Positivity
from epidesk.testing import rules
from epidesk.testing.rules import Problem, Report

IntArray: TypeAlias = NDArray[np.int64]
BoolArray: TypeAlias = NDArray[np.bool_]
FloatArray: TypeAlias = NDArray[np.float64]
TimeArray: TypeAlias = NDArray[np.datetime64]

KIND_CODES = {rules.SINGLE: 0, rules.POOLED: 1}
OUTCOME_CODES = {rules.POSITIVE: 0, rules.NEGATIVE: 1, rules.INVALID: 2}
NAT = np.datetime64("NaT", "us")
# An integer that is missing or unreadable (any other value, even negative, was written).
MISSING = np.iinfo(np.int64).min
PARQUET_MAGIC = b"PAR1"
_INTEGER = re.compile(r"^\s*[+-]?\d+\s*$").pattern
_NUMBER = re.compile(r"^\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*$").pattern
_TIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|z|[+-]\d{2}(:?\d{2})?)$"
).pattern
_DATE = re.compile(r"^\s*\d{4}-\d{2}-\d{2}\s*$").pattern


class UnreadableBatch(Exception):
    """The bytes are not a CSV or Parquet file this format can read."""


# ------------------------------------------------------------------ reading


def file_format_of(filename: str, head: bytes) -> str:
    """"parquet" when the file starts with Parquet's magic bytes, else "csv"."""
    if head[:4] == PARQUET_MAGIC or filename.lower().endswith(".parquet"):
        return "parquet"
    return "csv"


# Columns the CSV reader converts itself when every value allows it; a file with a bad
# value is read again as text, so that the bad values can be found and reported.
_TEXT = pa.string()
_WORDS = pa.dictionary(pa.int32(), pa.string())
_TYPED: dict[str, pa.DataType] = {
    "pool_size": pa.int64(), "resident_id": pa.int64(),
    **{name: pa.float64() for name in rules.CT_COLUMNS},
    "tube_type": _WORDS, "outcome": _WORDS, "lab": _WORDS, "collection_site": _WORDS,
}


def read_table(data: bytes | memoryview, file_format: str) -> pa.Table:
    """The batch's columns as an Arrow table (CSV columns typed where every value allows)."""
    try:
        if file_format == "parquet":
            return pq.read_table(pa.BufferReader(data))
        names = _csv_header(data)
        try:
            table = _read_csv(data, {n: _TYPED.get(n, _TEXT) for n in names})
        except pa.ArrowInvalid:
            return _read_csv(data, {n: _TEXT for n in names})
        return table.unify_dictionaries()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError, UnicodeDecodeError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnreadableBatch(message) from exc


def _read_csv(data: bytes | memoryview, types: dict[str, pa.DataType]) -> pa.Table:
    return pacsv.read_csv(
        pa.BufferReader(data),
        read_options=pacsv.ReadOptions(use_threads=True, block_size=16 * 2**20),
        parse_options=pacsv.ParseOptions(newlines_in_values=False),
        convert_options=pacsv.ConvertOptions(
            column_types=types, strings_can_be_null=True, quoted_strings_can_be_null=True,
            null_values=[""],
        ),
    )


def _csv_header(data: bytes | memoryview) -> list[str]:
    head = bytes(data[: 64 * 1024])
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    text = first.decode("utf-8-sig")
    return [name.strip().strip('"') for name in text.split(",")]


# ------------------------------------------------------------------ findings


@dataclass
class Finding:
    """One kind of problem found in one column, on the given rows (0-based)."""

    kind: str
    column: str
    rows: IntArray
    message: Callable[[int], str]


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


def _combined(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return column


def _rows(mask: Any) -> IntArray:
    return np.flatnonzero(np.asarray(mask)).astype(np.int64)


def _null_mask(array: pa.Array) -> BoolArray:
    if array.null_count == 0:
        return np.zeros(len(array), dtype=bool)
    return np.asarray(array.is_null().to_numpy(zero_copy_only=False), dtype=bool)


def _text_at(array: pa.Array, row: int) -> str:
    value = array[row].as_py()
    text = "" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _is_text(array: pa.Array) -> bool:
    return bool(pa.types.is_string(array.type) or pa.types.is_large_string(array.type))


def parse(table: pa.Table, file_format: str) -> ParsedBatch:
    """Columns of a batch table as numpy arrays, with every value-level problem found."""
    rows = table.num_rows
    names = tuple(table.column_names)
    file_problems: list[Problem] = []
    findings: list[Finding] = []
    for name in names:
        if name not in rules.COLUMNS:
            hint = (f"; genes: {', '.join(rules.GENES)}" if name.startswith("ct_")
                    else f"; columns: {', '.join(rules.COLUMNS)}")
            file_problems.append(Problem(rules.HEADER_LINE, name, "unknown_column",
                                         f"unknown column {name!r}{hint}"))
    seen: set[str] = set()
    for name in names:
        if name in seen:
            file_problems.append(Problem(rules.HEADER_LINE, name, "unknown_column",
                                         f"the column {name!r} appears twice"))
        seen.add(name)
    for name in rules.REQUIRED_COLUMNS:
        if name not in names:
            file_problems.append(Problem(rules.HEADER_LINE, name, "missing_column",
                                         f"the required column {name!r} is missing"))
    if rows == 0:
        file_problems.append(Problem(rules.FILE_LINE, "", "empty_file",
                                     "the file holds no sample line"))

    def column(name: str, combine: bool = True) -> pa.Array:
        if name in names:
            found = table.column(names.index(name))
            return _combined(found) if combine else found
        return pa.nulls(rows, pa.string())

    required_present = {n for n in rules.REQUIRED_COLUMNS if n in names}

    def missing(name: str, array: pa.Array) -> BoolArray:
        null = _null_mask(array)
        if name in required_present and null.any():
            findings.append(Finding("missing_value", name, _rows(null), _empty_message(name)))
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
        findings.append(Finding("too_long", name, _rows(too_long),
                                lambda r: f"{_text_at(array, r)!r} is longer than {limit} "
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
        findings.append(Finding(kind, name, _rows(bad),
                                lambda r: f"{_text_at(array, r)!r} is not {allowed}"))
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
        findings.append(Finding("too_long", name, _rows(too_long),
                                lambda r: f"{_text_at(array, r)!r} is longer than "
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
        findings.append(Finding("bad_integer", name, _rows(bad),
                                lambda r: f"{_text_at(array, r)!r} is not a whole number"))
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
                findings.append(Finding("bad_number", name, _rows(bad),
                                        lambda r: f"{_text_at(text, r)!r} is not a number"))
        array = text
    problem = ~bad & ~np.isnan(values) & ~((values > 0) & (values <= rules.CT_MAX))
    if problem.any():
        findings.append(Finding("ct_out_of_range", name, _rows(problem),
                                lambda r: rules.ct_problem(float(values[r])) or ""))
    return values


def _times(findings: list[Finding], name: str, array: pa.Array,
           missing: Callable[[str, pa.Array], BoolArray]) -> TimeArray:
    null = missing(name, array)
    utc = pa.timestamp("us", tz="UTC")
    if pa.types.is_timestamp(array.type):
        if array.type.tz is None:
            findings.append(Finding("bad_time", name, _rows(~null),
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
        findings.append(Finding("bad_time", name, _rows(bad),
                                lambda r: f"{_text_at(text, r)!r} is not an ISO 8601 time with "
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
        findings.append(Finding("bad_date", name, _rows(bad),
                                lambda r: f"{_text_at(text, r)!r} is not a date (YYYY-MM-DD)"))
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
        findings.append(Finding("bad_boolean", name, _rows(values < 0),
                                lambda r: f"{_text_at(text, r)!r} is not true or false"))
    return np.asarray(values == 1, dtype=bool)


# ------------------------------------------------------------------ validation


def resident_bitmap(ids: NDArray[np.integer[Any]]) -> BoolArray:
    """A boolean array, True at every existing resident id."""
    ids = np.asarray(ids, dtype=np.int64)
    bitmap = np.zeros(int(ids.max()) + 1 if len(ids) else 0, dtype=bool)
    bitmap[ids] = True
    return bitmap


def known(values: IntArray, bitmap: BoolArray) -> BoolArray:
    """Which values are set in the bitmap (negative or too large ones are not)."""
    inside = (values >= 0) & (values < len(bitmap))
    out = np.zeros(len(values), dtype=bool)
    out[inside] = bitmap[values[inside]]
    return np.asarray(out, dtype=bool)


def validate(batch: ParsedBatch, *, residents: BoolArray, pool_sizes: Sequence[int],
             now: datetime) -> None:
    """Add every cross-field problem of the batch to its findings."""
    f = batch.findings
    unknown = (batch.resident_id != MISSING) & ~known(batch.resident_id, residents)
    if unknown.any():
        f.append(Finding("unknown_resident", "resident_id", _rows(unknown),
                         lambda r: f"no registered resident has the id {batch.resident_id[r]}"))
    _check_tubes(batch, pool_sizes)
    _check_times(batch, now)
    _check_positive_has_ct(batch)
    if batch.onset_date.size:
        today = np.datetime64(now.astimezone(UTC).date(), "D") + np.timedelta64(1, "D")
        future = ~np.isnat(batch.onset_date) & (batch.onset_date > today)
        if future.any():
            f.append(Finding("onset_in_future", "onset_date", _rows(future),
                             lambda r: f"symptom onset {batch.onset_date[r]} is after today"))


def _check_tubes(batch: ParsedBatch, pool_sizes: Sequence[int]) -> None:
    f = batch.findings
    tube = batch.tube_of_row
    has_tube = tube >= 0
    if not has_tube.any():
        return
    first = batch.first_row
    contiguous = batch.contiguous
    same_as_previous = tube[1:] == tube[:-1] if contiguous else None
    shared: list[tuple[str, NDArray[Any]]] = [
        ("tube_type", batch.kind), ("pool_size", batch.pool_size),
        ("collection_site", batch.site), ("lab", batch.lab),
        ("result_at", batch.result_at.view(np.int64)), ("outcome", batch.outcome),
    ]
    shared += [(f"ct_{g}", batch.ct[g]) for g in batch.genes]
    for name, values in shared:
        if same_as_previous is not None and not (
                _unequal(values[1:], values[:-1]) & same_as_previous).any():
            # Every line equals the one before it in the same tube, so equals the first.
            continue
        at_first = np.where(has_tube, first[np.maximum(tube, 0)], 0)
        differs = _unequal(values, values[at_first]) & has_tube
        if differs.any():
            f.append(Finding("tube_disagreement", name, _rows(differs),
                             _disagreement_message(batch, name)))
    members = batch.members()
    kind_t = batch.kind[first]
    size_t = batch.pool_size[first]
    single = kind_t == KIND_CODES[rules.SINGLE]
    pooled = kind_t == KIND_CODES[rules.POOLED]
    sizes = np.asarray(sorted(pool_sizes), dtype=np.int64)
    known_size = size_t != MISSING
    single_wrong = single & known_size & ((size_t != 1) | (members != 1))
    pooled_unvalidated = pooled & known_size & ~np.isin(size_t, sizes)
    pooled_mismatch = pooled & known_size & ~pooled_unvalidated & (size_t != members)

    def describe(t: int) -> str:
        found = rules.pool_size_problem(
            rules.SINGLE if single[t] else rules.POOLED, int(size_t[t]), int(members[t]),
            [int(s) for s in sizes])
        return found[1] if found else ""

    for kind, mask in (("pool_size_mismatch", single_wrong | pooled_mismatch),
                       ("pool_size_not_validated", pooled_unvalidated)):
        if mask.any():
            tubes = np.flatnonzero(mask)
            order = np.argsort(first[tubes], kind="stable")
            tubes = tubes[order]
            row_to_tube = dict(zip(first[tubes].tolist(), tubes.tolist(), strict=True))
            f.append(Finding(kind, "pool_size", first[tubes].astype(np.int64),
                             _pool_message(batch, row_to_tube, describe)))
    if (members > 1).any():
        _check_residents_once_per_tube(batch, members)


def _check_residents_once_per_tube(batch: ParsedBatch, members: IntArray) -> None:
    tube, resident = batch.tube_of_row, batch.resident_id
    widest = int(members.max())
    if batch.contiguous and widest <= 64:
        # A tube's lines are together: compare each line with the few before it.
        again = np.zeros(len(tube), dtype=bool)
        for k in range(1, widest):
            again[k:] |= ((resident[k:] == resident[:-k]) & (tube[k:] == tube[:-k])
                          & (resident[k:] >= 0))
        rows = np.flatnonzero(again).astype(np.int64)
    else:
        valid = np.flatnonzero((tube >= 0) & (resident >= 0))
        key = tube[valid] * (int(resident.max()) + 1) + resident[valid]
        encoded = pa.array(key).dictionary_encode()
        if len(encoded.dictionary) == len(valid):
            return
        codes = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.int64)
        opens = np.zeros(len(codes), dtype=bool)
        opens[first_rows(codes, len(encoded.dictionary))] = True
        rows = valid[~opens].astype(np.int64)
    if len(rows):
        batch.findings.append(Finding(
            "resident_twice_in_tube", "resident_id", rows,
            lambda r: f"resident {resident[r]} is already in tube "
                      f"{_text_at(batch.tube_code, r)!r}"))


def _unequal(a: NDArray[Any], b: NDArray[Any]) -> BoolArray:
    if a.dtype.kind == "f":
        return np.asarray(~((a == b) | (np.isnan(a) & np.isnan(b))), dtype=bool)
    return np.asarray(a != b, dtype=bool)


def _disagreement_message(batch: ParsedBatch, name: str) -> Callable[[int], str]:
    def message(row: int) -> str:
        first = rules.line_of(int(batch.first_row[batch.tube_of_row[row]]))
        return f"tube {_text_at(batch.tube_code, row)!r}: {name} differs from line {first}"

    return message


def _pool_message(batch: ParsedBatch, row_to_tube: dict[int, int],
                  describe: Callable[[int], str]) -> Callable[[int], str]:
    return lambda row: f"tube {_text_at(batch.tube_code, row)!r}: {describe(row_to_tube[row])}"


def _check_times(batch: ParsedBatch, now: datetime) -> None:
    f = batch.findings
    latest = np.datetime64(now.astimezone(UTC).replace(tzinfo=None) + rules.CLOCK_TOLERANCE,
                           "us")
    collected, result = batch.collected_at, batch.result_at
    both = ~np.isnat(collected) & ~np.isnat(result)
    future_c = ~np.isnat(collected) & (collected > latest)
    future_r = ~np.isnat(result) & (result > latest)
    before = both & ~future_c & ~future_r & (result < collected)
    limit = np.timedelta64(int(rules.MAX_TURNAROUND.total_seconds() * 1e6), "us")
    late = both & ~future_c & ~future_r & ~before & (result - collected > limit)
    if future_c.any():
        f.append(Finding("time_in_future", "collected_at", _rows(future_c),
                         lambda r: f"collected at {_text_at(batch.collected_raw, r)}, "
                                   "after now"))
    if future_r.any():
        f.append(Finding("time_in_future", "result_at", _rows(future_r),
                         lambda r: f"result at {_text_at(batch.result_raw, r)}, after now"))
    if before.any():
        f.append(Finding("result_before_collection", "result_at", _rows(before),
                         lambda r: f"result at {_text_at(batch.result_raw, r)} is earlier than "
                                   f"the collection at {_text_at(batch.collected_raw, r)}"))
    if late.any():
        f.append(Finding("turnaround_too_long", "result_at", _rows(late),
                         lambda r: "the result is "
                                   f"{int((result[r] - collected[r]) / np.timedelta64(1, 'D'))}"
                                   " days after the collection"))


def _check_positive_has_ct(batch: ParsedBatch) -> None:
    positive = batch.outcome == OUTCOME_CODES[rules.POSITIVE]
    if not positive.any():
        return
    any_ct = np.zeros(batch.rows, dtype=bool)
    for g in batch.genes:
        any_ct |= ~np.isnan(batch.ct[g])
    bad = positive & ~any_ct
    if bad.any():
        column = f"ct_{batch.genes[0]}" if batch.genes else "outcome"
        batch.findings.append(Finding(
            "positive_without_ct", column, _rows(bad),
            lambda _r: "a positive outcome needs the Ct value of at least one target gene"))


def duplicate_rows(values: pa.Array) -> tuple[IntArray, IntArray]:
    """Rows whose value appeared on an earlier row, and that earlier (first) row."""
    encoded = values.dictionary_encode()
    if len(encoded.dictionary) + values.null_count >= len(values):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    codes = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False),
                       dtype=np.int64)
    first = first_rows(codes, len(encoded.dictionary))
    opens = np.zeros(len(codes), dtype=bool)
    opens[first] = True
    again = np.flatnonzero(~opens & (codes >= 0)).astype(np.int64)
    return again, first[codes[again]]


def duplicate_samples(batch: ParsedBatch) -> Finding | None:
    """Sample ids that appear on more than one line, reported on every line after the first."""
    again, earlier = duplicate_rows(batch.sample_code)
    if not len(again):
        return None
    first_of = dict(zip(again.tolist(), earlier.tolist(), strict=True))
    return Finding("duplicate_sample", "sample_id", again,
                   lambda r: f"sample id {_text_at(batch.sample_code, r)!r} is also on line "
                             f"{rules.line_of(first_of[r])}")


def rows_with_values(values: pa.Array, wanted: Sequence[str]) -> IntArray:
    """Rows whose text is one of the wanted values."""
    if not wanted:
        return np.zeros(0, dtype=np.int64)
    mask = pc.fill_null(pc.is_in(values, value_set=pa.array(list(wanted), pa.string())), False)
    return _rows(mask.to_numpy(zero_copy_only=False))


def report(batch: ParsedBatch, extra: Sequence[Finding] = (), *,
           limit: int = rules.MAX_REPORTED) -> Report:
    """The batch's report: the first `limit` problems by line and counts of every kind."""
    findings = [*batch.findings, *extra]
    counts: dict[str, int] = {}
    for p in batch.file_problems:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    for finding in findings:
        counts[finding.kind] = counts.get(finding.kind, 0) + len(finding.rows)
    order = {name: i for i, name in enumerate(rules.COLUMNS)}
    candidates: list[tuple[int, int, int, int]] = []
    for i, finding in enumerate(findings):
        for r in finding.rows[:limit].tolist():
            candidates.append((r, order.get(finding.column, len(order)), i, r))
    candidates.sort()
    problems = list(batch.file_problems)
    for _row, _col, i, r in candidates[: max(0, limit - len(problems))]:
        finding = findings[i]
        problems.append(Problem(rules.line_of(r), finding.column, finding.kind,
                                finding.message(r)))
    return rules.report_of(problems, counts, limit=limit)


# ------------------------------------------------------------------ reading tubes


def read_outcomes(batch: ParsedBatch, positivity: Positivity) -> NDArray[np.int8]:
    """Each tube's outcome under the preset: invalid stays invalid, else the Ct rule."""
    first = batch.first_row
    reported = batch.outcome[first]
    if batch.genes:
        hits = [batch.ct[g][first] < positivity.threshold(g) for g in batch.genes]
        positive = (np.logical_and.reduce(hits) if positivity.require == "all"
                    else np.logical_or.reduce(hits))
    else:
        positive = np.zeros(len(first), dtype=bool)
    out = np.where(positive, OUTCOME_CODES[rules.POSITIVE], OUTCOME_CODES[rules.NEGATIVE])
    out = np.where(reported == OUTCOME_CODES[rules.INVALID], OUTCOME_CODES[rules.INVALID], out)
    return out.astype(np.int8)


def tube_collected_at(batch: ParsedBatch) -> TimeArray:
    """Each tube's collection time: its first swab."""
    times = batch.collected_at.view(np.int64)
    if batch.contiguous:
        return np.minimum.reduceat(times, batch.first_row).view("datetime64[us]")
    earliest = np.full(batch.tubes, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(earliest, batch.tube_of_row, times)
    return earliest.view("datetime64[us]")


def char_matrix(values: pa.Array) -> CharMatrix:
    """A text column as a byte matrix for bulk writing, without a loop over rows."""
    array = values.cast(pa.large_string()) if pa.types.is_string(values.type) else values
    array = _combined(array)
    n = len(array)
    buffers = array.buffers()
    offsets = np.frombuffer(buffers[1], dtype=np.int64)[array.offset: array.offset + n + 1]
    data = (np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None
            else np.zeros(0, dtype=np.uint8))
    lengths = np.diff(offsets)
    width = int(lengths.max()) if n else 0
    start = int(offsets[0]) if n else 0
    if n and (lengths == width).all():
        chars = data[start: start + n * width].reshape(n, width)
        return CharMatrix(chars)
    chars = np.zeros((n, width), dtype=np.uint8)
    if len(data):
        last = len(data) - 1
        for j in range(width):
            take = lengths > j
            chars[take, j] = data[np.minimum(offsets[:-1][take] + j, last)]
    return CharMatrix(chars, lengths)


def categorical(vocabulary: Sequence[str], codes: NDArray[np.integer[Any]]) -> Categorical:
    """A bulk text column from a vocabulary and codes."""
    return Categorical(tuple(vocabulary), codes)


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


# ------------------------------------------------------------------ retests


@dataclass
class OpenOrders:
    """Open retest orders from earlier batches, as columns."""

    ids: IntArray
    resident_id: IntArray
    tube_collected_at: TimeArray
    ordered_at: TimeArray
    pool_positive: BoolArray

    @classmethod
    def empty(cls) -> OpenOrders:
        """No open order."""
        none = np.zeros(0, dtype=np.int64)
        return cls(none, none, none.view("datetime64[us]"), none.view("datetime64[us]"),
                   np.zeros(0, dtype=bool))


@dataclass
class RetestPlan:
    """What a valid batch does to retests: new orders, resolutions, and its positives.

    Rows are 0-based batch rows; tubes are batch tube numbers.
    """

    # New orders: one per member of a positive pool or of an invalid tube.
    new_rows: IntArray
    new_reason: NDArray[np.int8]  # 0 pool_positive, 1 invalid
    # A new order already resolved by a later single tube in the same batch: its row, or -1.
    new_resolved_by: IntArray
    # Open orders of earlier batches resolved now: order id and the resolving row.
    resolved_ids: IntArray
    resolved_by: IntArray
    # Positive single-tube rows, and when each resident was isolated as a pool member.
    positive_rows: IntArray
    isolated_at: dict[int, np.datetime64]

    @property
    def resolved(self) -> int:
        """How many orders (old and new) this batch resolves."""
        return len(self.resolved_ids) + int((self.new_resolved_by >= 0).sum())


RETEST_REASONS = ("pool_positive", "invalid")


def plan_retests(batch: ParsedBatch, outcome_t: NDArray[np.int8], open_orders: OpenOrders
                 ) -> RetestPlan:
    """New retest orders, the orders this batch's single tubes resolve, and its positives."""
    first = batch.first_row
    kind_t = batch.kind[first]
    pooled = kind_t == KIND_CODES[rules.POOLED]
    reason_t = np.full(batch.tubes, -1, dtype=np.int8)
    reason_t[pooled & (outcome_t == OUTCOME_CODES[rules.POSITIVE])] = 0
    reason_t[outcome_t == OUTCOME_CODES[rules.INVALID]] = 1
    reason_row = reason_t[batch.tube_of_row]
    new_rows = np.flatnonzero(reason_row >= 0).astype(np.int64)
    new_reason = reason_row[new_rows]

    row_outcome = outcome_t[batch.tube_of_row]
    settles = ((kind_t[batch.tube_of_row] == KIND_CODES[rules.SINGLE])
               & (row_outcome != OUTCOME_CODES[rules.INVALID]))
    singles = np.flatnonzero(settles)
    positive_rows = singles[row_outcome[singles] == OUTCOME_CODES[rules.POSITIVE]]

    tube_collected = tube_collected_at(batch)
    result_t = batch.result_at[first]
    # Every order that may be resolved: earlier open ones, then this batch's new ones.
    order_resident = np.concatenate([open_orders.resident_id, batch.resident_id[new_rows]])
    order_collected = np.concatenate([
        open_orders.tube_collected_at, tube_collected[batch.tube_of_row[new_rows]]])
    order_at = np.concatenate([open_orders.ordered_at,
                               result_t[batch.tube_of_row[new_rows]]])
    order_pool = np.concatenate([open_orders.pool_positive, new_reason == 0])
    resolver = np.full(len(order_resident), -1, dtype=np.int64)
    candidates = singles[np.isin(batch.resident_id[singles], order_resident)]
    if len(candidates):
        candidates = candidates[np.argsort(batch.collected_at[candidates], kind="stable")]
        by_resident: dict[int, list[int]] = {}
        for r in candidates.tolist():
            by_resident.setdefault(int(batch.resident_id[r]), []).append(r)
        wanted = np.flatnonzero(np.isin(order_resident, batch.resident_id[candidates]))
        for o in wanted.tolist():
            for r in by_resident.get(int(order_resident[o]), ()):
                # The first single tube taken after the order's tube resolves it.
                if batch.collected_at[r] > order_collected[o]:
                    resolver[o] = r
                    break
    isolated: dict[int, np.datetime64] = {}
    for o in np.flatnonzero((resolver >= 0) & order_pool).tolist():
        row = int(resolver[o])
        if row_outcome[row] == OUTCOME_CODES[rules.POSITIVE]:
            at = order_at[o]
            isolated[row] = min(isolated.get(row, at), at)
    old = len(open_orders.ids)
    settled_old = np.flatnonzero(resolver[:old] >= 0)
    return RetestPlan(
        new_rows=new_rows, new_reason=new_reason, new_resolved_by=resolver[old:],
        resolved_ids=open_orders.ids[settled_old], resolved_by=resolver[:old][settled_old],
        positive_rows=positive_rows.astype(np.int64), isolated_at=isolated,
    )
