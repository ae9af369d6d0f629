"""JSON routes of the quarantine domain (each sub-entity's router, mounted here)."""

from __future__ import annotations

from fastapi import APIRouter

from epidesk.kit.web import PROBLEM_RESPONSES
from epidesk.quarantine.placement import api as placement

router = APIRouter(responses=PROBLEM_RESPONSES)
router.include_router(placement.router)
