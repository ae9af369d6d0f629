"""Visit logs on plain arrays: reading, parsing and checking a file whole, writing one,
and synthetic visits. No session, no I/O."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from numpy.typing import NDArray

from epidesk.kit import clock
from epidesk.kit.imports import Unreadable, csv_fault
from epidesk.kit.reports import (
    FILE_LINE,
    HEADER_LINE,
    MAX_REPORTED,
    Finding,
    Problem,
    Report,
    line_of,
    report_of_findings,
)
from epidesk.tracing.rules import seconds_of
from epidesk.tracing.visits.rules import (
    CLOCK_TOLERANCE,
    EARLIEST_VISIT,
    MAX_VISIT,
    VISIT_COLUMNS,
    VISIT_FORMAT,
)

IntArray: TypeAlias = NDArray[np.int64]
BoolArray: TypeAlias = NDArray[np.bool_]


class UnreadableVisitLog(Unreadable):
    """The bytes are not a CSV file this format can read."""


MISSING = np.iinfo(np.int64).min
_INTEGER = r"^\s*[+-]?\d{1,18}\s*$"
_TIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(Z|z|[+-]\d{2}(:?\d{2})?)$"


@dataclass
class ParsedVisits:
    """A visit log's values as numpy columns; bad or missing values are MISSING."""

    rows: int
    resident_id: IntArray
    venue_id: IntArray
    started_at: IntArray
    ended_at: IntArray
    raw: dict[str, pa.Array]
    findings: list[Finding] = field(default_factory=list)
    file_problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong with the log."""
        return not self.findings and not self.file_problems


def read_visit_log(data: bytes) -> pa.Table:
    """A visit log's columns as text."""
    try:
        head = bytes(data[: 64 * 1024]).split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8-sig")
        names = [n.strip().strip('"') for n in head.split(",")]
        return pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(use_threads=True, block_size=16 * 2**20),
            parse_options=pacsv.ParseOptions(newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names}, strings_can_be_null=True,
                quoted_strings_can_be_null=True, null_values=[""]),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError, UnicodeDecodeError) as exc:
        fault = csv_fault(data)
        if fault is not None:
            raise UnreadableVisitLog(str(fault), fault.line, fault.column) from exc
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UnreadableVisitLog(message) from exc


def _text_at(array: pa.Array, row: int) -> str:
    value = array[row].as_py()
    text = "" if value is None else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _mask(array: pa.Array | pa.ChunkedArray) -> BoolArray:
    return np.asarray(array.to_numpy(zero_copy_only=False), dtype=bool)


def _combined(column: pa.ChunkedArray) -> pa.Array:
    return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)


def parse_visits(table: pa.Table) -> ParsedVisits:
    """A visit log's columns as numpy arrays, with every value-level problem found."""
    rows = table.num_rows
    names = list(table.column_names)
    problems: list[Problem] = []
    findings: list[Finding] = []
    seen: set[str] = set()
    for name in names:
        if name not in VISIT_COLUMNS:
            problems.append(Problem(HEADER_LINE, name, "unknown_column",
                                    f"unknown column {name!r}; columns: "
                                    f"{', '.join(VISIT_COLUMNS)}"))
        elif name in seen:
            problems.append(Problem(HEADER_LINE, name, "unknown_column",
                                    f"the column {name!r} appears twice"))
        seen.add(name)
    for name in VISIT_COLUMNS:
        if name not in names:
            problems.append(Problem(HEADER_LINE, name, "missing_column",
                                    f"the required column {name!r} is missing"))
    if rows == 0:
        problems.append(Problem(FILE_LINE, "", "empty_file", "the file holds no visit"))
    raw: dict[str, pa.Array] = {}
    values: dict[str, IntArray] = {}
    for name in VISIT_COLUMNS:
        array = (_combined(table.column(names.index(name))) if name in names
                 else pa.nulls(rows, pa.string()))
        array = array.cast(pa.string()) if not pa.types.is_string(array.type) else array
        raw[name] = array
        null = _mask(array.is_null())
        if name in names and null.any():
            findings.append(Finding("missing_value", name, np.flatnonzero(null),
                                    _fixed(f"{name} is empty")))
        if name.endswith("_id"):
            values[name] = _integers(findings, name, array, null)
        else:
            values[name] = _seconds(findings, name, array, null)
    return ParsedVisits(rows=rows, resident_id=values["resident_id"],
                        venue_id=values["venue_id"], started_at=values["started_at"],
                        ended_at=values["ended_at"], raw=raw, findings=findings,
                        file_problems=problems)


def _integers(findings: list[Finding], name: str, text: pa.Array, null: BoolArray) -> IntArray:
    ok = _mask(pc.fill_null(pc.match_substring_regex(text, _INTEGER), False))
    cleaned = pc.if_else(pa.array(ok), pc.utf8_trim_whitespace(text),
                         pa.nulls(len(text), pa.string()))
    out = np.asarray(pc.cast(cleaned, pa.int64()).fill_null(MISSING)
                     .to_numpy(zero_copy_only=False), dtype=np.int64)
    bad = ~ok & ~null
    if bad.any():
        findings.append(Finding("bad_integer", name, np.flatnonzero(bad),
                                lambda r: f"{_text_at(text, r)!r} is not a whole number"))
    return out


def _seconds(findings: list[Finding], name: str, text: pa.Array, null: BoolArray) -> IntArray:
    ok = _mask(pc.fill_null(pc.match_substring_regex(text, _TIME), False))
    cleaned = pc.if_else(pa.array(ok), text, pa.nulls(len(text), pa.string()))
    utc = pa.timestamp("s", tz="UTC")
    try:
        parsed = pc.cast(cleaned, utc)
        out = np.asarray(parsed.cast(pa.int64()).fill_null(MISSING)
                         .to_numpy(zero_copy_only=False), dtype=np.int64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        out = np.full(len(text), MISSING, dtype=np.int64)
        for r in np.flatnonzero(ok).tolist():
            try:
                moment = datetime.fromisoformat(str(text[r].as_py()).replace("z", "Z"))
            except ValueError:
                ok[r] = False
                continue
            out[r] = seconds_of(moment)
    bad = ~ok & ~null
    if bad.any():
        findings.append(Finding(
            "bad_time", name, np.flatnonzero(bad),
            lambda r: f"{_text_at(text, r)!r} is not an ISO 8601 time with a UTC offset, "
                      "to the second (e.g. 2026-11-20T08:15:00+08:00)"))
    return out


def _fixed(text: str) -> Callable[[int], str]:
    return lambda _row: text


def _unknown_id(values: IntArray, what: str) -> Callable[[int], str]:
    return lambda row: f"no registered {what} has the id {values[row]}"


def _quoted(raw: pa.Array, suffix: str) -> Callable[[int], str]:
    return lambda row: f"{_text_at(raw, row)}{suffix}"


def known(values: IntArray, bitmap: BoolArray) -> BoolArray:
    """Which values are set in a bitmap of ids (negative or too large ones are not)."""
    inside = (values >= 0) & (values < len(bitmap))
    out = np.zeros(len(values), dtype=bool)
    out[inside] = bitmap[values[inside]]
    return out


def bitmap(ids: NDArray[Any]) -> BoolArray:
    """A boolean array, True at every given id."""
    ids = np.asarray(ids, dtype=np.int64)
    out = np.zeros(int(ids.max()) + 1 if len(ids) else 0, dtype=bool)
    out[ids] = True
    return out


def validate_visits(parsed: ParsedVisits, *, residents: BoolArray, venues: BoolArray,
                    now: int) -> None:
    """Add every cross-field problem of the log to its findings."""
    f = parsed.findings
    for name, values, ids, kind, what in (
            ("resident_id", parsed.resident_id, residents, "unknown_resident", "resident"),
            ("venue_id", parsed.venue_id, venues, "unknown_venue", "venue")):
        unknown = (values != MISSING) & ~known(values, ids)
        if unknown.any():
            f.append(Finding(kind, name, np.flatnonzero(unknown),
                             _unknown_id(values, what)))
    start, end = parsed.started_at, parsed.ended_at
    latest = now + int(CLOCK_TOLERANCE.total_seconds())
    earliest = seconds_of(EARLIEST_VISIT)
    for name, values in (("started_at", start), ("ended_at", end)):
        present = values != MISSING
        future = present & (values > latest)
        early = present & (values < earliest)
        if future.any():
            f.append(Finding("time_in_future", name, np.flatnonzero(future),
                             _quoted(parsed.raw[name], " is after now")))
        if early.any():
            f.append(Finding("time_too_early", name, np.flatnonzero(early),
                             _quoted(parsed.raw[name], " is before 2000")))
    both = (start != MISSING) & (end != MISSING)
    backwards = both & (end <= start)
    too_long = both & ~backwards & (end - start > int(MAX_VISIT.total_seconds()))
    if backwards.any():
        f.append(Finding("end_not_after_start", "ended_at", np.flatnonzero(backwards),
                         lambda r: f"departure {_text_at(parsed.raw['ended_at'], r)} is not "
                                   f"after arrival {_text_at(parsed.raw['started_at'], r)}"))
    if too_long.any():
        f.append(Finding("visit_too_long", "ended_at", np.flatnonzero(too_long),
                         lambda r: f"the visit lasts {(end[r] - start[r]) / 3600:.1f} hours "
                                   "(at most 24)"))
    duplicates = duplicate_visits(parsed)
    if duplicates is not None:
        f.append(duplicates)


def visit_keys(parsed: ParsedVisits) -> IntArray:
    """Row order that groups identical (resident, venue, arrival) visits together."""
    return np.lexsort((parsed.started_at, parsed.venue_id, parsed.resident_id))


def duplicate_visits(parsed: ParsedVisits) -> Finding | None:
    """Visits (resident, venue, arrival) that appear on more than one line."""
    valid = ((parsed.resident_id != MISSING) & (parsed.venue_id != MISSING)
             & (parsed.started_at != MISSING))
    rows = np.flatnonzero(valid)
    if len(rows) < 2:
        return None
    order = rows[np.lexsort((rows, parsed.started_at[rows], parsed.venue_id[rows],
                             parsed.resident_id[rows]))]
    same = ((parsed.resident_id[order][1:] == parsed.resident_id[order][:-1])
            & (parsed.venue_id[order][1:] == parsed.venue_id[order][:-1])
            & (parsed.started_at[order][1:] == parsed.started_at[order][:-1]))
    if not same.any():
        return None
    # Every repeat points at the first line of its run of equal visits.
    run_start = np.concatenate([[True], ~same])
    first_of = order[np.maximum.accumulate(np.where(run_start, np.arange(len(order)), 0))]
    again = np.concatenate([[False], same])
    repeats = order[again]
    earlier = dict(zip(repeats.tolist(), first_of[again].tolist(), strict=True))
    return Finding("duplicate_visit", "started_at", np.sort(repeats),
                   lambda r: f"the same visit is on line {line_of(earlier[r])}")


def visit_report(parsed: ParsedVisits | None, extra: Sequence[Finding] = (),
                 file_problems: Sequence[Problem] = (), *,
                 limit: int = MAX_REPORTED) -> Report:
    """The log's report: the first problems by line and the counts of every kind."""
    findings = [*(parsed.findings if parsed else []), *extra]
    problems = [*(parsed.file_problems if parsed else []), *file_problems]
    return report_of_findings(problems, findings, file_format=VISIT_FORMAT, limit=limit)


def rows_of_visits(parsed: ParsedVisits, resident: IntArray, venue: IntArray,
                   start: IntArray) -> IntArray:
    """Rows of the log holding any of the given (resident, venue, arrival) visits."""
    if not len(resident):
        return np.zeros(0, dtype=np.int64)
    wanted = set(zip(resident.tolist(), venue.tolist(), start.tolist(), strict=True))
    mine = zip(parsed.resident_id.tolist(), parsed.venue_id.tolist(),
               parsed.started_at.tolist(), strict=True)
    return np.asarray([r for r, key in enumerate(mine) if key in wanted], dtype=np.int64)


def write_visit_log(columns: Mapping[str, Sequence[Any] | NDArray[Any]]) -> bytes:
    """A visit log CSV from columns (integer ids; times as ISO strings or epoch seconds)."""
    out: dict[str, pa.Array] = {}
    for name, values in columns.items():
        if name.endswith("_at") and isinstance(values, np.ndarray) and values.dtype.kind == "i":
            out[name] = pa.array(iso_times(values))
        else:
            out[name] = pa.array(list(values) if not isinstance(values, np.ndarray) else values)
    buffer = pa.BufferOutputStream()
    pacsv.write_csv(pa.table(out), buffer, write_options=pacsv.WriteOptions(
        include_header=True, quoting_style="none"))
    return bytes(buffer.getvalue())


def iso_times(seconds: NDArray[Any], zone: tzinfo | None = None) -> NDArray[np.str_]:
    """Seconds since the epoch as ISO 8601 times in the city's zone, with their offset."""
    values = np.asarray(seconds, dtype=np.int64)
    offsets = clock.utc_offsets(values, zone)
    text = np.datetime_as_string((values + offsets).astype("datetime64[s]"), unit="s")
    distinct, which = np.unique(offsets, return_inverse=True)
    suffix = np.asarray([_offset_text(int(o)) for o in distinct.tolist()], dtype=str)
    return np.char.add(text.astype(str), suffix[which.reshape(-1)] if len(values)
                       else np.zeros(0, dtype=str))


def _offset_text(offset: int) -> str:
    sign = "-" if offset < 0 else "+"
    minutes = abs(offset) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


# ------------------------------------------------------------------ synthetic visits

# Typical minutes a visit lasts, by venue kind (assumption, for synthetic data only).
VISIT_MINUTES: dict[str, float] = {
    "restaurant": 50, "convenience_store": 8, "supermarket": 30, "market": 35,
    "pharmacy": 10, "clinic": 60, "barbershop": 40, "gym": 75, "mahjong_parlour": 150,
    "internet_cafe": 120, "karaoke": 120, "bathhouse": 90, "cinema": 130, "bank": 20,
    "hotel": 600, "church_or_temple": 45, "park": 50, "square": 45, "bus_station": 25,
    "hospital": 120,
}
DEFAULT_VISIT_MINUTES = 30.0
# Assumption: a resident visits a recorded venue about once in ten days, mostly in their
# own community; visits start between 07:00 and 21:00 local time.
VISITS_PER_DAY = 0.1
OWN_COMMUNITY_SHARE = 0.7
OPENING_MINUTE = 7 * 60
CLOSING_MINUTE = 21 * 60


@dataclass(frozen=True)
class VenueTable:
    """The venues synthetic visits go to."""

    venue_id: IntArray
    community_id: IntArray
    kind: Sequence[str]


def synthetic_visits(resident_id: IntArray, community_id: IntArray, venues: VenueTable, *,
                     first_day: int, days: int, seed: int, chunk: int = 1_000_000
                     ) -> Iterator[tuple[IntArray, IntArray, IntArray, IntArray]]:
    """Visits of the residents over `days` days from the local midnight `first_day`.

    Yields (resident, venue, start, end) per chunk of residents; the same seed, residents
    and venues always give the same visits.
    """
    if not len(venues.venue_id) or days <= 0:
        return
    v_order = np.argsort(venues.community_id, kind="stable")
    v_id = np.asarray(venues.venue_id, dtype=np.int64)[v_order]
    v_comm = np.asarray(venues.community_id, dtype=np.int64)[v_order]
    kinds = sorted(set(venues.kind))
    minutes_of_kind = np.array([VISIT_MINUTES.get(k, DEFAULT_VISIT_MINUTES) for k in kinds])
    kind_code = {k: i for i, k in enumerate(kinds)}
    v_minutes = minutes_of_kind[np.array([kind_code[venues.kind[i]] for i in v_order],
                                         dtype=np.int64)]
    communities = int(max(v_comm.max(), int(np.max(community_id)) if len(community_id)
                          else 0)) + 1
    c_ptr = np.zeros(communities + 1, dtype=np.int64)
    np.cumsum(np.bincount(v_comm, minlength=communities), out=c_ptr[1:])
    streams = np.random.SeedSequence(seed).spawn(max(1, -(-len(resident_id) // chunk)))
    for n, begin in enumerate(range(0, len(resident_id), chunk)):
        rng = np.random.default_rng(streams[n])
        people = np.asarray(resident_id[begin: begin + chunk], dtype=np.int64)
        home = np.asarray(community_id[begin: begin + chunk], dtype=np.int64)
        count = rng.poisson(VISITS_PER_DAY * days, len(people))
        who = np.repeat(np.arange(len(people)), count)
        total = len(who)
        local = home[who]
        available = c_ptr[local + 1] - c_ptr[local]
        near = (rng.random(total) < OWN_COMMUNITY_SHARE) & (available > 0)
        pick = np.where(near, c_ptr[local] + (rng.random(total) * np.maximum(available, 1))
                        .astype(np.int64), rng.integers(0, len(v_id), total))
        day = rng.integers(0, days, total)
        minute = rng.integers(OPENING_MINUTE, CLOSING_MINUTE, total)
        typical = v_minutes[pick]
        length = np.clip(np.round(rng.lognormal(np.log(typical), 0.4)), 5,
                         24 * 60).astype(np.int64)
        start = first_day + day * 86_400 + minute * 60
        end = start + length * 60
        resident = people[who]
        venue = v_id[pick]
        # A resident never arrives twice at the same venue in the same second.
        order = np.lexsort((start, venue, resident))
        resident, venue, start, end = resident[order], venue[order], start[order], end[order]
        keep = np.ones(total, dtype=bool)
        keep[1:] = ((resident[1:] != resident[:-1]) | (venue[1:] != venue[:-1])
                    | (start[1:] != start[:-1]))
        yield resident[keep], venue[keep], start[keep], end[keep]


def synthetic_exposures(resident_id: IntArray, *, count: int, first_day: int, days: int,
                        settings: Sequence[str], seed: int
                        ) -> tuple[IntArray, IntArray, IntArray, IntArray, NDArray[np.bool_]]:
    """Random recorded exposures: (a, b, at, setting code, protected), a != b."""
    rng = np.random.default_rng(seed)
    ids = np.asarray(resident_id, dtype=np.int64)
    a = ids[rng.integers(0, len(ids), count)]
    b = ids[rng.integers(0, len(ids), count)]
    keep = a != b
    at = first_day + rng.integers(0, days * 86_400, count)
    setting = rng.integers(0, len(settings), count)
    protected = rng.random(count) < 0.1
    return a[keep], b[keep], at[keep], setting[keep], protected[keep]
