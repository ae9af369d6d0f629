"""Keeping the hotline's public figures ready: one (day, category) row on every ticket
change, every row by the refresh job. Flush only."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from epidesk.hotline.models import DailyStat, Ticket
from epidesk.hotline.rules import CATEGORIES
from epidesk.hotline.stats import engine, repository
from epidesk.kit import clock, events
from epidesk.kit.i18n import _l
from epidesk.kit.publication import Column, PublicTable

_CATEGORIES = tuple(CATEGORIES)


def _figures(times: dict[str, Any]) -> engine.DayFigures:
    def seconds(name: str) -> Any:
        values = times[name]
        return np.where(values >= repository.LATER, engine.NEVER, values)

    received = times["received_at"]
    days = clock.local_days(received // 1_000_000).astype(np.int64)
    return engine.daily_figures(
        day=days, category=times["category"], received=received,
        responded=seconds("first_response_at"), response_due=times["first_response_due"],
        resolved=seconds("resolved_at"), resolution_due=times["resolution_due"])


def _rows(figures: engine.DayFigures) -> list[dict[str, Any]]:
    moment = clock.now()

    def median(value: float) -> float | None:
        return None if math.isnan(value) else round(float(value), 2)

    epoch = date(1970, 1, 1)
    return [{"day": epoch + timedelta(days=int(figures.day[i])),
             "category": _CATEGORIES[int(figures.category[i])],
             "received": int(figures.received[i]), "responded": int(figures.responded[i]),
             "responded_in_time": int(figures.responded_in_time[i]),
             "resolved": int(figures.resolved[i]),
             "resolved_in_time": int(figures.resolved_in_time[i]),
             "median_response_minutes": median(figures.median_response_minutes[i]),
             "median_resolution_minutes": median(figures.median_resolution_minutes[i]),
             "refreshed_at": moment}
            for i in range(len(figures.day)) if int(figures.category[i]) < len(_CATEGORIES)]


def touch(session: Session, ticket: Ticket) -> None:
    """Recompute the row of the ticket's day of receipt and category."""
    session.flush()
    day = clock.local_day(clock.aware(ticket.received_at))
    start = clock.day_start(day)
    times = repository.ticket_times(session, _CATEGORIES, since=start,
                                    until=clock.day_start(day + timedelta(days=1)),
                                    category=ticket.category)
    repository.replace_rows(session, _rows(_figures(times)), day=day,
                            category=ticket.category)
    session.flush()


# The refresh job's cursor: the moment (microseconds since the epoch) it last started.
CURSOR = "hotline:stats_refresh"


def _microseconds(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def rebuild(session: Session) -> int:
    """Recompute every row from every ticket; returns how many rows there are."""
    started = clock.now()
    rows = _rows(_figures(repository.ticket_times(session, _CATEGORIES)))
    repository.replace_rows(session, rows)
    events.advance(session, CURSOR, _microseconds(started))
    session.flush()
    return len(rows)


def refresh(session: Session) -> int:
    """Recompute the (day, category) rows of the tickets changed since the last refresh
    (every ticket the first time): what a change that bypassed `touch` left behind.
    Returns how many rows were recomputed."""
    position = events.position(session, CURSOR)
    if position == 0:
        return rebuild(session)
    started = clock.now()
    since = datetime.fromtimestamp(position / 1_000_000, UTC)
    groups = sorted({(category, clock.local_day(clock.aware(received)))
                     for category, received in repository.changed_since(session, since)},
                    key=lambda g: (g[1], g[0]))
    if groups:
        first, last = groups[0][1], max(d for _, d in groups)
        times = repository.ticket_times(session, _CATEGORIES, since=clock.day_start(first),
                                        until=clock.day_start(last + timedelta(days=1)))
        wanted = {(d, c) for c, d in groups}
        rows = [r for r in _rows(_figures(times)) if (r["day"], r["category"]) in wanted]
        repository.replace_groups(session, rows, sorted(wanted))
    events.advance(session, CURSOR, _microseconds(started))
    session.flush()
    return len(groups)


def stored(session: Session, *, first: date | None = None, last: date | None = None
           ) -> list[DailyStat]:
    """The figures kept ready."""
    return list(repository.stored(session, first=first, last=last))


# The publication covers the four weeks up to its day.
PUBLISHED_DAYS = 28
MIN_SUPPORT = 10


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def public_tables(session: Session, *, day: date) -> list[PublicTable]:
    """The hotline's figures per city day and category, the four weeks up to `day`."""
    first = day - timedelta(days=PUBLISHED_DAYS - 1)
    rows = [(s.day, s.category, s.received, s.responded, s.responded_in_time, s.resolved,
             s.resolved_in_time, _share(s.responded_in_time, s.received),
             _share(s.resolved_in_time, s.received), s.median_response_minutes,
             s.median_resolution_minutes)
            for s in repository.stored(session, first=first, last=day)]
    return [PublicTable(
        name="hotline_tickets_daily", level="city", min_support=MIN_SUPPORT, rows=rows,
        title=_l("Hotline tickets and response times"),
        description=_l(
            "Tickets to the citizen hotline (phone, SMS, web form, community workers and "
            "Open311 applications) per day and category. A ticket counts on the city day it "
            "was received, whatever happened later; its first response and its resolution "
            "are counted on that same day of receipt, so the figures of recent days grow "
            "as tickets are answered. Each category has a target for the first response "
            "and one for the resolution, stated in each ticket when it is received. Medians "
            "and shares are shown only where at least 10 tickets stand behind them."),
        columns=(
            Column("day", "day", _l("Day received"),
                   _l("The city day (local time) on which the tickets were received.")),
            Column("category", "key", _l("Category"),
                   _l("The ticket's category: medical_emergency, supplies, "
                      "quarantine_conditions, classification_appeal, zone_question, "
                      "information or other.")),
            Column("received", "count", _l("Tickets received"),
                   _l("Tickets received on the day in the category.")),
            Column("responded", "count", _l("First responses given"),
                   _l("Of those tickets, how many have had a first response so far: a "
                      "first answer to the resident by the hotline (or the resolution, if "
                      "that came first).")),
            Column("responded_within_target", "count", _l("First responses within target"),
                   _l("Of those tickets, how many had their first response by the due time: "
                      "the time received plus the category's first-response target.")),
            Column("resolved", "count", _l("Resolved"),
                   _l("Of those tickets, how many are resolved so far.")),
            Column("resolved_within_target", "count", _l("Resolved within target"),
                   _l("Of those tickets, how many were resolved by the due time: the time "
                      "received plus the category's resolution target.")),
            Column("share_responded_within_target", "measure",
                   _l("Share answered within target"),
                   _l("First responses within target divided by tickets received (0 to 1); "
                      "a ticket not yet answered counts as not within target."),
                   rests_on="received"),
            Column("share_resolved_within_target", "measure",
                   _l("Share resolved within target"),
                   _l("Resolutions within target divided by tickets received (0 to 1); a "
                      "ticket not yet resolved counts as not within target."),
                   rests_on="received"),
            Column("median_first_response_minutes", "measure",
                   _l("Median time to first response (minutes)"),
                   _l("The median of the minutes from receipt to first response, over the "
                      "tickets answered so far."), rests_on="responded"),
            Column("median_resolution_minutes", "measure",
                   _l("Median time to resolution (minutes)"),
                   _l("The median of the minutes from receipt to resolution, over the "
                      "tickets resolved so far."), rests_on="resolved"),
        ))]
