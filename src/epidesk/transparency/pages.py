"""The transparency domain's public pages."""

from __future__ import annotations

from fastapi import APIRouter

from epidesk.transparency.trajectories.pages import router as trajectories

router = APIRouter(include_in_schema=False)
router.include_router(trajectories)
