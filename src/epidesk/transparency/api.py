"""JSON routes of transparency: the open-data listing (public) and the publication step."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from epidesk.kit.web import (
    CONFLICT_RESPONSE,
    PROBLEM_RESPONSES,
    PUBLIC_PROBLEM_RESPONSES,
    DbSession,
)
from epidesk.transparency.deps import Publisher, page_cache, publish, result_json
from epidesk.transparency.schemas import PublishIn
from epidesk.transparency.trajectories.api import router as trajectories

router = APIRouter(responses=PROBLEM_RESPONSES, tags=["transparency"])
public = APIRouter(responses=PUBLIC_PROBLEM_RESPONSES, tags=["public"])


@public.get("/public/data", summary="Open data: every publication's files (public)")
def open_data(session: DbSession) -> list[dict[str, Any]]:
    """Every publication, newest first, with its files: name, table, format, what it
    covers (the day, every day, the dictionary), size, SHA-256 and address."""
    return page_cache.listing(session)


@router.post("/transparency/publications", summary="Publish a day's public figures",
             responses=CONFLICT_RESPONSE)
def run_publication(body: PublishIn, session: DbSession, caller: Publisher) -> dict[str, Any]:
    """Publish a city day (default: today); an unchanged day is not published again,
    changed figures of a published day become its next version."""
    return result_json(publish(session, actor=caller.username, day=body.day))


router.include_router(public)
router.include_router(trajectories)
