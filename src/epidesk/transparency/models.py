"""Publications: what was published for a day, its files, its rendered pages, its revisions.

Nothing here names a person: every row holds aggregates after suppression. A
publication's rows are written once and never changed; a correction is a new version.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from epidesk.db import Base, UtcDateTime
from epidesk.transparency.trajectories.models import TrajectoryEntry

__all__ = [
    "Publication",
    "PublicationRevision",
    "PublishedFile",
    "PublishedPage",
    "TrajectoryEntry",
]


class Publication(Base):
    """One publication of a city day's public figures (version 1, then corrections)."""

    __tablename__ = "publication"
    __table_args__ = (UniqueConstraint("day", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer)
    # SHA-256 of every figure it shows: publishing an unchanged day again adds nothing.
    digest: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime())
    published_by: Mapped[str] = mapped_column(String(64))
    threshold: Mapped[int] = mapped_column(Integer)
    # The suppressed tables as JSON (names, kinds, cells as shown): the snapshot of the
    # day and what the next publication compares its figures with.
    tables: Mapped[str] = mapped_column(Text, deferred=True)


class PublishedFile(Base):
    """An open-data file of a publication; its bytes never change."""

    __tablename__ = "published_file"
    __table_args__ = (UniqueConstraint("publication_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    table_name: Mapped[str] = mapped_column(String(80))
    format: Mapped[str] = mapped_column(String(8))
    scope: Mapped[str] = mapped_column(String(12))  # day, history, dictionary
    digest: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class PublishedPage(Base):
    """A public page of a publication, rendered once in one language."""

    __tablename__ = "published_page"
    __table_args__ = (Index("uq_published_page_publication_id_path_language",
                            "publication_id", "path", "language", unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id"), index=True)
    path: Mapped[str] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(8))
    etag: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)


class PublicationRevision(Base):
    """A past figure a publication states differently from the one before it, and why."""

    __tablename__ = "publication_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    publication_id: Mapped[int] = mapped_column(ForeignKey("publication.id"), index=True)
    table_name: Mapped[str] = mapped_column(String(80))
    day: Mapped[str] = mapped_column(String(10))
    area: Mapped[str] = mapped_column(String(120))
    column_name: Mapped[str] = mapped_column(String(80))
    before: Mapped[str] = mapped_column(String(24))
    after: Mapped[str] = mapped_column(String(24))
    reason_en: Mapped[str] = mapped_column(Text)
    reason_zh: Mapped[str] = mapped_column(Text)
