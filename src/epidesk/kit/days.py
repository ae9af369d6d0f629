"""The day a page opens on: today when today has data, else the latest day that has.

A domain whose records make a day worth showing (cases reported, results received)
offers, in its deps.py, `latest_data_day(session, *, up_to) -> date | None`: its latest
city day with data, not after `up_to`. The bulletin and the command centre open on the
latest of them, and say which day they show, instead of on an empty today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

from sqlalchemy.orm import Session

from epidesk.kit import clock
from epidesk.kit.domains import offered
from epidesk.kit.i18n import _

CHOSEN = "chosen"  # the reader asked for the day
TODAY = "today"  # today, which has data
LATEST = "latest_with_data"  # the latest day with data; today has none yet
NO_DATA = "no_data"  # today: no day has data yet
KINDS = (CHOSEN, TODAY, LATEST, NO_DATA)


class DataDaySource(Protocol):
    """What a domain's deps.py offers as `latest_data_day`."""

    def __call__(self, session: Session, *, up_to: date) -> date | None:
        """The domain's latest city day with data, not after `up_to`."""
        ...


@dataclass(frozen=True)
class ShownDay:
    """The day a page shows, and why that day."""

    day: date
    today: date
    kind: str

    @property
    def label(self) -> str:
        """What the page says about the day it shows."""
        if self.kind == TODAY:
            return _("today")
        if self.kind == LATEST:
            return _("the latest day with data (today, %(today)s, has none yet)",
                     today=self.today.isoformat())
        if self.kind == NO_DATA:
            return _("today (no day has data yet)")
        return _("the day asked for")


def latest_day_with_data(session: Session, *, up_to: date) -> date | None:
    """The latest city day, not after `up_to`, on which any domain has data."""
    sources: list[DataDaySource] = offered("deps", "latest_data_day")
    days = [d for source in sources if (d := source(session, up_to=up_to)) is not None]
    return max(days) if days else None


def day_to_show(session: Session, *, asked: date | None = None,
                today: date | None = None) -> ShownDay:
    """The day asked for; else today when it has data; else the latest day with data."""
    today = today or clock.city_today()
    if asked is not None:
        return ShownDay(day=asked, today=today, kind=CHOSEN)
    latest = latest_day_with_data(session, up_to=today)
    if latest is None:
        return ShownDay(day=today, today=today, kind=NO_DATA)
    return ShownDay(day=latest, today=today, kind=TODAY if latest == today else LATEST)
