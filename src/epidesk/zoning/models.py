"""Risk zones, the cases that triggered them, their history and their testing rounds."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Identity, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epidesk.db import Base, UtcDateTime


class Zone(Base):
    """A risk zone under one preset: an area of the geometry tree (or a venue) at a level."""

    __tablename__ = "zone"
    __table_args__ = (
        Index("ix_zone_preset_status", "preset", "status"),
        Index("ix_zone_preset_area_key", "preset", "area_key"),
        Index("ix_zone_preset_drawn_key", "preset", "drawn_key"),
        Index("ix_zone_building_id", "building_id"),
    )

    # Identity columns: zones and their changes are written in bulk (binary COPY).
    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    preset: Mapped[str] = mapped_column(String(64))
    # "household:<address>", "floor:<unit*1000+floor>", "unit:<id>", "building:<id>",
    # "compound:<community>", "venue:<id>" or "district:<id>" (the low-risk rest).
    area_key: Mapped[str] = mapped_column(String(40))
    area_kind: Mapped[str] = mapped_column(String(16))
    # The area the preset's rules drew; a manual change moves area_key, never this.
    drawn_key: Mapped[str] = mapped_column(String(40))
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    subdistrict_id: Mapped[int | None] = mapped_column(ForeignKey("subdistrict.id"))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("building.id"))
    label: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(8))  # high, medium, low
    # The level before the last step down (a rule may depend on it).
    formerly: Mapped[str | None] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(8))  # active, lifted
    rule: Mapped[str] = mapped_column(String(64))  # the preset rule that drew the zone
    origin: Mapped[str] = mapped_column(String(8))  # rule, manual
    residents: Mapped[int] = mapped_column(Integer)
    households: Mapped[int] = mapped_column(Integer)
    opened_on: Mapped[date] = mapped_column(Date)
    # The day the current level began, and the sampling day of the last linked infection:
    # the step-down clock runs from the later of the two.
    level_since: Mapped[date] = mapped_column(Date)
    last_infection_on: Mapped[date | None] = mapped_column(Date)
    planned_end: Mapped[date | None] = mapped_column(Date)
    lifted_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())

    triggers: Mapped[list[ZoneTrigger]] = relationship(
        back_populates="zone", order_by="ZoneTrigger.case_id")


class ZoneTrigger(Base):
    """A case that drew (or keeps) a zone: it lived there, or stayed there, while infectious."""

    __tablename__ = "zone_trigger"

    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("case_episode.id"), primary_key=True)
    link: Mapped[str] = mapped_column(String(12))  # residence, place
    sampling_date: Mapped[date] = mapped_column(Date)

    zone: Mapped[Zone] = relationship(back_populates="triggers")


class ZoneChange(Base):
    """One change of a zone on a city day: the history that replays any past day."""

    __tablename__ = "zone_change"
    __table_args__ = (Index("ix_zone_change_zone_id_on_day", "zone_id", "on_day"),)

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"))
    on_day: Mapped[date] = mapped_column(Date, index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime())
    # opened, restarted, stepped_down, lifted, widened, narrowed, withdrawn
    kind: Mapped[str] = mapped_column(String(16))
    from_level: Mapped[str | None] = mapped_column(String(8))
    to_level: Mapped[str] = mapped_column(String(8))  # a level, or "lifted"
    area_key: Mapped[str] = mapped_column(String(40))
    residents: Mapped[int] = mapped_column(Integer)
    households: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    # An administrator's override of the preset's granularity, and its category of reason
    # (shown publicly; the free text stays on staff pages).
    override: Mapped[bool] = mapped_column(Boolean)
    reason_category: Mapped[str | None] = mapped_column(String(32))


class ZoneTally(Base):
    """A zone's testing on one city day: residents sampled, and those in a positive tube."""

    __tablename__ = "zone_tally"

    zone_id: Mapped[int] = mapped_column(ForeignKey("zone.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    sampled: Mapped[int] = mapped_column(Integer)
    positive: Mapped[int] = mapped_column(Integer)


class ZoneSample(Base):
    """A resident of a zone sampled on a day (the round's list for community workers).

    Written in bulk for every lab batch; the zone is one in force, read in the same
    transaction, and zones are never deleted, so no foreign key is checked row by row."""

    __tablename__ = "zone_sample"

    zone_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    resident_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    positive: Mapped[bool] = mapped_column(Boolean)
