"""Residents, households, work groups, school classes and venues."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epidesk.db import Base, UtcDateTime
from epidesk.geography.models import Address, Community


class Household(Base):
    """People who live together at one address."""

    __tablename__ = "household"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address_id: Mapped[int] = mapped_column(ForeignKey("address.id"), unique=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    # Whether the home allows home quarantine (own room and bathroom for the person).
    home_suitable: Mapped[bool] = mapped_column(Boolean)

    address: Mapped[Address] = relationship()
    residents: Mapped[list[Resident]] = relationship(
        back_populates="household", order_by="Resident.birth_date"
    )


class Resident(Base):
    """A person living in the city: from the resident register, or registered by staff
    (a traveller, a migrant worker, a newborn); a merged record stays as a tombstone."""

    __tablename__ = "resident"
    __table_args__ = (
        # Prefix search walks these in order; id makes the order total for paging.
        Index(
            "ix_resident_name_search_id",
            "name_search",
            "id",
            postgresql_ops={"name_search": "text_pattern_ops"},
        ),
        Index("ix_resident_name_id", "name", "id", postgresql_ops={"name": "text_pattern_ops"}),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    # Denormalised from the household for area-scoped queries.
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    # The identity document: a resident id card (18 characters) unless id_type says
    # otherwise. Newborns and some travellers have none yet. Not unique: two records of
    # one person are found as likely duplicates and merged.
    id_type: Mapped[str] = mapped_column(String(16), server_default="id_card")
    id_number: Mapped[str | None] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(32))
    name_latin: Mapped[str] = mapped_column(String(64))
    # Lower-case latin name for prefix search ("wang xiuying").
    name_search: Mapped[str] = mapped_column(String(64))
    sex: Mapped[str] = mapped_column(String(1))  # "F" or "M"
    birth_date: Mapped[date] = mapped_column(Date)
    phone: Mapped[str | None] = mapped_column(String(20), index=True)
    has_smartphone: Mapped[bool] = mapped_column(Boolean)
    pregnant: Mapped[bool] = mapped_column(Boolean)
    disability: Mapped[bool] = mapped_column(Boolean)
    chronic_medication: Mapped[bool] = mapped_column(Boolean)
    # Registered by staff rather than loaded from the resident register: traveller,
    # migrant_worker, newborn or other (None for the register's own records).
    registration_kind: Mapped[str | None] = mapped_column(String(16))
    registration_source: Mapped[str | None] = mapped_column(String(64))
    registered_by: Mapped[str | None] = mapped_column(String(64))
    registered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    # Set when this record was merged into another: it then only points there.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("resident.id"), index=True)
    # The language of the letters the resident receives: "zh" (Simplified Chinese) or "en".
    language: Mapped[str] = mapped_column(String(8), default="zh", server_default="zh")

    household: Mapped[Household] = relationship(back_populates="residents")
    community: Mapped[Community] = relationship()


class HouseholdMembership(Base):
    """A resident's stay in a household, with dates; the open one is Resident.household_id."""

    __tablename__ = "household_membership"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("household.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    # The last day lived there; None while the resident still lives there.
    end_date: Mapped[date | None] = mapped_column(Date)

    household: Mapped[Household] = relationship()
    resident: Mapped[Resident] = relationship()


class PersonMerge(Base):
    """Two records of one person made one: who merged them, when, why, and what moved."""

    __tablename__ = "person_merge"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    merged_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), unique=True)
    merged_at: Mapped[datetime] = mapped_column(UtcDateTime())
    merged_by: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    # What each domain moved and how conflicts were settled, one line each.
    outcome: Mapped[str] = mapped_column(Text)


class Workplace(Base):
    """A place of work: factory, office, shop, hospital staff, school staff..."""

    __tablename__ = "workplace"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)

    groups: Mapped[list[WorkGroup]] = relationship(back_populates="workplace")


class WorkGroup(Base):
    """A team that shares an office, workshop or shift (5-40 people)."""

    __tablename__ = "work_group"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    workplace_id: Mapped[int] = mapped_column(ForeignKey("workplace.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))

    workplace: Mapped[Workplace] = relationship(back_populates="groups")


class WorkGroupMembership(Base):
    """A resident's membership of a work group, with dates."""

    __tablename__ = "work_group_membership"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    work_group_id: Mapped[int] = mapped_column(ForeignKey("work_group.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)

    work_group: Mapped[WorkGroup] = relationship()
    resident: Mapped[Resident] = relationship()


class School(Base):
    """A kindergarten, primary, middle or high school."""

    __tablename__ = "school"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)

    classes: Mapped[list[SchoolClass]] = relationship(back_populates="school")


class SchoolClass(Base):
    """A class of pupils who share a classroom."""

    __tablename__ = "school_class"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_id: Mapped[int] = mapped_column(ForeignKey("school.id"), index=True)
    grade: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(50))

    school: Mapped[School] = relationship(back_populates="classes")


class ClassMembership(Base):
    """A pupil's or teacher's membership of a school class, with dates."""

    __tablename__ = "class_membership"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    school_class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), index=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("resident.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # "pupil" or "teacher"
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)

    school_class: Mapped[SchoolClass] = relationship()
    resident: Mapped[Resident] = relationship()


class Venue(Base):
    """A public place people visit: market, supermarket, restaurant, hospital..."""

    __tablename__ = "venue"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    # Whether the indoor space is enclosed (matters for sub-close contact rules).
    enclosed: Mapped[bool] = mapped_column(Boolean)
