"""Case episodes and their history."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epidesk.db import Base, UtcDateTime


class CaseEpisode(Base):
    """One infection of one resident: asymptomatic or confirmed, active or withdrawn."""

    __tablename__ = "case_episode"
    __table_args__ = (
        Index("ix_case_episode_resident_id_sampling_date", "resident_id", "sampling_date"),
        Index("ix_case_episode_reported_on", "reported_on"),
        Index("ix_case_episode_asymptomatic_on", "asymptomatic_on"),
        Index("ix_case_episode_confirmed_on", "confirmed_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"))
    classification: Mapped[str] = mapped_column(String(16))  # asymptomatic, confirmed
    status: Mapped[str] = mapped_column(String(16))  # active, withdrawn
    # Date of the first positive sample (the lab's local date of collection).
    sampling_date: Mapped[date] = mapped_column(Date)
    onset_date: Mapped[date | None] = mapped_column(Date)
    isolation_date: Mapped[date | None] = mapped_column(Date)
    # The day the episode was first reported (the date of the proving result).
    reported_on: Mapped[date] = mapped_column(Date)
    diagnosed_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # When the episode was written: bulletins "as of" a moment count only what existed.
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # Both dates survive a reclassification asymptomatic -> confirmed.
    asymptomatic_on: Mapped[date | None] = mapped_column(Date)
    confirmed_on: Mapped[date | None] = mapped_column(Date)
    reclassified_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    proving_tube_id: Mapped[int | None] = mapped_column(ForeignKey("tube.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("lab_batch.id"))
    # Area of residence when reported, frozen so past bulletins do not move.
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    imported: Mapped[bool] = mapped_column(Boolean)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    withdrawn_by: Mapped[str | None] = mapped_column(String(64))
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)

    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="episode", order_by="(CaseEvent.at, CaseEvent.id)"
    )


class CaseEvent(Base):
    """Something that happened to an episode: reported, reclassified, re-positive, withdrawn."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    episode_id: Mapped[int] = mapped_column(ForeignKey("case_episode.id"), index=True)
    # Indexed so that later computations can follow every change since a moment.
    at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    tube_id: Mapped[int | None] = mapped_column(ForeignKey("tube.id"))
    actor: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)

    episode: Mapped[CaseEpisode] = relationship(back_populates="events")
