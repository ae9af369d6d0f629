"""The order that governs a resident: one registration point, so that a lower domain
(tracing's letter to a contact) reads the order without importing the domain that keeps
it.

A domain that keeps orders offers, in its deps.py,
`governing_order(session, *, resident_id) -> GoverningOrder | None`: the resident's order
in force or most recently ended by a release (never a withdrawn or superseded one), as
plain values, its explanation in the current language. `governing_order` here asks
each domain that offers one, lowest first, and returns the first found; None when no
order exists (the reader then falls back to its own plan).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

from sqlalchemy.orm import Session

from epidesk.kit.domains import offered


@dataclass(frozen=True)
class OrderStage:
    """Where the resident stays from one day to another (place: a key of the policy's
    places, e.g. "centralized", "home", "home_health_monitoring")."""

    place: str
    start: dt.date
    end: dt.date


@dataclass(frozen=True)
class OrderTest:
    """A test the order requires: its day number, the day it is due and where."""

    day: int
    due_on: dt.date
    place: str


@dataclass(frozen=True)
class EndChange:
    """An earlier end date of the order, the new one and why it moved."""

    previous_end_on: dt.date
    end_on: dt.date
    kind: str
    reason: str
    at: dt.datetime


@dataclass(frozen=True)
class Delivery:
    """How a version of the order reached the resident."""

    version: int
    method: str
    delivered_at: dt.datetime
    received_by: str | None = None
    relation: str | None = None


@dataclass(frozen=True)
class GoverningOrder:
    """The order a resident is under: form, dates and tests are the single source of
    truth for every letter and page that shows them."""

    order_id: int
    version: int
    state: str
    kind: str
    category: str
    form: str
    preset: str
    rule: str
    counted_from: dt.date
    start_on: dt.date
    end_on: dt.date
    monitoring_until: dt.date | None
    explanation: str
    stages: list[OrderStage] = field(default_factory=list)
    tests: list[OrderTest] = field(default_factory=list)
    end_changes: list[EndChange] = field(default_factory=list)
    deliveries: list[Delivery] = field(default_factory=list)


class OrderSource(Protocol):
    """What a domain's deps.py offers as `governing_order`."""

    def __call__(self, session: Session, *, resident_id: int) -> GoverningOrder | None:
        """The order governing the resident, or None."""
        ...


def governing_order(session: Session, *, resident_id: int) -> GoverningOrder | None:
    """The order that governs the resident, from whichever domain keeps orders; None
    when there is none."""
    sources: list[OrderSource] = offered("deps", "governing_order")
    for source in sources:
        found = source(session, resident_id=resident_id)
        if found is not None:
            return found
    return None
