"""The published trajectory entries: a place and a time window, never a case."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Identity, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from epidesk.db import Base, UtcDateTime


class TrajectoryEntry(Base):
    """One place and one time window of a publication day.

    Nothing here names a case or counts cases: windows of several cases at one place are
    merged, and an entry is removed (from the table and from every file) once it expires.
    """

    __tablename__ = "trajectory_entry"
    __table_args__ = (
        Index("ix_trajectory_entry_published_on_place", "published_on", "place_kind",
              "place_id"),
        Index("ix_trajectory_entry_expires_on", "expires_on"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    # The publication day the entry belongs to.
    published_on: Mapped[date] = mapped_column(Date)
    # "venue", "building" or "compound" (never a flat, a floor or a unit).
    place_kind: Mapped[str] = mapped_column(String(16))
    place_id: Mapped[int] = mapped_column(Integer)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"))
    name: Mapped[str] = mapped_column(String(200))
    name_local: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    # The window, rounded outward to the hour: [starts_at, ends_at).
    starts_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ends_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The city day of the last exposure, and the first day the entry is no longer shown.
    last_day: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
