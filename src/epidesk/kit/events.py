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

A follower that derives figures from the events (zoning's tallies of who was sampled)
may say it can also follow after the commit (`Domain(..., after_commit=("testing",))`).
A writer that calls `follow(session, topic, deferred=True)` then commits its record and
the same-transaction followers' work first; those followers run right after that
commit, in the same request, in a transaction of their own. A failure there leaves the
committed record whole and is logged: the next pull (the next write of the topic, or the
follower's own daily job) catches up from the cursor.

Writes made on another connection that stand or fall with a session's transaction (a
large lab batch's second half of samples, prepared for a two-phase commit) are settled
once that transaction ends (`commit_with`): after a commit, before the deferred followers
run, so that they see every row.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import event, select, update
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
    """Move the cursor forward to an event id (never backward): one statement once the
    cursor exists."""
    moved = session.execute(update(EventCursor).where(
        EventCursor.name == name, EventCursor.position < to).values(
        position=to, updated_at=clock.now()))
    if getattr(moved, "rowcount", 0):
        return
    if session.get(EventCursor, name) is None:
        session.add(EventCursor(name=name, position=to, updated_at=clock.now()))
        session.flush()


log = logging.getLogger(__name__)
# session.info key: the follows waiting for the session's transaction to commit.
_AFTER_COMMIT = "epidesk.events.after_commit"
# session.info key: what is settled when the session's transaction ends.
_SETTLES = "epidesk.events.settles"


def commit_with(session: Session, settle: Callable[[], None]) -> None:
    """Have settle() called once the session's transaction ends, committed or not (after a
    commit, before the follows deferred to it), in the order given. It works on
    connections of its own; what it raises is logged."""
    session.info.setdefault(_SETTLES, []).append(settle)


def _settle(session: Session) -> None:
    for settle in session.info.pop(_SETTLES, []):
        try:
            settle()
        except Exception:
            log.exception("what was to be settled with a transaction could not be")


def follow(session: Session, topic: str, *, deferred: bool = False,
           **context: Any) -> dict[str, int]:
    """Let every domain that follows the topic pull its new events; their counts, summed.

    deferred: the domains that may follow after the commit do so once this session's
    transaction commits (their counts are then not in the result); a rollback drops them.
    """
    totals: dict[str, int] = {}
    for domain in DOMAINS:
        if topic not in domain.follows:
            continue
        if deferred and topic in domain.after_commit:
            session.info.setdefault(_AFTER_COMMIT, {})[(domain.name, topic)] = context
            continue
        for key, value in _pull(session, domain.name, topic, context).items():
            totals[key] = totals.get(key, 0) + int(value)
    return totals


def waiting(session: Session) -> list[tuple[str, str]]:
    """The (domain, topic) follows waiting for this session's transaction to commit."""
    return list(session.info.get(_AFTER_COMMIT, {}))


def _pull(session: Session, domain: str, topic: str,
          context: Mapping[str, Any]) -> Mapping[str, int]:
    service = importlib.import_module(f"epidesk.{domain}.service")
    counts: Mapping[str, int] = getattr(service, f"follow_{topic}")(session, **context)
    return counts


@event.listens_for(Session, "after_commit")
def _follow_after_commit(session: Session) -> None:
    """Run the follows deferred to this commit, each in a transaction of its own."""
    if session.get_nested_transaction() is not None:
        return  # a savepoint released: the transaction goes on
    _settle(session)
    pending: dict[tuple[str, str], Mapping[str, Any]] = session.info.pop(_AFTER_COMMIT, {})
    if not pending:
        return
    bind = session.get_bind()
    for (domain, topic), context in pending.items():
        # On a connection inside a transaction of the caller's (tests), a savepoint.
        with Session(bind=bind, join_transaction_mode="create_savepoint",
                     expire_on_commit=False) as own:
            try:
                _pull(own, domain, topic, context)
                own.commit()
            except Exception:
                own.rollback()
                log.exception("%s could not follow %s after the commit; its next pull "
                              "catches up", domain, topic)


@event.listens_for(Session, "after_soft_rollback")
def _drop_deferred(session: Session, previous_transaction: Any) -> None:
    """A rolled-back transaction's deferred follows are dropped with it."""
    if previous_transaction.parent is None:
        session.info.pop(_AFTER_COMMIT, None)


@event.listens_for(Session, "after_transaction_end")
def _settle_at_end(session: Session, transaction: Any) -> None:
    """A transaction that ended without a commit settles what was to be settled with it."""
    if transaction.parent is None:
        _settle(session)
