"""The command centre: every domain adds its tiles through one registration point.

A domain offers, in its deps.py, `overview_tiles(session, *, caller, today) -> list[Tile]`:
aggregates for the caller's area (no person is named on a tile), each with a link to
the work behind it. The command centre gathers them through the manifest here, lowest
domain first, without importing the domains.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sqlalchemy.orm import Session

from epidesk.kit.access import Caller
from epidesk.kit.domains import offered


@dataclass(frozen=True)
class Tile:
    """One figure, chart or map of the command centre."""

    key: str  # "<domain>.<what>", unique on the page
    title: str
    template: str  # the page fragment that renders `tile.data`
    link: str  # where the work behind the figure is done
    data: dict[str, Any] = field(default_factory=dict)  # JSON-ready: the API answer


class TileSource(Protocol):
    """What a domain's deps.py offers as `overview_tiles`."""

    def __call__(self, session: Session, *, caller: Caller, today: date) -> list[Tile]:
        """The domain's tiles for the caller's area."""
        ...


def overview_tiles(session: Session, *, caller: Caller, today: date) -> list[Tile]:
    """Every domain's tiles for this caller."""
    sources: list[TileSource] = offered("deps", "overview_tiles")
    return [tile for source in sources for tile in source(session, caller=caller, today=today)]
