"""Pages of a list: how long a page may be, and how many rows lie beyond it. Pure.

A list says how many rows exist beyond what it shows. Counting every match of a broad
filter costs as much as reading them, so totals are counted up to `COUNT_CAP` rows
(`epidesk.db.count_at_most`) and a larger total reads "more than 10,000".
"""

from __future__ import annotations

from dataclasses import dataclass

MAX_LIST = 500  # the longest page any list returns
COUNT_CAP = 10_000  # totals are counted up to this many rows


@dataclass(frozen=True)
class PageCount:
    """Where a page lies in its list: rows skipped, rows shown, rows that exist."""

    offset: int
    shown: int
    total: int
    capped: bool = False  # the total is a lower bound: at least `total` rows exist
    max_offset: int | None = None  # the deepest a list may be paged (people search: 1,000)

    @property
    def more(self) -> bool:
        """Whether rows exist after this page."""
        return self.capped or self.offset + self.shown < self.total

    def note(self) -> str:
        """'showing 1-50 of 1,234; use --limit/--offset (next: --offset 50)', or '12 in all'."""
        of = f"more than {self.total:,}" if self.capped else f"{self.total:,}"
        if not self.more and self.offset == 0:
            return f"{of} in all"
        if self.shown == 0:
            return f"nothing from row {self.offset + 1:,} on: {of} in all; use a smaller --offset"
        first, last = self.offset + 1, self.offset + self.shown
        note = f"showing {first:,}-{last:,} of {of}"
        if self.more and self.max_offset is not None and last > self.max_offset:
            note += "; refine the query to find the others"
        elif self.more:
            note += f"; use --limit/--offset (next: --offset {last})"
        return note


def page_count(*, offset: int, shown: int, counted: int, cap: int = COUNT_CAP,
               max_offset: int | None = None) -> PageCount:
    """A page's count from a total counted up to `cap` rows (more than `cap` if it hit it)."""
    if counted > cap:
        return PageCount(offset=offset, shown=shown, total=cap, capped=True,
                         max_offset=max_offset)
    # Rows written between the page and its count still leave the page inside the total.
    total = max(counted, offset + shown) if shown else counted
    return PageCount(offset=offset, shown=shown, total=total, max_offset=max_offset)
