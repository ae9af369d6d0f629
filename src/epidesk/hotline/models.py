"""Hotline tickets, their updates, the targets per category and the public-form limiter."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from epidesk.db import Base, UtcDateTime


class Ticket(Base):
    """One call, message or form: who owns it, its state and its clock.

    The targets in force when it was received are copied onto the ticket (a later change
    of a category's targets does not move an open ticket's due times), and the breach
    state is recomputed on every change and by the escalation job.
    """

    __tablename__ = "hotline_ticket"
    __table_args__ = (
        # The queue walks open tickets by due time; the escalation job by status too.
        Index("ix_hotline_ticket_status_due", "status", "resolution_due"),
        Index("ix_hotline_ticket_received_at", "received_at"),
        # The figures' refresh job finds the tickets changed since its last run.
        Index("ix_hotline_ticket_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What a resident writes down to follow the ticket: random, unguessable.
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    # "phone", "web", "sms", "community_worker", "open311".
    channel: Mapped[str] = mapped_column(String(20))
    # See rules.CATEGORIES.
    category: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    # Who asked and how to answer them (personal: staff only).
    contact_name: Mapped[str] = mapped_column(String(64), server_default="")
    contact_phone: Mapped[str] = mapped_column(String(32), server_default="")
    address_text: Mapped[str] = mapped_column(String(200), server_default="")
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    language: Mapped[str] = mapped_column(String(8), server_default="zh")
    # The resident it concerns, when known; its community decides who may see it
    # (a ticket of no known community is seen by city-wide hotline staff only).
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    # A complaint about a quarantine facility names it.
    facility_id: Mapped[int | None] = mapped_column(Integer)
    # "open", "answered" (first response given), "resolved".
    status: Mapped[str] = mapped_column(String(12), server_default="open")
    # The targets stated in the ticket, in minutes, and the due times they give.
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    first_response_due: Mapped[datetime] = mapped_column(UtcDateTime())
    resolution_due: Mapped[datetime] = mapped_column(UtcDateTime())
    first_response_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # "none", "first_response" or "resolution": the target missed, as of the last change
    # or escalation run (a missed first response stays recorded after it is given).
    breach: Mapped[str] = mapped_column(String(16), server_default="none")
    # 0: with the operators; 1: with a supervisor; 2: with the command centre.
    escalation: Mapped[int] = mapped_column(Integer, server_default="0")
    assigned_to: Mapped[str] = mapped_column(String(64), server_default="")
    # An appeal's end: "confirmed", "changed", "withdrawn" (see appeals).
    outcome: Mapped[str] = mapped_column(String(12), server_default="")
    resolution_note: Mapped[str] = mapped_column(Text, server_default="")
    created_by: Mapped[str] = mapped_column(String(64))


class TicketUpdate(Base):
    """One step in a ticket's history; a public one is shown to whoever holds the
    reference (and sent to the resident), an internal one to staff only."""

    __tablename__ = "hotline_ticket_update"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("hotline_ticket.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    # "received", "response", "note", "escalated", "resolved", "reopened", "targets".
    kind: Mapped[str] = mapped_column(String(16))
    public: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(Text, server_default="")
    actor: Mapped[str] = mapped_column(String(64))


class HotlineTarget(Base):
    """A category's targets, when set apart from the defaults in rules.CATEGORIES."""

    __tablename__ = "hotline_target"

    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    resolution_minutes: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_by: Mapped[str] = mapped_column(String(64))


class PublicHit(Base):
    """One use of a public form or lookup, by a digest of the caller's address (never the
    address itself), kept for the rate limit and then deleted."""

    __tablename__ = "hotline_public_hit"
    __table_args__ = (Index("ix_hotline_public_hit_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(80))
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class DailyStat(Base):
    """The public figures of one city day and category, kept up to date as tickets change.

    Tickets count on the city day they were received; a first response (resolution)
    counts as within target when it was given by its due time.
    """

    __tablename__ = "hotline_daily_stat"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    category: Mapped[str] = mapped_column(String(32), primary_key=True)
    received: Mapped[int] = mapped_column(Integer)
    responded: Mapped[int] = mapped_column(Integer)
    responded_in_time: Mapped[int] = mapped_column(Integer)
    resolved: Mapped[int] = mapped_column(Integer)
    resolved_in_time: Mapped[int] = mapped_column(Integer)
    median_response_minutes: Mapped[float | None] = mapped_column(Float)
    median_resolution_minutes: Mapped[float | None] = mapped_column(Float)
    refreshed_at: Mapped[datetime] = mapped_column(UtcDateTime())


class EscortPlan(Base):
    """A resident's recurring treatment while under restriction (dialysis, chemotherapy,
    antenatal care, childbirth): where, on which weekdays or dates, at what local times,
    from when to when. Each session on a day the household is restricted becomes an
    escorted trip (see hotline.escorts)."""

    __tablename__ = "escort_plan"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    # See escorts.rules.TREATMENTS.
    kind: Mapped[str] = mapped_column(String(24))
    facility: Mapped[str] = mapped_column(String(200))
    # ISO weekdays ("1,3,5": Monday, Wednesday, Friday) and/or single dates
    # ("2026-12-08,2026-12-15"), within starts_on..ends_on.
    weekdays: Mapped[str] = mapped_column(String(16), server_default="")
    dates: Mapped[str] = mapped_column(Text, server_default="")
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    # Local times "HH:MM": pickup at home, arrival at the facility, back home.
    departs: Mapped[str] = mapped_column(String(5))
    arrives: Mapped[str] = mapped_column(String(5))
    back: Mapped[str] = mapped_column(String(5))
    contact_phone: Mapped[str] = mapped_column(String(32), server_default="")
    note: Mapped[str] = mapped_column(Text, server_default="")
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))


class EscortTrip(Base):
    """One escorted medical trip of a resident under restriction: from a medical-emergency
    ticket, or one session of a treatment plan. The legs are transfer manifests of purpose
    `medical_escort` (out: home to hospital, back: hospital to home), so a trip not closed
    in time raises the transfers' missing alert. Tracked until the person is back home
    (the return leg checked in) or admitted (with a reason)."""

    __tablename__ = "escort_trip"
    __table_args__ = (
        # One trip per session of a plan: scheduling twice makes nothing new.
        UniqueConstraint("plan_id", "session_on"),
        Index("ix_escort_trip_departs_at", "departs_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("hotline_ticket.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("escort_plan.id"))
    session_on: Mapped[date | None] = mapped_column(Date)
    # "emergency" or a treatment (escorts.rules.TREATMENTS).
    kind: Mapped[str] = mapped_column(String(24))
    # Why the household is restricted: "zone" (stay-home zone) or "home_order".
    restriction: Mapped[str] = mapped_column(String(12))
    destination: Mapped[str] = mapped_column(String(200))
    departs_at: Mapped[datetime] = mapped_column(UtcDateTime())
    arrives_at: Mapped[datetime] = mapped_column(UtcDateTime())
    back_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # "scheduled", "dispatched", "handed_off", "returned", "admitted", "cancelled".
    status: Mapped[str] = mapped_column(String(12))
    out_manifest_id: Mapped[int | None] = mapped_column(ForeignKey("transfer_manifest.id"))
    back_manifest_id: Mapped[int | None] = mapped_column(ForeignKey("transfer_manifest.id"))
    escort_name: Mapped[str] = mapped_column(String(64), server_default="")
    escort_phone: Mapped[str] = mapped_column(String(32), server_default="")
    # The hand-off to the emergency service or the ward: who received the patient, when.
    handed_off_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    handed_off_to: Mapped[str] = mapped_column(String(120), server_default="")
    handed_off_by: Mapped[str] = mapped_column(String(64), server_default="")
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_by: Mapped[str] = mapped_column(String(64), server_default="")
    # Why a trip ended as it did (the reason for an admission or a cancellation).
    outcome_note: Mapped[str] = mapped_column(Text, server_default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
