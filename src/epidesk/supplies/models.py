"""Household supplies: restricted households, recorded needs, requests, delivery batches,
depots, stock lots and the append-only movement log."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epidesk.db import Base, UtcDateTime
from epidesk.kit.imports import ImportedFile


class SupplyHousehold(Base):
    """A household supplies serves: under a stay-home zone or a home order, since a day,
    with the day of its last delivery at the door."""

    __tablename__ = "supply_household"

    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    # "zone" (stay-home zone) or "home_order" (home quarantine).
    source: Mapped[str] = mapped_column(String(16))
    restricted_since: Mapped[date] = mapped_column(Date)
    # The first day no longer restricted; None while restricted.
    restricted_until: Mapped[date | None] = mapped_column(Date, index=True)
    last_delivery_on: Mapped[date | None] = mapped_column(Date)


class HouseholdNeed(Base):
    """A need a community worker recorded for a household beyond what its members' records
    say (a special diet, a medicine, a disability aid), with who recorded it."""

    __tablename__ = "supply_household_need"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # rules.NEED_KINDS
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_on: Mapped[date | None] = mapped_column(Date)


class SupplyRequest(Base):
    """A request for supplies from any channel; the household it names is matched inside
    and never shown to whoever filed it publicly."""

    __tablename__ = "supply_request"
    __table_args__ = (Index("ix_supply_request_status_household", "status", "household_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What the filer is given to follow the request: random, never an id.
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    channel: Mapped[str] = mapped_column(String(12))  # web, phone, community
    household_id: Mapped[int | None] = mapped_column(ForeignKey("household.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id"), index=True)
    address_text: Mapped[str] = mapped_column(Text)
    contact_name: Mapped[str] = mapped_column(String(64))
    contact_phone: Mapped[str] = mapped_column(String(20))
    # The items' keys, sorted and comma-separated ("food_pack,nappies").
    items: Mapped[str] = mapped_column(String(200))
    urgency: Mapped[str] = mapped_column(String(8))  # normal, urgent, medical
    note: Mapped[str] = mapped_column(Text, default="")
    # open, planned (in a batch), delivered, cancelled
    status: Mapped[str] = mapped_column(String(12))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime())
    received_on: Mapped[date] = mapped_column(Date, index=True)
    served_on: Mapped[date | None] = mapped_column(Date)
    entered_by: Mapped[str] = mapped_column(String(64))
    # Later submissions of the same household and items while this one was open.
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    # A keyed digest of the public filer's network address, for rate limiting only.
    source_key: Mapped[str | None] = mapped_column(String(64), index=True)


class Depot(Base):
    """A store of supplies serving a district, or the vaccine store of a vaccination
    site (kind "vaccination_site"), which delivery batches never pick from."""

    __tablename__ = "supply_depot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    # "supplies" or "vaccination_site".
    kind: Mapped[str] = mapped_column(String(20), default="supplies",
                                      server_default="supplies")


class StockLot(Base):
    """What a depot holds of one item from one lot (counted, never negative)."""

    __tablename__ = "supply_stock_lot"
    __table_args__ = (UniqueConstraint("depot_id", "item", "lot"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    depot_id: Mapped[int] = mapped_column(ForeignKey("supply_depot.id"), index=True)
    item: Mapped[str] = mapped_column(String(24))
    lot: Mapped[str] = mapped_column(String(40))
    expires_on: Mapped[date | None] = mapped_column(Date)
    on_hand: Mapped[int] = mapped_column(Integer)


class StockReceipt(ImportedFile, Base):
    """An imported file of goods received at depots."""

    __tablename__ = "supply_stock_receipt"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lines: Mapped[int] = mapped_column(Integer, default=0)


class StockMovement(Base):
    """One movement of stock, appended and never changed: receipt, issue, transfer (out of
    one depot and into another), or adjustment with its reason."""

    __tablename__ = "supply_stock_movement"
    __table_args__ = (Index("ix_supply_stock_movement_depot_item_day", "depot_id", "item",
                            "on_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    depot_id: Mapped[int] = mapped_column(ForeignKey("supply_depot.id"))
    item: Mapped[str] = mapped_column(String(24))
    lot: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(16))  # receipt, issue, transfer, adjustment
    quantity: Mapped[int] = mapped_column(Integer)  # signed: + into the depot, - out
    reason: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    on_day: Mapped[date] = mapped_column(Date)
    actor: Mapped[str] = mapped_column(String(64))
    receipt_id: Mapped[int | None] = mapped_column(ForeignKey("supply_stock_receipt.id"),
                                                   index=True)
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("supply_batch.id"), index=True)


class DeliveryBatch(Base):
    """The deliveries of one building on one day, for one volunteer or courier, picked at
    one depot; held (with its reason) when the depot cannot equip or stock it."""

    __tablename__ = "supply_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    on_day: Mapped[date] = mapped_column(Date, index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"), index=True)
    depot_id: Mapped[int | None] = mapped_column(ForeignKey("supply_depot.id"), index=True)
    # The building's place in the day's round (highest priority first).
    rank: Mapped[int] = mapped_column(Integer)
    score: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(8))  # ready, held, done
    hold_reason: Mapped[str] = mapped_column(Text, default="")
    # Whether the depot issued the protective equipment the volunteer carries.
    equipped: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    created_by: Mapped[str] = mapped_column(String(64))

    deliveries: Mapped[list[Delivery]] = relationship(back_populates="batch",
                                                      order_by="Delivery.stop")


class Delivery(Base):
    """One household's delivery in a batch: confirmed at the door, or failed with a reason
    (which puts the household back in the queue)."""

    __tablename__ = "supply_delivery"
    __table_args__ = (Index("ix_supply_delivery_household_status", "household_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("supply_batch.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"))
    request_id: Mapped[int | None] = mapped_column(ForeignKey("supply_request.id"), index=True)
    stop: Mapped[int] = mapped_column(Integer)  # order inside the building
    score: Mapped[float] = mapped_column(Float)
    # The items and quantities, "food_pack:6,nappies:18".
    items: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(12))  # planned, delivered, failed
    reason: Mapped[str] = mapped_column(Text, default="")
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    closed_by: Mapped[str | None] = mapped_column(String(64))

    batch: Mapped[DeliveryBatch] = relationship(back_populates="deliveries")
