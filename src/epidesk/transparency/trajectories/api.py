"""The public trajectories as JSON (no account)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from epidesk.kit import clock
from epidesk.kit.inputs import OptionalDay
from epidesk.kit.web import PUBLIC_PROBLEM_RESPONSES, DbSession
from epidesk.transparency.trajectories import service
from epidesk.transparency.trajectories.deps import chosen_places
from epidesk.transparency.trajectories.schemas import TrajectoriesOut, TrajectoryOut

router = APIRouter(prefix="/public", tags=["public"])


@router.get("/trajectories", responses=PUBLIC_PROBLEM_RESPONSES)
def list_trajectories(session: DbSession,
                      q: Annotated[str, Query(max_length=100)] = "",
                      on: Annotated[OptionalDay, Query()] = None,
                      place: Annotated[list[str] | None, Query(max_length=50)] = None
                      ) -> TrajectoriesOut:
    """Places and time windows where cases were while infectious, not linked to any case:
    by a place's name (either language), a day (city time), or places ("venue:12")."""
    published, entries = service.shown(session, today=clock.city_today(), text=q, on=on,
                                       places=chosen_places(place))
    return TrajectoriesOut(published_on=published, days_kept=service.days_kept(),
                           entries=[TrajectoryOut.model_validate(e, from_attributes=True)
                                    for e in entries])
