"""Reading a lab batch file, and checking it across its lines and tubes (numpy).

The value-level problems are found while reading (`testing.engine`); here the rules that
tie lines together: registered residents, tubes whose lines agree, pool sizes, possible
times, and sample ids used once. No session, no database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, tzinfo
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray

from epidesk.kit import clock
from epidesk.kit.imports import (
    Unreadable,
    csv_fault,
    is_parquet,
    nested_column,
    parquet_outline,
)
from epidesk.kit.reports import MAX_REPORTED, Finding, Report, line_of, report_of_findings
from epidesk.testing import rules
from epidesk.testing.engine import (
    KIND_CODES,
    MISSING,
    OUTCOME_CODES,
    BoolArray,
    IntArray,
    ParsedBatch,
    first_rows,
    rows_of,
    text_at,
)

# CSV blocks: at most 16 MiB each, at least 1 MiB, about four of them in a smaller file.
MAX_CSV_BLOCK = 16 * 2**20
MIN_CSV_BLOCK = 2**20
CSV_BLOCKS = 4


class UnreadableBatch(Unreadable):
    """The bytes are not a CSV or Parquet file this format can read."""


# ------------------------------------------------------------------ reading


def file_format_of(filename: str, head: bytes) -> str:
    """"parquet" when the file starts with Parquet's magic bytes, else "csv"."""
    if is_parquet(head) or filename.lower().endswith(".parquet"):
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
            try:
                nested = nested_column(parquet_outline(data), "lab batch")
            except Unreadable as exc:
                raise UnreadableBatch(str(exc)) from exc
            if nested is not None:
                raise UnreadableBatch(str(nested), nested.line, nested.column)
            return pq.read_table(pa.BufferReader(data))
        names = _csv_header(data)
        try:
            table = _read_csv(data, {n: _TYPED.get(n, _TEXT) for n in names})
        except pa.ArrowInvalid:
            return _read_csv(data, {n: _TEXT for n in names})
        return table.unify_dictionaries()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError, UnicodeDecodeError) as exc:
        fault = csv_fault(data) if file_format == "csv" else None
        if fault is not None:
            raise UnreadableBatch(str(fault), fault.line, fault.column) from exc
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnreadableBatch(message) from exc


def _read_csv(data: bytes | memoryview, types: dict[str, pa.DataType]) -> pa.Table:
    # Blocks are parsed in parallel: a small file is cut into a few of them too.
    block = min(MAX_CSV_BLOCK, max(MIN_CSV_BLOCK, len(data) // CSV_BLOCKS))
    return pacsv.read_csv(pa.BufferReader(data), **_csv_options(types, block))


def _csv_options(types: dict[str, pa.DataType], block: int, threads: bool = True
                 ) -> dict[str, Any]:
    return {
        "read_options": pacsv.ReadOptions(use_threads=threads, block_size=block),
        "parse_options": pacsv.ParseOptions(newlines_in_values=False),
        "convert_options": pacsv.ConvertOptions(
            column_types=types, strings_can_be_null=True, quoted_strings_can_be_null=True,
            null_values=[""],
        ),
    }


def csv_blocks(data: bytes | memoryview, block: int, first: int = 0
               ) -> Iterator[pa.RecordBatch]:
    """A CSV batch's lines, a block of about `block` bytes at a time (the lines within the
    first `first` bytes on their own before them, when given), its columns typed as
    `read_table` types them; pyarrow's errors (a value the types refuse, a file that is no
    CSV) are raised when met: `read_table` then reads the whole file and says what is
    wrong."""
    names = _csv_header(data)
    options = _csv_options({n: _TYPED.get(n, _TEXT) for n in names}, block, threads=False)
    # A line ends at its newline, as values hold none: the file may be cut after one.
    head = bytes(data[:first]) if 0 < first < len(data) else b""
    cut = head.rfind(b"\n") + 1
    if cut <= head.find(b"\n") + 1:
        yield from pacsv.open_csv(pa.BufferReader(data), **options)
        return
    whole = pa.py_buffer(data)
    yield from pacsv.open_csv(pa.BufferReader(whole.slice(0, cut)), **options)
    rest = pacsv.ReadOptions(use_threads=False, block_size=block, column_names=names)
    yield from pacsv.open_csv(pa.BufferReader(whole.slice(cut)),
                              **{**options, "read_options": rest})


def _csv_header(data: bytes | memoryview) -> list[str]:
    head = bytes(data[: 64 * 1024])
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    text = first.decode("utf-8-sig")
    return [name.strip().strip('"') for name in text.split(",")]


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
             now: datetime, zone: tzinfo) -> None:
    """Add every cross-field problem of the batch to its findings (days in the city's zone)."""
    f = batch.findings
    unknown = (batch.resident_id != MISSING) & ~known(batch.resident_id, residents)
    if unknown.any():
        f.append(Finding("unknown_resident", "resident_id", rows_of(unknown),
                         lambda r: f"no registered resident has the id {batch.resident_id[r]}"))
    _check_tubes(batch, pool_sizes)
    _check_times(batch, now)
    _check_positive_has_ct(batch)
    _check_onsets(batch, now, zone)


def sampling_days(batch: ParsedBatch, zone: tzinfo) -> NDArray[np.datetime64]:
    """The city's day on which each line's swab was taken (NaT where unknown)."""
    collected = batch.collected_at
    known_time = ~np.isnat(collected)
    seconds = np.where(known_time, collected.astype("datetime64[s]").astype(np.int64), 0)
    days = clock.local_days(seconds, zone)
    return np.where(known_time, days, np.datetime64("NaT", "D"))


def _check_onsets(batch: ParsedBatch, now: datetime, zone: tzinfo) -> None:
    onset = batch.onset_date
    if not onset.size or np.isnat(onset).all():
        return
    f = batch.findings
    known_onset = ~np.isnat(onset)
    today = np.datetime64(clock.city_today(now, zone), "D")
    early = known_onset & (onset < np.datetime64(rules.EARLIEST_DAY, "D"))
    future = known_onset & ~early & (onset > today)
    sampled = sampling_days(batch, zone)
    after = known_onset & ~early & ~future & ~np.isnat(sampled) & (onset > sampled)
    if early.any():
        f.append(Finding("time_too_early", "onset_date", rows_of(early),
                         lambda r: f"symptom onset {onset[r]} is before "
                                   f"{rules.EARLIEST_DAY}"))
    if future.any():
        f.append(Finding("onset_in_future", "onset_date", rows_of(future),
                         lambda r: f"symptom onset {onset[r]} is after the city's today, "
                                   f"{today}"))
    if after.any():
        f.append(Finding("onset_after_sampling", "onset_date", rows_of(after),
                         lambda r: f"symptom onset {onset[r]} is after the sample was taken "
                                   f"on {sampled[r]} ({clock.zone_label(zone)})"))


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
            f.append(Finding("tube_disagreement", name, rows_of(differs),
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
                      f"{text_at(batch.tube_code, r)!r}"))


def _unequal(a: NDArray[Any], b: NDArray[Any]) -> BoolArray:
    if a.dtype.kind == "f":
        return np.asarray(~((a == b) | (np.isnan(a) & np.isnan(b))), dtype=bool)
    return np.asarray(a != b, dtype=bool)


def _disagreement_message(batch: ParsedBatch, name: str) -> Callable[[int], str]:
    def message(row: int) -> str:
        first = line_of(int(batch.first_row[batch.tube_of_row[row]]))
        return f"tube {text_at(batch.tube_code, row)!r}: {name} differs from line {first}"

    return message


def _pool_message(batch: ParsedBatch, row_to_tube: dict[int, int],
                  describe: Callable[[int], str]) -> Callable[[int], str]:
    return lambda row: f"tube {text_at(batch.tube_code, row)!r}: {describe(row_to_tube[row])}"


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
    earliest = np.datetime64(rules.EARLIEST_DAY, "us")
    early_c = ~np.isnat(collected) & (collected < earliest)
    if early_c.any():
        f.append(Finding("time_too_early", "collected_at", rows_of(early_c),
                         lambda r: f"collected at {text_at(batch.collected_raw, r)}, before "
                                   f"{rules.EARLIEST_DAY}: not a possible sampling time"))
    if future_c.any():
        f.append(Finding("time_in_future", "collected_at", rows_of(future_c),
                         lambda r: f"collected at {text_at(batch.collected_raw, r)}, "
                                   "after now"))
    if future_r.any():
        f.append(Finding("time_in_future", "result_at", rows_of(future_r),
                         lambda r: f"result at {text_at(batch.result_raw, r)}, after now"))
    if before.any():
        f.append(Finding("result_before_collection", "result_at", rows_of(before),
                         lambda r: f"result at {text_at(batch.result_raw, r)} is earlier than "
                                   f"the collection at {text_at(batch.collected_raw, r)}"))
    if late.any():
        f.append(Finding("turnaround_too_long", "result_at", rows_of(late),
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
            "positive_without_ct", column, rows_of(bad),
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
                   lambda r: f"sample id {text_at(batch.sample_code, r)!r} is also on line "
                             f"{line_of(first_of[r])}")


def rows_with_values(values: pa.Array, wanted: Sequence[str]) -> IntArray:
    """Rows whose text is one of the wanted values."""
    if not wanted:
        return np.zeros(0, dtype=np.int64)
    mask = pc.fill_null(pc.is_in(values, value_set=pa.array(list(wanted), pa.string())), False)
    return rows_of(mask.to_numpy(zero_copy_only=False))


def report(batch: ParsedBatch, extra: Sequence[Finding] = (), *,
           limit: int = MAX_REPORTED) -> Report:
    """The batch's report: the first `limit` problems by line and counts of every kind."""
    return report_of_findings(batch.file_problems, [*batch.findings, *extra],
                              file_format=rules.BATCH_FORMAT, limit=limit)
