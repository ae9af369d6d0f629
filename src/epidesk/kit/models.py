"""The kit's own table: how far each follower has read another domain's events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from epidesk.db import Base, UtcDateTime


class EventCursor(Base):
    """A follower's position in the events of the domain it follows (see kit.events)."""

    __tablename__ = "event_cursor"

    # "<following domain>:<followed topic>", e.g. "cases:testing".
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    # The id of the last event the follower has accounted for.
    position: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
