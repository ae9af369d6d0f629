"""Reports on imported files: what is wrong, on which line and column. Pure, no I/O.

Every import (lab batches, visit logs, facility lists, receipts, dose records) reports
its problems the same way: the first problems by line and column in the format's
column order, and how many of each kind the whole file has.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

HEADER_LINE = 1
FILE_LINE = 0  # a problem with the whole file, not with one line
MAX_REPORTED = 100


def line_of(row: int) -> int:
    """The file line of a data row (0-based): the header is line 1."""
    return row + 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (line, column) and what."""

    line: int
    column: str
    kind: str
    problem: str

    def as_dict(self) -> dict[str, object]:
        """The problem as a JSON object."""
        return {"line": self.line, "column": self.column, "kind": self.kind,
                "problem": self.problem}


@dataclass(frozen=True)
class Report:
    """A file's problems: the first ones by line, and how many of each kind in all."""

    problems: tuple[Problem, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """How many problems the whole file has."""
        return sum(self.counts.values())

    @property
    def ok(self) -> bool:
        """True when the file has no problem."""
        return self.total == 0

    @property
    def truncated(self) -> bool:
        """True when more problems exist than are listed."""
        return self.total > len(self.problems)

    def summary(self) -> str:
        """One line: how many problems of which kinds."""
        parts = [f"{n:,} {kind.replace('_', ' ')}" for kind, n in self.counts.items()]
        return f"{self.total:,} problems: " + ", ".join(parts)


@dataclass
class Finding:
    """One kind of problem found in one column, on the given rows (0-based)."""

    kind: str
    column: str
    rows: NDArray[np.int64]
    message: Callable[[int], str]


@dataclass(frozen=True)
class FileFormat:
    """What a report needs of a file format: its columns and its problem kinds, in order."""

    columns: Sequence[str]
    kinds: Mapping[str, str]


def report_of(problems: Sequence[Problem], counts: Mapping[str, int] | None = None,
              *, file_format: FileFormat, limit: int = MAX_REPORTED) -> Report:
    """A report listing the first `limit` problems by line and column (in the file
    format's column order), with counts per kind (in the order of the format's kinds)."""
    order = {name: i for i, name in enumerate(file_format.columns)}
    ordered = sorted(problems, key=lambda p: (p.line, order.get(p.column, len(order)),
                                              p.kind))
    if counts is None:
        tally: dict[str, int] = {}
        for p in problems:
            tally[p.kind] = tally.get(p.kind, 0) + 1
        counts = tally
    ranked = {k: counts[k] for k in file_format.kinds if counts.get(k)}
    ranked.update({k: n for k, n in counts.items() if k not in ranked and n})
    return Report(problems=tuple(ordered[:limit]), counts=ranked)


def report_of_findings(file_problems: Sequence[Problem], findings: Sequence[Finding], *,
                       file_format: FileFormat, limit: int = MAX_REPORTED) -> Report:
    """A report from problems with the whole file and findings on rows: every finding
    counts in full, the first `limit` problems by line are listed."""
    counts: dict[str, int] = {}
    for p in file_problems:
        counts[p.kind] = counts.get(p.kind, 0) + 1
    for finding in findings:
        counts[finding.kind] = counts.get(finding.kind, 0) + len(finding.rows)
    order = {name: i for i, name in enumerate(file_format.columns)}
    candidates: list[tuple[int, int, int, int]] = []
    for i, finding in enumerate(findings):
        for r in np.sort(finding.rows)[:limit].tolist():
            candidates.append((r, order.get(finding.column, len(order)), i, r))
    candidates.sort()
    listed = list(file_problems)
    for _row, _col, i, r in candidates[: max(0, limit - len(listed))]:
        finding = findings[i]
        listed.append(Problem(line_of(r), finding.column, finding.kind, finding.message(r)))
    return report_of(listed, counts, file_format=file_format, limit=limit)
