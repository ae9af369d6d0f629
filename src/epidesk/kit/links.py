"""Links from one domain's record to what another domain made of it, without imports.

A tube links to the cases it produced; a case to its contacts. The record's own domain
cannot import the domain above it, so it asks here: a domain offers, in its deps.py,
`record_links(session, *, caller, kind, ids) -> dict[int, list[Link]]` for the kinds of
record it knows about ("tube", "case") and nothing for the others. A linked record
outside the caller's area is named `kit.access.outside(...)`, with no id and no address.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from epidesk.kit.access import Caller
from epidesk.kit.domains import offered


@dataclass(frozen=True)
class Link:
    """One linked record: what it is, how it reads, where it is (None: outside the area)."""

    kind: str  # what the link leads to: "case", "contacts"
    label: str
    href: str | None = None
    id: int | None = None
    note: str = ""
    # The residents the link names (for the reader's audit entry); never shown.
    people: tuple[int, ...] = field(default=(), compare=False)

    def as_json(self) -> dict[str, Any]:
        """The API shape of the link."""
        return {"kind": self.kind, "id": self.id, "label": self.label, "href": self.href,
                "note": self.note}


class LinkSource(Protocol):
    """What a domain's deps.py offers as `record_links`."""

    def __call__(self, session: Session, *, caller: Caller, kind: str, ids: Sequence[int]
                 ) -> dict[int, list[Link]]:
        """Links from each record of this kind to the domain's records, by record id."""
        ...


def links_from(session: Session, *, caller: Caller, kind: str, ids: Sequence[int]
               ) -> dict[int, list[Link]]:
    """Every domain's links from these records (a kind of record, by id)."""
    sources: list[LinkSource] = offered("deps", "record_links")
    out: dict[int, list[Link]] = {}
    for source in sources:
        for record_id, links in source(session, caller=caller, kind=kind, ids=ids).items():
            out.setdefault(record_id, []).extend(links)
    return out


def linked_people(links: dict[int, list[Link]]) -> list[int]:
    """Every resident the links name, for the audit entry of the read that shows them."""
    return sorted({p for found in links.values() for link in found for p in link.people})
