"""Facilities and their rooms, inspections, complaints, quarantine and isolation orders,
their end-date history and deliveries, and who occupies which room when."""

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
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epidesk.db import Base, UtcDateTime
from epidesk.kit.imports import ImportedFile

# Facility kinds that may isolate cases (designated hospitals and makeshift hospitals);
# every other kind quarantines contacts and visitors.
ISOLATION_KINDS = ("designated_hospital", "makeshift_hospital")
FACILITY_KINDS = ("hotel", "dormitory", "apartment", "designated_hospital",
                  "makeshift_hospital", "other")
# "open": takes people; "preparing": not yet; "suspended": takes nobody new for now;
# "closed": no longer used.
FACILITY_STATUSES = ("open", "preparing", "suspended", "closed")
ROOM_TYPES = ("single", "double", "family", "multi_person", "accessible", "ward")


class FacilityList(ImportedFile, Base):
    """One facility-list file (facilities with their rooms): accepted whole, or rejected
    with its report."""

    __tablename__ = "facility_list"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rows: Mapped[int] = mapped_column(Integer)
    facilities: Mapped[int] = mapped_column(Integer)
    rooms: Mapped[int] = mapped_column(Integer)
    # Facilities and rooms the file added, and those it changed (a later list of the
    # same facility updates it: the code names it).
    added: Mapped[int] = mapped_column(Integer, server_default="0")
    changed: Mapped[int] = mapped_column(Integer, server_default="0")


class Facility(Base):
    """A quarantine or isolation site, in the home city or a neighbouring one."""

    __tablename__ = "facility"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The operator's code, stable across lists: a later list with the same code updates it.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id"), index=True)
    # The district of the home city it lies in; None in a neighbouring city.
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"), index=True)
    address: Mapped[str] = mapped_column(String(300))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    kind: Mapped[str] = mapped_column(String(24))  # one of FACILITY_KINDS
    # "isolation" (cases; hospitals only) or "quarantine" (contacts and visitors): cases
    # and contacts never share a facility.
    use: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(12))  # one of FACILITY_STATUSES
    # On-site medical staff (doctors and nurses on duty); 0 when none.
    medical_staff: Mapped[int] = mapped_column(Integer)
    # The separate quarantine, staff-service and hygiene-transit areas of the design guide.
    separate_areas: Mapped[bool] = mapped_column(Boolean)
    manager_name: Mapped[str] = mapped_column(String(64))
    manager_phone: Mapped[str] = mapped_column(String(20))
    # The days it takes people: from opened_on, until closed_on (exclusive) when set.
    opened_on: Mapped[date] = mapped_column(Date)
    closed_on: Mapped[date | None] = mapped_column(Date)
    list_id: Mapped[int] = mapped_column(ForeignKey("facility_list.id"), index=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    rooms: Mapped[list[Room]] = relationship(back_populates="facility", order_by="Room.number")


class Room(Base):
    """A room of a facility: its type, beds and what it suits."""

    __tablename__ = "room"
    __table_args__ = (UniqueConstraint("facility_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    number: Mapped[str] = mapped_column(String(16))
    room_type: Mapped[str] = mapped_column(String(16))  # one of ROOM_TYPES
    beds: Mapped[int] = mapped_column(Integer)
    own_bathroom: Mapped[bool] = mapped_column(Boolean)
    accessible: Mapped[bool] = mapped_column(Boolean)
    # Suits an infant (cot, space) and a carer staying with a dependent person.
    infant_suitable: Mapped[bool] = mapped_column(Boolean)
    carer_suitable: Mapped[bool] = mapped_column(Boolean)
    # False while the room is out of service (repairs, cleaning after a case).
    in_service: Mapped[bool] = mapped_column(Boolean, server_default=true())

    facility: Mapped[Facility] = relationship(back_populates="rooms")


class Inspection(Base):
    """An inspection of a facility against the checklist; passed only if every item did."""

    __tablename__ = "inspection"
    __table_args__ = (Index("ix_inspection_facility_id_inspected_on", "facility_id",
                            "inspected_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"))
    inspected_on: Mapped[date] = mapped_column(Date)
    inspector: Mapped[str] = mapped_column(String(64))
    passed: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, server_default="")
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[str] = mapped_column(String(64))

    items: Mapped[list[InspectionItem]] = relationship(
        back_populates="inspection", order_by="InspectionItem.item")


class InspectionItem(Base):
    """One checklist item of an inspection (doors and windows, bedding, mould, ...)."""

    __tablename__ = "inspection_item"

    inspection_id: Mapped[int] = mapped_column(ForeignKey("inspection.id"), primary_key=True)
    # A key of rules.CHECKLIST.
    item: Mapped[str] = mapped_column(String(32), primary_key=True)
    passed: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(Text, server_default="")

    inspection: Mapped[Inspection] = relationship(back_populates="items")


class FacilityComplaint(Base):
    """A complaint about a facility's conditions, linked by whoever received it (the
    hotline links its tickets here: source "hotline", reference the ticket's id)."""

    __tablename__ = "facility_complaint"
    __table_args__ = (UniqueConstraint("source", "reference"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facility.id"), index=True)
    source: Mapped[str] = mapped_column(String(16))  # "hotline", "inspection", "staff"
    reference: Mapped[str] = mapped_column(String(64))
    # A key of rules.CHECKLIST when the complaint concerns one (mould, hot water, ...).
    topic: Mapped[str | None] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class QuarantineOrder(Base):
    """A quarantine (contact, visitor) or isolation (case) order of one resident: its
    form, dates and test days under a preset rule, and what it rests on. The order is
    the resident's plan: tracing's letter and follow-up read it."""

    __tablename__ = "quarantine_order"
    __table_args__ = (
        Index("ix_quarantine_order_resident_id_state", "resident_id", "state"),
        Index("ix_quarantine_order_state_end_on", "state", "end_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"))
    # The household when the order was made (placement keeps households together).
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # "quarantine" or "isolation"
    # "close_contact", "sub_close_contact", "visited_high_risk_area",
    # "visited_medium_risk_area" or "case".
    category: Mapped[str] = mapped_column(String(32))
    # What it rests on: "contact" (basis_id = contact.id), "case" (case_episode.id) or
    # "zone" (zone.id); withdrawing that withdraws the order.
    basis: Mapped[str] = mapped_column(String(12))
    basis_id: Mapped[int] = mapped_column(Integer)
    # "centralized" or "home" (the first stage's place; later stages follow in test days).
    form: Mapped[str] = mapped_column(String(16))
    preset: Mapped[str] = mapped_column(String(64))
    # The preset rule (e.g. "quarantine.categories.close_contact") and the values it
    # used, as JSON: a sentence explaining the order is built from them.
    rule: Mapped[str] = mapped_column(String(64))
    rule_values: Mapped[str] = mapped_column(Text)
    # The day periods count from (last exposure, leaving the area, or for a case the
    # isolation day), the first day under the order, the last day of its restriction
    # (inclusive) and the last day of home monitoring afterwards (None when none).
    counted_from: Mapped[date] = mapped_column(Date)
    start_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    monitoring_until: Mapped[date | None] = mapped_column(Date)
    # JSON list of {"day", "due_on", "place"}: the tests the order requires.
    test_days: Mapped[str] = mapped_column(Text)
    # "active", "released" (ended by a release), "withdrawn" (its basis was withdrawn),
    # "superseded" (replaced by a stronger order of the same resident).
    state: Mapped[str] = mapped_column(String(12))
    # Bumped on every change of form, dates or test days; one notice per version.
    version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    released_on: Mapped[date | None] = mapped_column(Date)
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    released_by: Mapped[str | None] = mapped_column(String(64))
    # The release rule applied and the results it rested on (JSON), for the record.
    release_rule: Mapped[str | None] = mapped_column(String(64))
    release_evidence: Mapped[str | None] = mapped_column(Text)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)

    changes: Mapped[list[OrderChange]] = relationship(
        back_populates="order", order_by="OrderChange.id")
    deliveries: Mapped[list[OrderDelivery]] = relationship(
        back_populates="order", order_by="OrderDelivery.id")


class OrderChange(Base):
    """One change of an order's end: the earlier end date stays visible, with the reason."""

    __tablename__ = "quarantine_order_change"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("quarantine_order.id"), index=True)
    # The order's version this change produced.
    version: Mapped[int] = mapped_column(Integer)
    # "extended", "shortened", "recomputed" (its evidence changed), "form" (centralized
    # <-> home).
    kind: Mapped[str] = mapped_column(String(12))
    previous_end_on: Mapped[date] = mapped_column(Date)
    end_on: Mapped[date] = mapped_column(Date)
    previous_form: Mapped[str | None] = mapped_column(String(16))
    form: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))

    order: Mapped[QuarantineOrder] = relationship(back_populates="changes")


class OrderDelivery(Base):
    """How (a version of) an order reached the resident: in person, by phone, by letter,
    or through someone on their behalf."""

    __tablename__ = "quarantine_order_delivery"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("quarantine_order.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    method: Mapped[str] = mapped_column(String(16))  # in_person, phone, letter, on_behalf
    # For "on_behalf": who received it and how they relate (a parent, a carer).
    received_by: Mapped[str | None] = mapped_column(String(64))
    relation: Mapped[str | None] = mapped_column(String(32))
    delivered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    recorded_by: Mapped[str] = mapped_column(String(64))

    order: Mapped[QuarantineOrder] = relationship(back_populates="deliveries")


class RoomAssignment(Base):
    """Who occupies a room, from when until when: the resident under an order, or a
    carer without one (order_id None) going along with a dependent household member."""

    __tablename__ = "room_assignment"
    __table_args__ = (
        Index("ix_room_assignment_room_id_to_at", "room_id", "to_at"),
        Index("ix_room_assignment_resident_id_to_at", "resident_id", "to_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("quarantine_order.id"),
                                                 index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"))
    room_id: Mapped[int] = mapped_column(ForeignKey("room.id"))
    role: Mapped[str] = mapped_column(String(8))  # "ordered" or "carer"
    from_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # None while the person is still there.
    to_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # The placement run that assigned it (None when assigned by hand).
    placement_run_id: Mapped[int | None] = mapped_column(Integer)
    assigned_by: Mapped[str] = mapped_column(String(64))
    # Why it ended: "released", "transferred", "hospital", "withdrawn", ...
    ended_reason: Mapped[str | None] = mapped_column(String(32))

    room: Mapped[Room] = relationship()


class OrderEvent(Base):
    """Something that happened to an order (made, changed, released, withdrawn): higher
    domains (supplies) follow these after their own cursor."""

    __tablename__ = "quarantine_order_event"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    order_id: Mapped[int] = mapped_column(Integer, index=True)
    resident_id: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime())


class PlacementRun(Base):
    """One run of the placement: everyone under a centralized order without a room, put
    in the eligible free rooms; proposed for review, then committed or discarded."""

    __tablename__ = "placement_run"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    # "proposed", "committed" or "discarded".
    state: Mapped[str] = mapped_column(String(12), index=True)
    people: Mapped[int] = mapped_column(Integer)
    households: Mapped[int] = mapped_column(Integer)
    placed_people: Mapped[int] = mapped_column(Integer)
    unplaced_people: Mapped[int] = mapped_column(Integer)
    carers: Mapped[int] = mapped_column(Integer)
    rooms_free: Mapped[int] = mapped_column(Integer)
    # The objective (minutes of travel, penalties for leaving the home city and for empty
    # beds, and the unplaced), the lower bound, the gap and the greedy baseline's cost.
    cost: Mapped[float] = mapped_column(Float)
    lower_bound: Mapped[float] = mapped_column(Float)
    gap: Mapped[float] = mapped_column(Float)
    greedy_cost: Mapped[float] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float)
    # The independent checker's findings, as JSON (all zero).
    check: Mapped[str] = mapped_column(Text)
    # A digest of the orders and rooms it read: a commit is refused when they changed.
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    decided_by: Mapped[str | None] = mapped_column(String(64))

    lines: Mapped[list[PlacementLine]] = relationship(
        back_populates="run", order_by="PlacementLine.id")


class PlacementLine(Base):
    """One person of a placement run: the room proposed, or why there is none. A carer
    without an order going along with a dependent household member has no order."""

    __tablename__ = "placement_line"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("placement_run.id"), index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("quarantine_order.id"))
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    household_id: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(8))  # "ordered" or "carer"
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"))
    # A key of placement.rules.REASONS when no room was found.
    reason: Mapped[str | None] = mapped_column(String(32))
    travel_minutes: Mapped[float | None] = mapped_column(Float)

    run: Mapped[PlacementRun] = relationship(back_populates="lines")


class TransferManifest(Base):
    """A vehicle taking people to a facility, or home from one when they are released:
    seats, route, departure, expected arrival, the driver's contact, and its lines (one
    per person)."""

    __tablename__ = "transfer_manifest"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # "to_facility" (pickup, then check-in at the facility), "return_home" (check-out
    # at the facility, check-in at the home building by the community worker) or
    # "medical_escort" (a resident under restriction taken to or back from hospital).
    purpose: Mapped[str] = mapped_column(String(24), server_default="to_facility")
    # The home building of a return home (None on the way to a facility).
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"), index=True)
    vehicle: Mapped[str] = mapped_column(String(32))
    seats: Mapped[int] = mapped_column(Integer)
    route: Mapped[str] = mapped_column(Text)
    # Where it goes (to a facility) or where it leaves from (a return home); None for a
    # medical escort, which goes to a hospital named in words (destination).
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facility.id"), index=True)
    destination: Mapped[str] = mapped_column(String(200), server_default="")
    departs_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expected_at: Mapped[datetime] = mapped_column(UtcDateTime(), index=True)
    driver_name: Mapped[str] = mapped_column(String(64))
    driver_phone: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
    # When the vehicle left (None before): nobody is added after.
    departed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    departed_by: Mapped[str | None] = mapped_column(String(64))
    # The dispatcher's note (what the driver should know, a change of plan).
    note: Mapped[str] = mapped_column(Text, server_default="")

    lines: Mapped[list[TransferLine]] = relationship(
        back_populates="manifest", order_by="TransferLine.line_no")


class TransferLine(Base):
    """One person on a manifest: checked out at pickup, checked in at the facility. Not
    checked in by the expected arrival plus the grace period, the line raises an alert
    that stays until resolved with a reason."""

    __tablename__ = "transfer_line"
    __table_args__ = (UniqueConstraint("manifest_id", "line_no"),
                      UniqueConstraint("manifest_id", "resident_id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    manifest_id: Mapped[int] = mapped_column(ForeignKey("transfer_manifest.id"))
    line_no: Mapped[int] = mapped_column(Integer)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    # The order the person travels under (None for a carer going along).
    order_id: Mapped[int | None] = mapped_column(ForeignKey("quarantine_order.id"))
    room_id: Mapped[int | None] = mapped_column(ForeignKey("room.id"))
    checked_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    checked_out_by: Mapped[str | None] = mapped_column(String(64))
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    checked_in_by: Mapped[str | None] = mapped_column(String(64))
    # An alert's resolution: "arrived_late", "hospital", "other_facility", "home_order",
    # "not_travelling", with a note.
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    resolved_by: Mapped[str | None] = mapped_column(String(64))
    resolution: Mapped[str | None] = mapped_column(String(24))
    resolution_note: Mapped[str | None] = mapped_column(Text)

    manifest: Mapped[TransferManifest] = relationship(back_populates="lines")


class TransferManifestChange(Base):
    """One change of a manifest's dispatch details (vehicle, seats, driver, route, times,
    note): who changed which field when, from what to what."""

    __tablename__ = "transfer_manifest_change"

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    manifest_id: Mapped[int] = mapped_column(ForeignKey("transfer_manifest.id"), index=True)
    field: Mapped[str] = mapped_column(String(16))
    old_value: Mapped[str] = mapped_column(Text)
    new_value: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str] = mapped_column(String(64))


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
