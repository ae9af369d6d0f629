"""How domains react to each other: events pulled after a cursor, never callbacks.

A lower domain appends event rows (case events, positive results, zone changes); a
higher domain pulls the events after its own cursor, accounts for them and moves the
cursor, in the same transaction. Pulling is idempotent: a follower run twice, or after
a crash, finds nothing new or picks up where the last commit left it.

A domain that follows another's topic says so in the manifest
(`Domain("cases", follows=("testing",))`) and offers `follow_<topic>(session, **context)`
in its service. The lower domain's own routes and commands call `follow(session, topic)`
after writing, so that the higher domains catch up in the same request without the
lower domain importing them.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.kit import clock
from epidesk.kit.domains import DOMAINS
from epidesk.kit.models import EventCursor


def cursor_name(follower: str, topic: str) -> str:
    """The name of a follower's cursor over a topic."""
    return f"{follower}:{topic}"


def position(session: Session, name: str) -> int:
    """How far the cursor has read (0 before its first pull)."""
    found = session.scalar(select(EventCursor.position).where(EventCursor.name == name))
    return int(found or 0)


def advance(session: Session, name: str, to: int) -> None:
    """Move the cursor forward to an event id (never backward)."""
    row = session.get(EventCursor, name)
    if row is None:
        session.add(EventCursor(name=name, position=to, updated_at=clock.now()))
    elif to > row.position:
        row.position = to
        row.updated_at = clock.now()
    session.flush()


def follow(session: Session, topic: str, **context: Any) -> dict[str, int]:
    """Let every domain that follows the topic pull its new events; their counts, summed."""
    totals: dict[str, int] = {}
    for domain in DOMAINS:
        if topic not in domain.follows:
            continue
        service = importlib.import_module(f"epidesk.{domain.name}.service")
        counts: Mapping[str, int] = getattr(service, f"follow_{topic}")(session, **context)
        for key, value in counts.items():
            totals[key] = totals.get(key, 0) + int(value)
    return totals
