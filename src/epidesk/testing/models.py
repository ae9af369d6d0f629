"""Lab batches, tubes, samples and retest orders."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import (
    Boolean,
    Date,
    Float,
    Identity,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from epidesk.db import Base, UtcDateTime
from epidesk.kit import clock
from epidesk.kit.imports import ImportedFile

# A tube's or a sample's code is a lab's barcode: compared byte by byte (the C collation)
# on PostgreSQL, where a language's collation would only make each of the unique index's
# comparisons dearer, for every row written.
CODE = String(32).with_variant(String(32, collation="C"), "postgresql")


class LabBatch(ImportedFile, Base):
    """One file of results released by a lab: accepted whole, or rejected with its report."""

    __tablename__ = "lab_batch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    file_format: Mapped[str] = mapped_column(String(8))  # "csv" or "parquet"
    labs: Mapped[str] = mapped_column(String(255))
    rows: Mapped[int] = mapped_column(Integer)
    tubes: Mapped[int] = mapped_column(Integer)
    pooled_tubes: Mapped[int] = mapped_column(Integer)
    positive_tubes: Mapped[int] = mapped_column(Integer)
    invalid_tubes: Mapped[int] = mapped_column(Integer)
    # Tubes the preset's Ct rule reads differently from the outcome the lab wrote.
    reread_tubes: Mapped[int] = mapped_column(Integer)
    retests_ordered: Mapped[int] = mapped_column(Integer)
    retests_resolved: Mapped[int] = mapped_column(Integer)
    # Counted by the case registry as it follows the batch's positive results.
    cases_created: Mapped[int] = mapped_column(Integer)
    repositives_linked: Mapped[int] = mapped_column(Integer)
    preset: Mapped[str] = mapped_column(String(64))


# Tubes and samples arrive by the million and are written only by the batch ingest, which
# checks every resident id and creates every tube and batch it refers to in the same
# transaction; so are the retest orders of its positive pools. They carry no foreign-key
# constraints: a per-row key check would cost a
# query per row and lock (and so rewrite) the resident's row for every swab of every
# round. The relationships below are declared for reading.


class Tube(Base):
    """A tube tested by a lab: one swab (single) or several (pooled)."""

    __tablename__ = "tube"
    # A batch's tubes are written together, one after the other: on PostgreSQL a block
    # range index finds them, for a fraction of what a B-tree of one repeated batch id
    # costs every tube written.
    __table_args__ = (Index("ix_tube_batch_id", "batch_id", postgresql_using="brin"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(CODE, unique=True)
    batch_id: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))  # "single" or "pooled"
    pool_size: Mapped[int] = mapped_column(Integer)
    lab: Mapped[str] = mapped_column(String(100))
    collection_site: Mapped[str] = mapped_column(String(100))
    # The first swab put into the tube.
    collected_at: Mapped[datetime] = mapped_column(UtcDateTime())
    result_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # The lab's reported outcome; the platform's reading follows the preset's Ct rule.
    reported_outcome: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(8))  # positive, negative, invalid
    ct_orf1ab: Mapped[float | None] = mapped_column(Float)
    ct_n: Mapped[float | None] = mapped_column(Float)
    ct_e: Mapped[float | None] = mapped_column(Float)

    batch: Mapped[LabBatch] = relationship(
        primaryjoin="foreign(Tube.batch_id) == LabBatch.id", viewonly=True)
    samples: Mapped[list[Sample]] = relationship(
        back_populates="tube", order_by="Sample.id",
        primaryjoin="Tube.id == foreign(Sample.tube_id)", viewonly=True)


class Sample(Base):
    """One swab from one resident, in a tube."""

    __tablename__ = "sample"

    # An identity column: the database numbers rows written without an id; a lab
    # file's rows copied while it is read bring ids taken ahead from its sequence.
    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    code: Mapped[str] = mapped_column(CODE, unique=True)
    tube_id: Mapped[int] = mapped_column(Integer, index=True)
    resident_id: Mapped[int] = mapped_column(Integer, index=True)
    collected_at: Mapped[datetime] = mapped_column(UtcDateTime())

    tube: Mapped[Tube] = relationship(
        back_populates="samples", primaryjoin="foreign(Sample.tube_id) == Tube.id",
        viewonly=True)


class RetestOrder(Base):
    """A single-tube retest ordered for a member of a positive (or invalid) tube."""

    __tablename__ = "retest_order"
    __table_args__ = (
        Index("ix_retest_order_status_ordered_at", "status", "ordered_at"),
        Index("ix_retest_order_resident_id_status", "resident_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, Identity(), primary_key=True)
    resident_id: Mapped[int] = mapped_column(Integer)
    # The tube whose result called for the retest.
    tube_id: Mapped[int] = mapped_column(Integer, index=True)
    reason: Mapped[str] = mapped_column(String(16))  # pool_positive, invalid
    ordered_at: Mapped[datetime] = mapped_column(UtcDateTime())
    # open (retest due), negative or positive (resolved by a later single tube)
    status: Mapped[str] = mapped_column(String(16))
    resolved_by_tube_id: Mapped[int | None] = mapped_column(Integer)
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class PositiveResult(Base):
    """An event: a positive single-tube result was ingested (the case registry follows these).

    Times are stored in UTC with the UTC offset the lab wrote each in, so that followers
    see the lab's own calendar dates.
    """

    __tablename__ = "positive_result"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(Integer, index=True)
    resident_id: Mapped[int] = mapped_column(Integer)
    tube_id: Mapped[int] = mapped_column(Integer)
    sample_code: Mapped[str] = mapped_column(String(32))
    collected_at: Mapped[datetime] = mapped_column(UtcDateTime())
    collected_offset: Mapped[int] = mapped_column(Integer)  # seconds east of UTC
    result_at: Mapped[datetime] = mapped_column(UtcDateTime())
    result_offset: Mapped[int] = mapped_column(Integer)  # seconds east of UTC
    onset_date: Mapped[date | None] = mapped_column(Date)
    imported: Mapped[bool] = mapped_column(Boolean)
    # When the resident was isolated as a member of a positive pool, if they were.
    isolated_at: Mapped[datetime | None] = mapped_column(UtcDateTime())

    @property
    def collected_local(self) -> datetime:
        """When the swab was taken, in the offset the lab wrote it in."""
        return _in_offset(self.collected_at, self.collected_offset)

    @property
    def result_local(self) -> datetime:
        """When the lab released the result, in the offset the lab wrote it in."""
        return _in_offset(self.result_at, self.result_offset)


def _in_offset(moment: datetime, seconds: int) -> datetime:
    return clock.aware(moment).astimezone(timezone(timedelta(seconds=seconds)))
