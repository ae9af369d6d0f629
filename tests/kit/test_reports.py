"""Reports on imported files: problems listed by line and column, counted by kind."""

from __future__ import annotations

import numpy as np

from epidesk.kit.reports import (
    FILE_LINE,
    FileFormat,
    Finding,
    Problem,
    line_of,
    report_of,
    report_of_findings,
)

FORMAT = FileFormat(columns=("id", "name", "when"),
                    kinds={"empty_file": "no rows", "missing_value": "empty",
                           "bad_time": "not a time"})


def test_problems_are_listed_by_line_then_column_order_and_counted_in_kind_order() -> None:
    problems = [Problem(4, "when", "bad_time", "x"), Problem(3, "when", "missing_value", "y"),
                Problem(3, "id", "missing_value", "z")]
    report = report_of(problems, file_format=FORMAT)
    assert [(p.line, p.column) for p in report.problems] == [(3, "id"), (3, "when"), (4, "when")]
    assert list(report.counts) == ["missing_value", "bad_time"]
    assert report.total == 3 and not report.ok and not report.truncated
    assert report.summary() == "3 problems: 2 missing value, 1 bad time"


def test_findings_count_every_row_but_list_only_the_first() -> None:
    rows = np.arange(500, dtype=np.int64)[::-1].copy()
    finding = Finding("missing_value", "name", rows, lambda r: f"row {r} has no name")
    whole = Problem(FILE_LINE, "", "empty_file", "nothing")
    report = report_of_findings([whole], [finding], file_format=FORMAT, limit=10)
    assert report.counts == {"empty_file": 1, "missing_value": 500}
    assert len(report.problems) == 10 and report.truncated
    assert report.problems[0] == whole
    assert report.problems[1] == Problem(line_of(0), "name", "missing_value", "row 0 has no name")
    assert [p.line for p in report.problems[1:]] == [line_of(r) for r in range(9)]


def test_an_empty_report_is_ok() -> None:
    report = report_of_findings([], [], file_format=FORMAT)
    assert report.ok and report.total == 0 and report.problems == ()
