"""FastAPI dependencies of the transparency domain: who may publish, and the page cache.

Public pages and open-data files are made once per publication and stored; each
process keeps what it served in memory and checks, at most once a second, whether a
newer publication exists (the stamp), so a page view never renders or computes.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.orm import Session

from epidesk.config import get_settings
from epidesk.kit.access import PUBLICATION_RUN, Caller
from epidesk.kit.web import require
from epidesk.transparency import service
from epidesk.transparency.trajectories import deps as trajectory_deps
from epidesk.transparency.trajectories import service as trajectories

Publisher = Annotated[Caller, Depends(require(PUBLICATION_RUN))]
# How long a process trusts its idea of the newest publication, in seconds.
STAMP_SECONDS = 1.0
# Latest pages may be kept by browsers and proxies this long; dated files for ever.
PAGE_CACHE_CONTROL = "public, max-age=60"
FILE_CACHE_CONTROL = "public, max-age=31536000, immutable"


@dataclass
class CachedPage:
    """A stored page as served: its validator and its bytes."""

    etag: str
    body: bytes


@dataclass
class PageCache:
    """What this process serves of the publications (safe to share between threads)."""

    stamp: tuple[int, str] | None = None
    checked: float = 0.0
    pages: dict[tuple[int, str, str], CachedPage | None] = field(default_factory=dict)
    files: dict[tuple[date, int, str], tuple[str, bytes, str]] = field(default_factory=dict)
    catalogue: tuple[tuple[int, str], list[dict[str, Any]]] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        """Forget everything (after a publication in this process)."""
        with self.lock:
            self.stamp, self.checked = None, 0.0
            self.pages.clear()
            self.files.clear()
            self.catalogue = None

    def latest(self, session: Session) -> tuple[int, str] | None:
        """(id, digest) of the newest publication, checked at most once a second."""
        now = time.monotonic()
        if self.stamp is not None and now - self.checked < STAMP_SECONDS:
            return self.stamp
        stamp = service.latest_stamp(session)
        with self.lock:
            if stamp != self.stamp:
                self.pages.clear()
                self.catalogue = None
            self.stamp, self.checked = stamp, now
        return stamp

    def page(self, session: Session, publication_id: int, path: str, language: str
             ) -> CachedPage | None:
        """A stored page of a publication, read from the database once per process."""
        key = (publication_id, path, language)
        if key in self.pages:
            return self.pages[key]
        stored = service.stored_page(session, publication_id=publication_id, path=path,
                                     language=language)
        found = (CachedPage(stored.etag, stored.body.encode()) if stored is not None
                 else None)
        with self.lock:
            self.pages[key] = found
        return found

    def file(self, session: Session, day: date, version: int, name: str
             ) -> tuple[str, bytes, str]:
        """(digest, bytes, format) of a dated file; it never changes once published."""
        key = (day, version, name)
        if key not in self.files:
            stored = service.data_file(session, day=day, version=version, name=name)
            with self.lock:
                self.files[key] = (stored.digest, stored.content, stored.format)
        return self.files[key]

    def listing(self, session: Session) -> list[dict[str, Any]]:
        """Every publication with its files (the open-data API), once per publication."""
        stamp = self.latest(session)
        if stamp is None:
            return []
        if self.catalogue is None or self.catalogue[0] != stamp:
            built = service.catalogue(session)
            with self.lock:
                self.catalogue = (stamp, built)
            return built
        return self.catalogue[1]


page_cache = PageCache()
# The retention job's own deletions: expired trajectories, in the table and in files.
RETENTION_JOBS = trajectory_deps.RETENTION_JOBS


def publish(session: Session, *, actor: str, day: date | None = None
            ) -> service.PublishResult:
    """Run the publication step and let this process serve the new pages at once. The
    day's trajectories are computed again each time (tracing may have identified
    everyone exposed at a place since), beside the figures, never inside their files."""
    result = service.publish(session, day=day, actor=actor)
    trajectories.publish(session, day=result.publication.day,
                         folder=get_settings().publication_dir)
    page_cache.clear()
    return result


def result_json(result: service.PublishResult) -> dict[str, Any]:
    """What a publication run answers."""
    p = result.publication
    return {"day": p.day.isoformat(), "version": p.version, "digest": p.digest,
            "created": result.created, "files": result.files, "revisions": result.revisions,
            "published_at": p.published_at.isoformat()}
