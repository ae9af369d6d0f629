"""The publication step: gather every domain's public tables, suppress, store, render.

`publish` is the daily job, the command `epidesk transparency publish` and the staff
page's button. It is idempotent: a day whose figures are unchanged is not published
again; changed figures of a day already published make a new version beside the first.
Pages and files are made here, once per publication; a page view reads them as stored.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from epidesk.config import get_settings
from epidesk.errors import DomainError, NotFoundError, ValidationFailedError
from epidesk.kit import clock, i18n
from epidesk.kit.publication import RevisionNote, public_revisions, public_tables
from epidesk.transparency import engine, repository, rules
from epidesk.transparency.models import (
    Publication,
    PublicationRevision,
    PublishedFile,
    PublishedPage,
)
from epidesk.transparency.site.service import render_pages


class UnexplainedNegativeError(DomainError):
    """A count would be published negative without a note explaining it."""

    status = 409
    title = "A negative figure has no explanation"


@dataclass(frozen=True)
class PublishResult:
    """What one run of the publication step did."""

    publication: Publication
    created: bool  # False: the day's figures were unchanged, nothing was written
    files: int
    revisions: int


def publish(session: Session, *, day: date | None = None, actor: str,
            now: datetime | None = None) -> PublishResult:
    """Publish a city day's public figures (today when no day is given)."""
    moment = clock.aware(now or clock.now())
    today = clock.city_today(moment)
    day = day or today
    if day > today:
        raise ValidationFailedError(f"day {day.isoformat()} has not begun: a publication is "
                                    f"for today ({today.isoformat()}) or a past day")
    threshold = get_settings().public_small_count
    tables = rules.publish_tables(public_tables(session, day=day), threshold=threshold)
    digest = rules.digest(tables)
    same_day = repository.latest(session, day=day)
    if same_day is not None and same_day.digest == digest:
        return PublishResult(same_day, created=False,
                             files=len(repository.files_of(session, same_day.id)), revisions=0)
    previous = same_day or repository.latest(session, before=day)
    canonical = rules.canonical(tables)
    notes = (public_revisions(session, since=clock.aware(previous.published_at), until=moment)
             if previous is not None else [])
    negatives = rules.unexplained_negatives(tables, {(n.table, n.day.isoformat())
                                                     for n in notes})
    if negatives:
        table, when, column = negatives[0]
        raise UnexplainedNegativeError(
            f"{table} would show a negative {column} on {when} with no note saying why")
    version = repository.next_version(session, day)
    publication = Publication(day=day, version=version, digest=digest, published_at=moment,
                              published_by=actor, threshold=threshold,
                              tables=json.dumps(canonical, ensure_ascii=False))
    repository.add(session, publication)
    session.flush()
    files = engine.data_files(tables, day=day, version=version)
    for f in files:
        repository.add(session, PublishedFile(
            publication_id=publication.id, name=f.name, table_name=f.table, format=f.format,
            scope=f.scope, digest=f.digest, size=len(f.content), content=f.content))
    revisions = []
    if previous is not None:
        up_to = previous.day.isoformat()
        revisions = [_revision(publication.id, change, notes) for change in
                     rules.changes(json.loads(previous.tables), canonical, up_to=up_to)]
        for revision in revisions:
            repository.add(session, revision)
    session.flush()
    _store_pages(session, publication, tables)
    return PublishResult(publication, created=True, files=len(files), revisions=len(revisions))


def _revision(publication_id: int, change: rules.Change, notes: Sequence[RevisionNote]
              ) -> PublicationRevision:
    reasons = [n.reason for n in notes if _explains(n, change)]
    words = {}
    for language in i18n.LANGUAGES:
        with i18n.using(language):
            found = "; ".join(dict.fromkeys(str(r()) for r in reasons))
            words[language] = found or i18n.gettext(
                "Records were completed or corrected after the earlier publication.")
    return PublicationRevision(
        publication_id=publication_id, table_name=change.table, day=change.day,
        area=change.area[:120], column_name=change.column, before=change.before[:24],
        after=change.after[:24], reason_en=words[i18n.ENGLISH], reason_zh=words[i18n.CHINESE])


def _explains(note: RevisionNote, change: rules.Change) -> bool:
    """Whether a domain's note is about a changed figure (a weekly table's figure is
    explained by the notes on its daily table's days of that week)."""
    if note.table == change.table:
        return note.day.isoformat() == change.day
    weekly = change.table.removesuffix("_weekly")
    return (change.table.endswith("_weekly") and note.table == weekly + "_daily"
            and rules.week_start(note.day).isoformat() == change.day)


def _store_pages(session: Session, publication: Publication,
                 tables: Sequence[rules.Published]) -> None:
    context = {
        "publication": publication,
        "tables": tables,
        "publications": repository.publications(session),
        "files": repository.files_of(session, publication.id),
        "revisions": repository.revisions(session),
    }
    for page in render_pages(context):
        repository.add(session, PublishedPage(
            publication_id=publication.id, path=page.path, language=page.language,
            etag=page.etag, body=page.body))
    session.flush()


# ------------------------------------------------------------------ reading what was published

def latest_publication(session: Session) -> Publication | None:
    """The newest publication, if any."""
    return repository.latest(session)


def latest_stamp(session: Session) -> tuple[int, str] | None:
    """(id, digest) of the newest publication: the stamp the page cache checks."""
    return repository.latest_stamp(session)


def stored_page(session: Session, *, publication_id: int, path: str, language: str
                ) -> PublishedPage | None:
    """A page as it was rendered when published."""
    return repository.page(session, publication_id, path, language)


def publication_of(session: Session, *, day: date, version: int | None = None) -> Publication:
    """A day's publication: one version, or the newest; 404 when there is none."""
    found = (repository.latest(session, day=day) if version is None
             else repository.publication(session, day=day, version=version))
    if found is None:
        raise NotFoundError(f"nothing was published for {day.isoformat()}"
                            + (f" as version {version}" if version is not None else ""))
    return found


def data_file(session: Session, *, day: date, version: int, name: str) -> PublishedFile:
    """One open-data file of a publication; 404 when it does not exist."""
    found = repository.file(session, publication_of(session, day=day, version=version).id, name)
    if found is None:
        raise NotFoundError(f"no file {name!r} in the publication of {day.isoformat()} "
                            f"version {version}")
    return found


def catalogue(session: Session) -> list[dict[str, Any]]:
    """Every publication with its files and their digests, newest first (the API listing)."""
    out = []
    for p in repository.publications(session):
        out.append({
            "day": p.day.isoformat(), "version": p.version, "digest": p.digest,
            "published_at": clock.aware(p.published_at).isoformat(),
            "files": [{"name": f.name, "table": f.table_name, "format": f.format,
                       "scope": f.scope, "size": f.size, "sha256": f.digest,
                       "url": file_url(p.day, p.version, f.name)}
                      for f in repository.files_of(session, p.id)]})
    return out


def file_url(day: date, version: int, name: str) -> str:
    """Where a dated open-data file is served."""
    return f"/public/data/{day.isoformat()}/v{version}/{name}"
