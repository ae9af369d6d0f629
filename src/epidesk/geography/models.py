"""Places: city > district > subdistrict > community > building > unit > address."""

from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epidesk.db import Base


class City(Base):
    """The home city, or a neighbouring city that may host quarantine facilities."""

    __tablename__ = "city"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_local: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))  # "home" or "neighbour"
    centroid_lat: Mapped[float] = mapped_column(Float)
    centroid_lon: Mapped[float] = mapped_column(Float)
    distance_km: Mapped[float] = mapped_column(Float)
    population: Mapped[int] = mapped_column(Integer)

    districts: Mapped[list[District]] = relationship(back_populates="city")


class District(Base):
    """An urban district or county of the home city."""

    __tablename__ = "district"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_id: Mapped[int] = mapped_column(ForeignKey("city.id"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_local: Mapped[str] = mapped_column(String(100))
    centroid_lat: Mapped[float] = mapped_column(Float)
    centroid_lon: Mapped[float] = mapped_column(Float)
    population: Mapped[int] = mapped_column(Integer)

    city: Mapped[City] = relationship(back_populates="districts")
    subdistricts: Mapped[list[Subdistrict]] = relationship(
        back_populates="district", order_by="Subdistrict.code"
    )


class Subdistrict(Base):
    """A subdistrict (street office or town) inside a district."""

    __tablename__ = "subdistrict"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("district.id"), index=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_local: Mapped[str] = mapped_column(String(100))
    centroid_lat: Mapped[float] = mapped_column(Float)
    centroid_lon: Mapped[float] = mapped_column(Float)
    population: Mapped[int] = mapped_column(Integer)

    district: Mapped[District] = relationship(back_populates="subdistricts")
    communities: Mapped[list[Community]] = relationship(
        back_populates="subdistrict", order_by="Community.code"
    )


class Community(Base):
    """A residential compound (community): the smallest area most rules name."""

    __tablename__ = "community"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subdistrict_id: Mapped[int] = mapped_column(ForeignKey("subdistrict.id"), index=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_local: Mapped[str] = mapped_column(String(100))
    centroid_lat: Mapped[float] = mapped_column(Float)
    centroid_lon: Mapped[float] = mapped_column(Float)
    # Polygon ring as JSON [[lon, lat], ...], closed (first point repeated last).
    polygon: Mapped[str] = mapped_column(Text)
    population: Mapped[int] = mapped_column(Integer)

    subdistrict: Mapped[Subdistrict] = relationship(back_populates="communities")
    buildings: Mapped[list[Building]] = relationship(
        back_populates="community", order_by="Building.number"
    )


class Building(Base):
    """A residential building inside a community."""

    __tablename__ = "building"
    __table_args__ = (UniqueConstraint("community_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    number: Mapped[int] = mapped_column(Integer)
    floors: Mapped[int] = mapped_column(Integer)
    centroid_lat: Mapped[float] = mapped_column(Float)
    centroid_lon: Mapped[float] = mapped_column(Float)
    polygon: Mapped[str] = mapped_column(Text)

    community: Mapped[Community] = relationship(back_populates="buildings")
    units: Mapped[list[Unit]] = relationship(back_populates="building", order_by="Unit.number")


class Unit(Base):
    """A stairwell entrance (unit) of a building."""

    __tablename__ = "unit"
    __table_args__ = (UniqueConstraint("building_id", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("building.id"))
    number: Mapped[int] = mapped_column(Integer)

    building: Mapped[Building] = relationship(back_populates="units")
    addresses: Mapped[list[Address]] = relationship(
        back_populates="unit", order_by="(Address.floor, Address.door)"
    )


class Address(Base):
    """A flat: unit, floor and door; the address a household lives at."""

    __tablename__ = "address"
    __table_args__ = (
        UniqueConstraint("unit_id", "floor", "door"),
        Index("ix_address_community_id", "community_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    # Denormalised from unit > building so area queries need no four-table join.
    community_id: Mapped[int] = mapped_column(ForeignKey("community.id"))
    floor: Mapped[int] = mapped_column(Integer)
    door: Mapped[int] = mapped_column(Integer)

    unit: Mapped[Unit] = relationship(back_populates="addresses")

    @property
    def flat_number(self) -> str:
        """The flat number as written on a door: floor then two-digit door."""
        return f"{self.floor}{self.door:02d}"
