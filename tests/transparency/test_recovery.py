"""Everything published for a day, attacked: no withheld cell can be worked out from the
open-data files and the pages together, and the pages show exactly the files' cells."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from sqlalchemy.orm import Session

from epidesk.transparency import service
from epidesk.transparency.deps import page_cache
from tests.factories import TinyCity, tiny_city
from tests.transparency.attack import recover
from tests.transparency.published import published_for
from tests.transparency.scene import DAY, add_cases

TOTALS = {"cases_by_district_daily": "cases_city_daily",
          "cases_by_district_weekly": "cases_city_weekly"}
# (days before DAY, cases in the first district, in the second)
OUTBREAK = [(13, 1, 0), (12, 7, 9), (11, 3, 12), (10, 0, 6), (9, 11, 12), (8, 5, 5),
            (7, 0, 0), (6, 14, 1), (5, 8, 8), (4, 6, 12), (3, 20, 21), (2, 9, 14),
            (1, 4, 15), (0, 2, 30)]


class Cells(HTMLParser):
    """The text of every table cell of a page, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture
def outbreak(db: Session) -> TinyCity:
    page_cache.clear()
    city = tiny_city(db)
    for back, first, second in OUTBREAK:
        for district, n in ((0, first), (1, second)):
            if n:
                add_cases(db, city, district=district, reported=DAY - timedelta(days=back),
                          n=n)
    service.publish(db, day=DAY, actor="test", now=datetime(2026, 11, 21, 12, tzinfo=UTC))
    return city


def test_no_withheld_cell_is_recovered_from_everything_published(db: Session,
                                                                 outbreak: TinyCity) -> None:
    everything = published_for(db, DAY)
    local = everything.tables["cases_by_district_daily"]
    notes = [r["new_cases_note"] for r in local["rows"]]
    assert "<5" in notes and "x" in notes  # there is something to attack
    bounds = recover(everything.tables, TOTALS, 5)
    assert len(bounds) == sum(n is not None for n in notes)
    assert [b for b in bounds if b.recovered] == []


def test_the_district_page_shows_the_files_cells(db: Session, outbreak: TinyCity) -> None:
    everything = published_for(db, DAY)
    rows = everything.tables["cases_by_district_daily"]["rows"]
    expected = {(r["district_code"], r["day"]): r["new_cases_note"] or str(r["new_cases"])
                for r in rows}
    parser = Cells()
    parser.feed(everything.pages[("/public/districts", "en")])
    # The cases table comes first (a header and a line per district); other domains'
    # tables follow it.
    [header, *lines] = parser.rows[:3]
    days = [(DAY - timedelta(days=back)).isoformat() for back in range(13, -1, -1)]
    assert len(header) == 1 + len(days)
    seen = 0
    for line in lines:
        code = line[0].split()[0]
        for day, cell in zip(days, line[1:], strict=True):
            assert cell == expected[(code, day)], (code, day)
            seen += 1
    assert seen == 2 * len(days)
