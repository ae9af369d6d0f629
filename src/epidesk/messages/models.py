"""The outbound queue: one row per message to a resident or a household."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from epidesk.db import Base, UtcDateTime


class OutboundMessage(Base):
    """A message some domain asked to send (an order notice, a delivery time, a ticket
    update, a dose reminder); the channel is chosen when it is queued or dispatched."""

    __tablename__ = "outbound_message"
    __table_args__ = (
        # The dispatcher and the operators' lists walk the queue by state and channel.
        Index("ix_outbound_message_state_channel", "state", "channel", "id"),
        # One notice per reference and topic: enqueueing twice is a no-op.
        Index("uq_outbound_message_topic_reference", "topic", "reference", unique=True),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What it is about, for the reader and for de-duplication: "quarantine.order_notice",
    # "supplies.delivery_time", "hotline.ticket_update", "vaccination.dose_reminder".
    topic: Mapped[str] = mapped_column(String(48))
    # The sending domain's key of the notice (e.g. "order:12:v2"); unique per topic.
    reference: Mapped[str] = mapped_column(String(96))
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    # "sms", "voice" (an operator calls) or "print" (a community worker delivers);
    # None until the dispatcher routes it.
    channel: Mapped[str | None] = mapped_column(String(8))
    # Where it goes on that channel: a phone number, or empty for a printed notice
    # (delivered to the household's address).
    recipient: Mapped[str] = mapped_column(String(64), server_default="")
    language: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)
    # "queued", "sent", "delivered", "failed", "cancelled".
    state: Mapped[str] = mapped_column(String(12), server_default="queued")
    attempts: Mapped[int] = mapped_column(Integer, server_default="0")
    last_error: Mapped[str] = mapped_column(String(200), server_default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    # Where the resident or household lives, set when routed: call lists and printed
    # notices are worked per community, inside the worker's area.
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    # A failed SMS is retried from this moment on (None: now).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Who marked a call or a printed notice, and when it was sent or delivered.
    handled_by: Mapped[str] = mapped_column(String(64), server_default="")
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
