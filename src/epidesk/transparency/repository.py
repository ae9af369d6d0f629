"""Every query of the transparency domain: publications, their files, pages and revisions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epidesk.transparency.models import (
    Publication,
    PublicationRevision,
    PublishedFile,
    PublishedPage,
)


def latest(session: Session, *, day: date | None = None, before: date | None = None
           ) -> Publication | None:
    """The newest publication: of one day, of the days before one, or of any day."""
    stmt = select(Publication)
    if day is not None:
        stmt = stmt.where(Publication.day == day)
    if before is not None:
        stmt = stmt.where(Publication.day < before)
    return session.scalars(stmt.order_by(Publication.day.desc(), Publication.version.desc())
                           .limit(1)).first()


def latest_stamp(session: Session) -> tuple[int, str] | None:
    """(id, digest) of the newest publication: the stamp the page cache checks."""
    row = session.execute(select(Publication.id, Publication.digest).order_by(
        Publication.day.desc(), Publication.version.desc()).limit(1)).first()
    return (int(row[0]), str(row[1])) if row is not None else None


def publication(session: Session, *, day: date, version: int) -> Publication | None:
    """One version of one day's publication."""
    return session.scalars(select(Publication).where(
        Publication.day == day, Publication.version == version)).first()


def publications(session: Session) -> Sequence[Publication]:
    """Every publication, newest day first, newest version first."""
    return session.scalars(select(Publication).order_by(
        Publication.day.desc(), Publication.version.desc())).all()


def next_version(session: Session, day: date) -> int:
    """The version number a new publication of the day gets."""
    return (session.scalar(select(func.max(Publication.version))
                           .where(Publication.day == day)) or 0) + 1


def add(session: Session, row: Publication | PublishedFile | PublishedPage
        | PublicationRevision) -> None:
    """Write one row."""
    session.add(row)


def files_of(session: Session, publication_id: int) -> Sequence[PublishedFile]:
    """A publication's files without their bytes loaded, by name."""
    return session.scalars(select(PublishedFile).where(
        PublishedFile.publication_id == publication_id).order_by(PublishedFile.name)).all()


def file(session: Session, publication_id: int, name: str) -> PublishedFile | None:
    """One file of a publication."""
    return session.scalars(select(PublishedFile).where(
        PublishedFile.publication_id == publication_id, PublishedFile.name == name)).first()


def page(session: Session, publication_id: int, path: str, language: str
         ) -> PublishedPage | None:
    """One rendered page of a publication."""
    return session.scalars(select(PublishedPage).where(
        PublishedPage.publication_id == publication_id, PublishedPage.path == path,
        PublishedPage.language == language)).first()


def revisions(session: Session, *, limit: int = 500) -> Sequence[
        tuple[PublicationRevision, Publication]]:
    """The newest revisions of past figures with the publication that made each."""
    rows = session.execute(
        select(PublicationRevision, Publication)
        .join(Publication, Publication.id == PublicationRevision.publication_id)
        .order_by(Publication.day.desc(), Publication.version.desc(),
                  PublicationRevision.id).limit(limit)).all()
    return [(r, p) for r, p in rows]
