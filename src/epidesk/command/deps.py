"""FastAPI dependencies of the command centre, shared by its api and pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from epidesk.kit.access import PLACES_READ, Caller
from epidesk.kit.days import ShownDay, day_to_show
from epidesk.kit.inputs import OptionalDay
from epidesk.kit.web import DbSession, require

# Every staff role may browse places; what each tile shows depends on the reader's
# own permissions and areas.
Staff = Annotated[Caller, Depends(require(PLACES_READ))]


def overview_day(session: DbSession, day: Annotated[OptionalDay, Query(
        description="The day to show (default: the city's today when it has data, else "
                    "the latest day with reported cases or results)")] = None) -> ShownDay:
    """The day the overview is for: the day asked for; else today when it has data, else
    the latest day with data."""
    return day_to_show(session, asked=day)


Day = Annotated[ShownDay, Depends(overview_day)]
