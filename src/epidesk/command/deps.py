"""FastAPI dependencies of the command centre, shared by its api and pages."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Query

from epidesk.kit import clock
from epidesk.kit.access import PLACES_READ, Caller
from epidesk.kit.inputs import OptionalDay
from epidesk.kit.web import require

# Every staff role may browse places; what each tile shows depends on the reader's
# own permissions and areas.
Staff = Annotated[Caller, Depends(require(PLACES_READ))]


def overview_day(day: Annotated[OptionalDay, Query(
        description="The day to show (default: the city's today)")] = None) -> date:
    """The day the overview is for: the city's today unless another is asked for."""
    return day or clock.city_today()


Day = Annotated[date, Depends(overview_day)]
