"""Quarantine use cases: session first, keyword-only arguments after; flush, never commit."""

from __future__ import annotations

from sqlalchemy.orm import Session

from epidesk.kit.merges import Merge
from epidesk.quarantine import repository


def merge_person_rows(session: Session, merge: Merge) -> list[str]:
    """Quarantine's merge part: the merged record's orders and room assignments become
    the survivor's (both records' orders are kept: each rests on its own evidence)."""
    moved = repository.merge_rows(session, merge)
    return [f"{count} {what} moved" for what, count in moved.items()]
