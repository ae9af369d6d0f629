"""The transparency domain's public JSON routes."""

from __future__ import annotations

from fastapi import APIRouter

from epidesk.transparency.trajectories.api import router as trajectories

router = APIRouter()
router.include_router(trajectories)
