"""Everything published for a day, gathered in one place: every open-data file (JSON and
Parquet) and every stored page in both languages. Tests that try to recover a
suppressed cell or to single out a case start from here, so that whatever a later
table or page publishes is attacked too."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import select
from sqlalchemy.orm import Session

from epidesk.transparency import repository, service
from epidesk.transparency.models import PublishedPage


@dataclass
class Everything:
    """Every table published for a day: from each open-data file, and from the pages."""

    tables: dict[str, dict[str, Any]] = field(default_factory=dict)  # JSON files
    parquet: dict[str, Any] = field(default_factory=dict)
    pages: dict[tuple[str, str], str] = field(default_factory=dict)


def published_for(db: Session, day: date) -> Everything:
    """Everything the newest publication of a day shows: the history file of every
    table (JSON and Parquet) and every stored page in both languages."""
    publication = service.publication_of(db, day=day)
    out = Everything()
    for f in repository.files_of(db, publication.id):
        if f.scope != "history":
            continue
        if f.format == "json":
            out.tables[f.table_name] = json.loads(f.content)
        elif f.format == "parquet":
            out.parquet[f.table_name] = pq.read_table(io.BytesIO(f.content))
    for page in db.scalars(select(PublishedPage).where(
            PublishedPage.publication_id == publication.id)):
        out.pages[(page.path, page.language)] = page.body
    return out
