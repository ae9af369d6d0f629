"""The daily checks of home health monitoring."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Identity, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from epidesk.db import Base, UtcDateTime


class HomeCheck(Base):
    """One check of a person under home health monitoring on a city day: temperature and
    symptoms, how it was taken and by whom, or that they could not be reached and why. A
    check with fever or a symptom flags the person as needing a test until a result
    sampled after it arrives or a worker clears the flag with a reason."""

    __tablename__ = "home_check"
    __table_args__ = (Index("ix_home_check_order_day", "order_id", "checked_on"),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("quarantine_order.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    # The city day the check is for, and when it was recorded.
    checked_on: Mapped[date] = mapped_column(Date)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    by: Mapped[str] = mapped_column(String(64))
    # "visit", "phone" or "self_report" (reported by the resident through a worker).
    method: Mapped[str] = mapped_column(String(16))
    reached: Mapped[bool] = mapped_column(Boolean)
    # Why the person was not reached (empty when reached).
    reason: Mapped[str] = mapped_column(Text, server_default="")
    temperature: Mapped[float | None] = mapped_column(Float)
    # Symptom keys separated by spaces (fever, cough, sore_throat, taste_smell, breath,
    # other), and the words for "other".
    symptoms: Mapped[str] = mapped_column(String(80), server_default="")
    other_symptom: Mapped[str] = mapped_column(Text, server_default="")
    # Fever or a symptom: the person needs a test, until cleared.
    flagged: Mapped[bool] = mapped_column(Boolean)
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    cleared_by: Mapped[str | None] = mapped_column(String(64))
    cleared_reason: Mapped[str | None] = mapped_column(Text)
