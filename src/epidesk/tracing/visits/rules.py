"""The visit log format: its columns, limits and problem kinds, and its report. Pure."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

from epidesk.kit.reports import MAX_REPORTED, FileFormat, Problem, Report, report_of

VISIT_LOG_FORMAT = """A visit log is a CSV file (UTF-8, comma-separated, header on line 1), one
line per visit of a resident to a venue. Columns, by header name (order does not matter):

- `resident_id` (required): the registered resident (integer id);
- `venue_id` (required): the venue (integer id of a registered venue);
- `started_at` (required): arrival, ISO 8601 with a UTC offset to the second, e.g.
  `2026-11-20T08:15:00+08:00` (`Z` for UTC);
- `ended_at` (required): departure, the same form, after the arrival and at most 24
  hours later.

Any other column is refused. A visit is identified by its resident, venue and arrival:
the same visit in two files is refused the second time. Problems are reported by line
(the header is line 1, the first visit line 2).
"""

VISIT_COLUMNS = ("resident_id", "venue_id", "started_at", "ended_at")
MAX_VISIT = dt.timedelta(hours=24)
CLOCK_TOLERANCE = dt.timedelta(minutes=5)
# Visit times are kept in 32-bit seconds from this moment in the engine.
EARLIEST_VISIT = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
VISIT_PROBLEM_KINDS: dict[str, str] = {
    "unreadable_file": "the file is not a readable CSV file",
    "empty_file": "the file holds no visit",
    "missing_column": "a required column is missing",
    "unknown_column": "a column the format does not know",
    "missing_value": "a required value is empty",
    "bad_integer": "not a whole number",
    "bad_time": "not an ISO 8601 time with a UTC offset, to the second",
    "unknown_resident": "no registered resident has this id",
    "unknown_venue": "no registered venue has this id",
    "end_not_after_start": "the departure is not after the arrival",
    "visit_too_long": "the visit lasts more than 24 hours",
    "time_in_future": "a time after now",
    "time_too_early": "a time before 2000",
    "duplicate_visit": "the same visit appears on more than one line",
    "visit_exists": "the visit was already imported from another file",
}

VISIT_FORMAT = FileFormat(columns=VISIT_COLUMNS, kinds=VISIT_PROBLEM_KINDS)


def visit_report(problems: Sequence[Problem], counts: Mapping[str, int] | None = None,
                 *, limit: int = MAX_REPORTED) -> Report:
    """A report listing the first problems by line and column, with counts per kind."""
    return report_of(problems, counts, file_format=VISIT_FORMAT, limit=limit)
