"""What the trajectories offer the rest of the platform: the retention job, and the
reading of the public pages' inputs."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from epidesk.errors import ValidationFailedError
from epidesk.kit import clock
from epidesk.kit.retention import RetentionOutcome
from epidesk.transparency.trajectories import service
from epidesk.transparency.trajectories.rules import PLACE_KINDS, PlaceKey

PLACE = re.compile(r"^(venue|building|compound):([1-9][0-9]{0,8})$")
MOST_PLACES = 50


def purge_expired(session: Session, *, now: datetime, dry_run: bool) -> RetentionOutcome:
    """The retention job: expired trajectory entries out of the table and every file."""
    done = service.purge(session, today=clock.city_today(now), dry_run=dry_run)
    return RetentionOutcome("transparency.trajectories", "delete", done.entries)


RETENTION_JOBS = (purge_expired,)


def chosen_places(values: Sequence[str] | None) -> list[PlaceKey] | None:
    """Places picked on the map ("venue:12", "building:3"); None when none was picked.
    A value of another shape is refused, naming the field."""
    if not values:
        return None
    if len(values) > MOST_PLACES:
        raise ValidationFailedError(f"place: at most {MOST_PLACES} places at once")
    out: list[PlaceKey] = []
    for value in values:
        found = PLACE.match(value)
        if found is None or found.group(1) not in PLACE_KINDS:
            raise ValidationFailedError(
                f"place: {value[:40]!r} is not a place such as venue:12 or building:3")
        out.append((found.group(1), int(found.group(2))))
    return out
