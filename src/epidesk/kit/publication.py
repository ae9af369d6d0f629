"""What the public sees: every domain adds its public tables through one registration point.

A domain that publishes figures offers, in its deps.py,
`public_tables(session, *, day) -> list[PublicTable]`: aggregates as of the city day
`day` (counts, medians, shares; never a person). The transparency domain's publication
step gathers them here, lowest domain first, applies the suppression rules each table
names, renders the public pages and writes the dated open-data files; no domain renders
public figures itself, and none imports the transparency domain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal, Protocol

from sqlalchemy.orm import Session

from epidesk.kit.domains import offered

# "day": a city day (ISO date in files); "area": a geography key at the table's level;
# "key": another stable key (a category, a product); "count": a whole number of people
# or events (suppressed when small below city level); "measure": a number that is not a
# count (a median in minutes, a share) and is withheld with the count it rests on.
ColumnKind = Literal["day", "area", "key", "count", "measure"]
# Where a table's rows lie: the whole city, or one area level below it.
Level = Literal["city", "district", "subdistrict", "community", "building"]


@dataclass(frozen=True)
class Column:
    """One column of a public table: its stable name in open data, and what it means."""

    name: str  # stable, snake_case, never renamed once published
    kind: ColumnKind
    title: Any  # a lazy translated string (kit.i18n._l)
    description: Any  # for the data dictionary: exactly what is counted, which day means what
    # For a "measure": the "count" column whose size decides whether it is shown.
    rests_on: str | None = None


@dataclass(frozen=True)
class PublicTable:
    """One public table for one publication day."""

    name: str  # stable, e.g. "cases_by_district_daily"; the open-data file's name
    title: Any  # lazy translated
    description: Any  # lazy translated
    columns: tuple[Column, ...]
    rows: Sequence[tuple[Any, ...]]  # in the order of `columns`
    level: Level = "city"
    # The smallest count shown as it is below city level; None: the publication's
    # setting (default 5: 1-4 shown as "<5", 0 as 0).
    small_count: int | None = None
    # A "measure" is shown only where its `rests_on` count is at least this (e.g. 10
    # tickets behind a median); 0: no such rule.
    min_support: int = 0
    # Totals over the rows' areas (the city's figures) published beside this table:
    # named here so that suppression is secondary across both (a cell is never the
    # difference of a total and the other cells).
    totals_of: str | None = None
    # Whether the counts are events of each day (cases reported, requests received), which
    # may be added up by week; False for figures as of the end of the day (residents
    # vaccinated, beds occupied), which are never added up: such a table stays daily.
    flow: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


class TableSource(Protocol):
    """What a domain's deps.py offers as `public_tables`."""

    def __call__(self, session: Session, *, day: date) -> list[PublicTable]:
        """The domain's public tables as of `day`."""
        ...


def public_tables(session: Session, *, day: date) -> list[PublicTable]:
    """Every domain's public tables as of `day`, lowest domain first, before suppression."""
    sources: list[TableSource] = offered("deps", "public_tables")
    return [table for source in sources for table in source(session, day=day)]


@dataclass(frozen=True)
class RevisionNote:
    """Why a past day's figures of a table moved since a moment: one sentence, with its
    count, built in the language of the page that shows it (no person named)."""

    table: str  # the PublicTable.name it explains
    day: date  # the figure's day (a row's "day" value)
    reason: Any  # a callable with no argument returning the sentence in the current language


class RevisionSource(Protocol):
    """What a domain's deps.py offers as `public_revisions`."""

    def __call__(self, session: Session, *, since: Any, until: Any) -> list[RevisionNote]:
        """The reasons past figures moved between two moments (UTC datetimes)."""
        ...


def public_revisions(session: Session, *, since: Any, until: Any) -> list[RevisionNote]:
    """Every domain's reasons why past published figures changed between two moments."""
    sources: list[RevisionSource] = offered("deps", "public_revisions")
    return [note for source in sources for note in source(session, since=since, until=until)]
