"""Venue visits and their logs, recorded exposures, contacts with evidence, follow-up."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epidesk.db import Base, UtcDateTime
from epidesk.kit.imports import ImportedFile
from epidesk.people.models import Resident


class VisitLog(ImportedFile, Base):
    """One visit log file: accepted whole, or rejected with its report."""

    __tablename__ = "visit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rows: Mapped[int] = mapped_column(Integer)
    residents: Mapped[int] = mapped_column(Integer)
    venues: Mapped[int] = mapped_column(Integer)
    first_visit_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_visit_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


# Visits arrive by the ten million and are written only by the visit import (which checks
# every resident and venue id in the same transaction) and the synthetic generator. Like
# samples they carry no foreign-key constraints, which would cost a lookup per row.


class VenueVisit(Base):
    """A resident's visit to a venue, from arrival to departure."""

    __tablename__ = "venue_visit"
    __table_args__ = (
        # A visit is identified by who, where and when it began.
        Index("uq_venue_visit_resident_id_venue_id_started_at", "resident_id", "venue_id",
              "started_at", unique=True),
        Index("ix_venue_visit_venue_id_started_at", "venue_id", "started_at"),
    )

    # An identity column: bulk loads leave the numbering to the database, and a graph
    # in memory fetches only visits with a larger id than it holds.
    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    resident_id: Mapped[int] = mapped_column(Integer)
    venue_id: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime] = mapped_column(UtcDateTime())
    log_id: Mapped[int | None] = mapped_column(Integer)


class Exposure(Base):
    """An exposure between two residents that an investigator recorded."""

    __tablename__ = "exposure"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_a_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    resident_b_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    # A setting of the preset's close_settings ("carer", "shared_vehicle", ...).
    setting: Mapped[str] = mapped_column(String(32))
    # Protected (e.g. full protective equipment): kept on record, makes no close contact.
    protected: Mapped[bool] = mapped_column(Boolean)
    place: Mapped[str] = mapped_column(String(200))
    # Where, as a record: a venue or a building (at most one). Zones and public
    # trajectories are drawn from these; the free text above never draws anything.
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venue.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"), index=True)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TracingRun(Base):
    """One classification run: which cases, under which preset, what changed."""

    __tablename__ = "tracing_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    actor: Mapped[str] = mapped_column(String(64))
    preset: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(16))  # "all", "cases" or "changes"
    # The newest case event this run has followed: case changes after it are pending.
    case_event_cursor: Mapped[int] = mapped_column(Integer)
    # The newest retrace request this run has followed: requests after it are pending.
    retrace_cursor: Mapped[int] = mapped_column(Integer)
    cases: Mapped[int] = mapped_column(Integer)
    cases_withdrawn: Mapped[int] = mapped_column(Integer)
    evidence_added: Mapped[int] = mapped_column(Integer)
    evidence_withdrawn: Mapped[int] = mapped_column(Integer)
    contacts_identified: Mapped[int] = mapped_column(Integer)
    contacts_promoted: Mapped[int] = mapped_column(Integer)
    contacts_demoted: Mapped[int] = mapped_column(Integer)
    contacts_withdrawn: Mapped[int] = mapped_column(Integer)
    close_contacts: Mapped[int] = mapped_column(Integer)
    sub_close_contacts: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)


class RetraceRequest(Base):
    """A traced case to classify again: evidence about its window arrived after it was
    traced (a visit log, a recorded exposure). Written with the evidence, in the same
    transaction; the next run over changes follows it."""

    __tablename__ = "retrace_request"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    case_id: Mapped[int] = mapped_column(Integer, index=True)
    reason: Mapped[str] = mapped_column(String(16))  # "visit_log" or "exposure"
    # The visit log or the recorded exposure that brought the evidence.
    source_id: Mapped[int] = mapped_column(Integer)
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime())


class TracedCase(Base):
    """A case as last classified: the window used and how many contacts it had."""

    __tablename__ = "traced_case"

    case_id: Mapped[int] = mapped_column(ForeignKey("case_episode.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # "active" or "withdrawn"
    window_start: Mapped[datetime] = mapped_column(UtcDateTime())
    window_end: Mapped[datetime] = mapped_column(UtcDateTime())
    traced_at: Mapped[datetime] = mapped_column(UtcDateTime())
    run_id: Mapped[int] = mapped_column(ForeignKey("tracing_run.id"), index=True)
    close_contacts: Mapped[int] = mapped_column(Integer)
    sub_close_contacts: Mapped[int] = mapped_column(Integer)


class Contact(Base):
    """A resident classified as a close or sub-close contact (or withdrawn since)."""

    __tablename__ = "contact"
    __table_args__ = (Index("ix_contact_status_tier", "status", "tier"),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), unique=True)
    tier: Mapped[str] = mapped_column(String(16))  # "close" or "sub_close"
    status: Mapped[str] = mapped_column(String(16))  # "active" or "withdrawn"
    identified_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # When the contact was isolated: on identification unless recorded otherwise. A
    # close contact's sub-close contacts are counted until this moment.
    isolated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    first_exposure_at: Mapped[datetime] = mapped_column(UtcDateTime())
    last_exposure_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The civil date quarantine days count from.
    last_exposure_on: Mapped[date] = mapped_column(Date)
    preset: Mapped[str] = mapped_column(String(64))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The end of quarantine an investigator decided (a contact decision); none: the
    # preset's plan counted from the last exposure.
    decided_end_on: Mapped[date | None] = mapped_column(Date)

    resident: Mapped[Resident] = relationship()


class ContactDecision(Base):
    """An investigator's decision on a resident's classification: confirmed, changed (a
    new tier or end date) or withdrawn, with a reason. It holds against tracing runs
    until a new exposure (later than the one it was decided on) or a further decision."""

    __tablename__ = "contact_decision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # "confirmed", "changed", "withdrawn"
    # The classification before and after.
    previous_tier: Mapped[str] = mapped_column(String(16))
    previous_status: Mapped[str] = mapped_column(String(16))
    previous_end_on: Mapped[date | None] = mapped_column(Date)
    tier: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    end_on: Mapped[date | None] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text)
    # Where the decision came from, e.g. "appeal HX7K2-M9PQ4" (empty: tracing's form).
    source: Mapped[str] = mapped_column(String(64), server_default="")
    # The last exposure the decision was made on: later evidence ends it.
    last_exposure_at: Mapped[datetime] = mapped_column(UtcDateTime())
    decided_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # When and why it stopped holding (a new exposure, no evidence left, a further
    # decision); none while it holds.
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    ended_reason: Mapped[str | None] = mapped_column(Text)


# Evidence, follow-up tests and events are written in bulk by the tracing run, which
# checks the residents and cases they refer to; like visits they carry no foreign keys.


class ContactEvidence(Base):
    """Why a resident is a contact: the case, setting, place and time overlap."""

    __tablename__ = "contact_evidence"
    __table_args__ = (
        Index("ix_contact_evidence_resident_id_status", "resident_id", "status"),
        Index("ix_contact_evidence_case_id_status", "case_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    resident_id: Mapped[int] = mapped_column(Integer)
    case_id: Mapped[int] = mapped_column(Integer)
    tier: Mapped[str] = mapped_column(String(16))
    setting: Mapped[str] = mapped_column(String(16))
    # The household, work group, school class, venue or recorded exposure.
    place_id: Mapped[int] = mapped_column(Integer)
    # For sub-close and promoted evidence: the close contact it passed through.
    via_resident_id: Mapped[int | None] = mapped_column(Integer)
    overlap_start: Mapped[datetime] = mapped_column(UtcDateTime())
    overlap_end: Mapped[datetime] = mapped_column(UtcDateTime())
    status: Mapped[str] = mapped_column(String(16))
    found_at: Mapped[datetime] = mapped_column(UtcDateTime())
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    run_id: Mapped[int] = mapped_column(Integer)


class FollowUpTest(Base):
    """A test a contact must take: day n after the last exposure, from the preset."""

    __tablename__ = "follow_up_test"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    resident_id: Mapped[int] = mapped_column(Integer, index=True)
    category: Mapped[str] = mapped_column(String(32))
    day: Mapped[int] = mapped_column(Integer)
    due_on: Mapped[date] = mapped_column(Date, index=True)
    # The civil day of the test as instants: a sample collected in [from, until) counts.
    due_from: Mapped[datetime] = mapped_column(UtcDateTime())
    due_until: Mapped[datetime] = mapped_column(UtcDateTime())
    place: Mapped[str] = mapped_column(String(32))


class ContactEvent(Base):
    """Something that happened to a contact: identified, promoted, withdrawn..."""

    __tablename__ = "contact_event"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    resident_id: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    kind: Mapped[str] = mapped_column(String(16))
    tier: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(Integer)
