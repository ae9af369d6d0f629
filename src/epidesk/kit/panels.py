"""The person's record: every domain adds its panel through one registration point.

A domain that holds something about a resident offers, in its deps.py,
`person_panel(session, *, caller, resident_id, area, audit) -> Panel | None`: it checks
the caller's permission in the resident's area, records the read in the audit log and
returns what it shows (or None when it has nothing to show this caller). The people
domain's resident page, its API and its command gather the panels through the manifest
here, lowest domain first, without importing the domains above it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session

from epidesk.kit.access import AreaPath, Caller
from epidesk.kit.domains import offered

Audit = Callable[..., None]


@dataclass(frozen=True)
class Panel:
    """One domain's part of a person's record: for the page, the API and the command."""

    key: str  # the domain's name
    title: str
    template: str  # the page fragment that renders `panel.data`
    data: dict[str, Any] = field(default_factory=dict)  # JSON-ready: the API answer
    view: Any = None  # what the page fragment reads (typed values: dates, times)
    summary: str = ""  # one line, for the command line


class PanelSource(Protocol):
    """What a domain's deps.py offers as `person_panel`."""

    def __call__(self, session: Session, *, caller: Caller, resident_id: int, area: AreaPath,
                 audit: Audit) -> Panel | None:
        """The domain's panel of the resident's record, or None."""
        ...


def person_panels(session: Session, *, caller: Caller, resident_id: int, area: AreaPath,
                  audit: Audit) -> list[Panel]:
    """Every domain's panel of a resident's record that this caller may see."""
    sources: list[PanelSource] = offered("deps", "person_panel")
    panels = [source(session, caller=caller, resident_id=resident_id, area=area, audit=audit)
              for source in sources]
    return [p for p in panels if p is not None]
